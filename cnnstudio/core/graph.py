"""The network graph: nodes with stable string ids, ordered directed edges, change events.

Mutate it only through commands (commands.py) so every edit can be undone; the
underscore methods here are the primitive steps those commands use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .blocks import CATALOGUE

Edge = tuple  # (source_id, target_id)


@dataclass
class Node:
    """A block. `params` is replaced on every change, never mutated in place: the checks
    memoize their result per params object (see checks.py)."""

    id: str
    type: str
    params: dict
    pos: tuple | None = None  # canvas position; saved in the project's layout
    memo: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def spec(self):
        return CATALOGUE[self.type]


@dataclass(frozen=True)
class GraphEvent:
    """kind: node_added, node_removed, edge_added, edge_removed, params_changed, moved,
    changed (end of one whole edit: re-check now), reset (everything replaced)."""

    kind: str
    node: str | None = None
    edge: Edge | None = None


ID_PREFIX = {"Input": "input", "Conv2d": "conv", "MaxPool2d": "pool", "AvgPool2d": "avgpool",
             "AdaptiveAvgPool2d": "gap", "BatchNorm2d": "bn", "Dropout": "drop",
             "Dropout2d": "drop2d", "Flatten": "flatten", "Linear": "fc", "Add": "add",
             "Concat": "concat", "ResidualBlock": "res", "InceptionBlock": "inception",
             "Conv1d": "conv", "Conv3d": "conv", "MaxPool1d": "pool", "MaxPool3d": "pool",
             "AvgPool1d": "avgpool", "AvgPool3d": "avgpool", "AdaptiveAvgPool1d": "gap",
             "AdaptiveAvgPool3d": "gap", "BatchNorm1d": "bn", "BatchNorm3d": "bn",
             "Dropout1d": "drop1d", "Dropout3d": "drop3d", "ConvTranspose2d": "upconv",
             "Upsample": "up", "DeformConv2d": "dconv"}


class Graph:
    def __init__(self):
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self._listeners: list[Callable[[GraphEvent], None]] = []

    # --- events ---------------------------------------------------------------------
    def subscribe(self, fn: Callable[[GraphEvent], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def emit(self, kind: str, node: str | None = None, edge: Edge | None = None) -> None:
        event = GraphEvent(kind, node, edge)
        for fn in list(self._listeners):
            fn(event)

    # --- queries --------------------------------------------------------------------
    def inputs_of(self, node_id: str) -> list[str]:
        """Sources feeding `node_id`, in edge order (Concat's channel order)."""
        return [s for s, t in self.edges if t == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        return [t for s, t in self.edges if s == node_id]

    def new_id(self, type_: str) -> str:
        prefix = ID_PREFIX.get(type_, type_.lower())
        n = 1
        while f"{prefix}{n}" in self.nodes:
            n += 1
        return f"{prefix}{n}"

    def topological_order(self) -> tuple[list[str], set[str]]:
        """(order, nodes on or behind a cycle). Ties keep insertion order."""
        indeg = dict.fromkeys(self.nodes, 0)
        succ: dict[str, list[str]] = {n: [] for n in self.nodes}
        for s, t in self.edges:
            indeg[t] += 1
            succ[s].append(t)
        ready = [n for n, d in indeg.items() if d == 0]
        ready.reverse()
        order = []
        while ready:
            n = ready.pop()
            order.append(n)
            for t in reversed(succ[n]):
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
        stuck = set(self.nodes) - set(order)
        return order, stuck

    def add(self, type_: str, *inputs: str, id: str | None = None, **params) -> str:
        """Build from code (templates, tests): add a block wired from `inputs`; returns its id.
        Not undoable — the editor goes through commands instead."""
        spec = CATALOGUE[type_]
        nid = id or self.new_id(type_)
        self._add_node(Node(nid, type_, {**spec.defaults(), **params}))
        for s in inputs:
            self._add_edge((s, nid))
        return nid

    def copy(self) -> "Graph":
        g = Graph()
        for n in self.nodes.values():
            g.nodes[n.id] = Node(n.id, n.type, _deep(n.params), n.pos)
        g.edges = list(self.edges)
        return g

    # --- primitive steps (commands only) ----------------------------------------------
    def _add_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self.nodes:
            raise ValueError(f"node id {node.id!r} already exists")
        items = list(self.nodes.items())
        items.insert(len(items) if index is None else index, (node.id, node))
        self.nodes = dict(items)
        self.emit("node_added", node=node.id)

    def _remove_node(self, node_id: str) -> int:
        index = list(self.nodes).index(node_id)
        del self.nodes[node_id]
        self.emit("node_removed", node=node_id)
        return index

    def _add_edge(self, edge: Edge, index: int | None = None) -> None:
        edge = tuple(edge)
        if edge in self.edges:
            raise ValueError(f"edge {edge} already exists")
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self.emit("edge_added", edge=edge)

    def _remove_edge(self, edge: Edge) -> int:
        index = self.edges.index(tuple(edge))
        del self.edges[index]
        self.emit("edge_removed", edge=tuple(edge))
        return index

    def _set_params(self, node_id: str, params: dict) -> None:
        self.nodes[node_id].params = params
        self.emit("params_changed", node=node_id)

    def _move(self, node_id: str, pos) -> None:
        self.nodes[node_id].pos = None if pos is None else (float(pos[0]), float(pos[1]))
        self.emit("moved", node=node_id)


def _deep(params: dict) -> dict:
    return {k: list(v) if isinstance(v, list) else v for k, v in params.items()}
