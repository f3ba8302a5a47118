"""The network graph: nodes with stable string ids, ordered directed edges, change events.

Mutate it only through commands (commands.py) so every edit can be undone; the
underscore methods here are the primitive steps those commands use.
"""
from __future__ import annotations

import heapq
from collections import ChainMap
from dataclasses import dataclass, field
from typing import Callable

from ..blocks import CATALOGUE

Edge = tuple  # (source_id, target_id)


@dataclass
class Node:
    """A block. `params` is replaced on every change, never mutated in place: the checks
    memoize their result per params object (see analysis/checks.py)."""

    id: str
    type: str
    params: dict
    pos: tuple | None = None  # canvas position; saved in the project's layout
    frozen: bool = False  # transfer learning: its parameters are not trained (BatchNorm stays in eval)
    memo: tuple | None = field(default=None, repr=False, compare=False)
    params_checked: tuple | None = field(default=None, repr=False, compare=False)

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


class Edges:
    """The graph's wires in order, read-only: iterate, count, `in` (constant time), compare
    with a list. Change them through the graph's commands."""

    __slots__ = ("_d",)

    def __init__(self, d: dict):
        self._d = d

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __contains__(self, edge) -> bool:
        return tuple(edge) in self._d

    def __getitem__(self, i):
        return list(self._d)[i]

    def __eq__(self, other):
        return list(self._d) == list(other)

    def __repr__(self):
        return repr(list(self._d))


class Graph:
    """Nodes and wires with adjacency kept alongside, so every query and every primitive step
    costs time in the node's own wires, not in the size of the graph."""

    def __init__(self):
        self.nodes: dict[str, Node] = {}
        self._edges: dict[Edge, None] = {}  # every wire, in the order it was made (the file's order)
        self._in: dict[str, list[str]] = {}  # sources per target, in wire order (Concat's channel order)
        self._out: dict[str, list[str]] = {}  # targets per source, in wire order
        self._ids: dict[str, list] = {}  # for new_id, per prefix: [counter, heap of numbers freed below it]
        self._listeners: list[Callable[[GraphEvent], None]] = []

    @property
    def edges(self) -> Edges:
        return Edges(self._edges)

    # --- events ---------------------------------------------------------------------
    def subscribe(self, fn: Callable[[GraphEvent], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def emit(self, kind: str, node: str | None = None, edge: Edge | None = None) -> None:
        if not self._listeners:
            return
        event = GraphEvent(kind, node, edge)
        for fn in list(self._listeners):
            fn(event)

    # --- queries --------------------------------------------------------------------
    def inputs_of(self, node_id: str) -> list[str]:
        """Sources feeding `node_id`, in edge order (Concat's channel order)."""
        return list(self._in.get(node_id, ()))

    def outputs_of(self, node_id: str) -> list[str]:
        return list(self._out.get(node_id, ()))

    def place_of(self, edge: Edge) -> tuple:
        """Where a wire is: (among all wires, among its target's inputs, among its source's outputs)."""
        edge = tuple(edge)
        if edge not in self._edges:
            raise ValueError(f"edge {edge} does not exist")
        s, t = edge
        return _index(self._edges, edge), self._in[t].index(s), self._out[s].index(t)

    def new_id(self, type_: str) -> str:
        """The type's prefix with the smallest number no block has: conv1, conv2, … Amortised
        constant time: per prefix, a counter below which every number is taken, except those
        freed since (kept in a heap). Always checked against the blocks, so always unique."""
        prefix = ID_PREFIX.get(type_, type_.lower())
        ids = self._ids.setdefault(prefix, [1, []])
        nodes, freed = self.nodes, ids[1]
        while freed:
            if f"{prefix}{freed[0]}" not in nodes:
                return f"{prefix}{freed[0]}"
            heapq.heappop(freed)  # taken again (undo, redo)
        n = ids[0]
        while f"{prefix}{n}" in nodes:
            n += 1
        ids[0] = n
        return f"{prefix}{n}"

    def _id_freed(self, node_id: str) -> None:
        """A removed block's number below its prefix's counter becomes the next new_id's."""
        digits_at = len(node_id.rstrip("0123456789"))
        for k in range(digits_at, len(node_id)):  # "up21": prefix "up" or "up2"
            ids = self._ids.get(node_id[:k])
            if ids and node_id[k] != "0" and int(node_id[k:]) < ids[0]:
                heapq.heappush(ids[1], int(node_id[k:]))

    def topological_order(self, among=None) -> tuple[list[str], set[str]]:
        """(order, nodes on or behind a cycle). Ties keep insertion order. Linear time.
        `among`: only these nodes (in insertion order, fed by none outside them), ordered as the
        whole graph's order lists them when they were added last: after all the others."""
        ins, outs = self._in, self._out
        indeg = {n: len(ins.get(n, ())) for n in (self.nodes if among is None else among)}
        ready = [n for n, d in indeg.items() if d == 0]
        ready.reverse()
        order = []
        while ready:
            n = ready.pop()
            order.append(n)
            succ = outs.get(n)
            if succ:
                for t in reversed(succ):
                    indeg[t] -= 1
                    if indeg[t] == 0:
                        ready.append(t)
        stuck = set(indeg).difference(order) if len(order) < len(indeg) else set()
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
            g.nodes[n.id] = Node(n.id, n.type, _deep(n.params), n.pos, n.frozen)
        g._edges = dict(self._edges)
        g._in = {k: list(v) for k, v in self._in.items()}
        g._out = {k: list(v) for k, v in self._out.items()}
        g._ids = {k: [n, list(freed)] for k, (n, freed) in self._ids.items()}
        return g

    def names(self) -> "Names":
        """A scratch pad for handing out several new ids at once (a paste): ids put in its
        `nodes` count as taken; the graph is neither copied nor changed."""
        return Names(self)

    # --- primitive steps (commands only) ----------------------------------------------
    # Removing returns where the item was; passing that back on re-insertion restores the
    # exact order. Undo re-inserts in reverse, so those places are valid again by then.
    def _add_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self.nodes:
            raise ValueError(f"node id {node.id!r} already exists")
        _insert(self.nodes, node.id, node, index)
        self.emit("node_added", node=node.id)

    def _remove_node(self, node_id: str) -> int:
        """Remove a node whose wires are already gone; returns its place in the order."""
        index = _index(self.nodes, node_id)
        del self.nodes[node_id]
        self._id_freed(node_id)
        self._in.pop(node_id, None)
        self._out.pop(node_id, None)
        self.emit("node_removed", node=node_id)
        return index

    def _add_edge(self, edge: Edge, at: tuple | None = None) -> None:
        """`at`: (place among all wires, among the target's inputs, among the source's outputs);
        None or a None entry appends."""
        edge = tuple(edge)
        if edge in self._edges:
            raise ValueError(f"edge {edge} already exists")
        s, t = edge
        g_at, in_at, out_at = at or (None, None, None)
        _insert(self._edges, edge, None, g_at)
        ins, outs = self._in.setdefault(t, []), self._out.setdefault(s, [])
        ins.insert(len(ins) if in_at is None else in_at, s)
        outs.insert(len(outs) if out_at is None else out_at, t)
        self.emit("edge_added", edge=edge)

    def _remove_edge(self, edge: Edge) -> tuple:
        """Remove a wire; returns its `at` for `_add_edge`."""
        edge = tuple(edge)
        s, t = edge
        at = self.place_of(edge)
        del self._edges[edge]
        del self._in[t][at[1]]
        del self._out[s][at[2]]
        self.emit("edge_removed", edge=edge)
        return at

    def _set_params(self, node_id: str, params: dict) -> None:
        self.nodes[node_id].params = params
        self.emit("params_changed", node=node_id)

    def _set_frozen(self, node_id: str, frozen: bool) -> None:
        self.nodes[node_id].frozen = bool(frozen)
        self.emit("params_changed", node=node_id)

    def _move(self, node_id: str, pos) -> None:
        self.nodes[node_id].pos = None if pos is None else (float(pos[0]), float(pos[1]))
        self.emit("moved", node=node_id)


class Names:
    """See Graph.names: the graph's blocks plus those added here, and new_id over both."""

    def __init__(self, g: Graph):
        self.nodes = ChainMap({}, g.nodes)
        self._ids = {k: [n, list(freed)] for k, (n, freed) in g._ids.items()}

    new_id = Graph.new_id


def _index(d: dict, key) -> int:
    """A key's place in a dict's order; the common case (the newest) without a scan."""
    if key == next(reversed(d)):
        return len(d) - 1
    return list(d).index(key)  # one pass in C


def _insert(d: dict, key, value, index: int | None) -> None:
    """Put `key` at `index` of an insertion-ordered dict, keeping the dict object."""
    if index is None or index >= len(d):
        d[key] = value
        return
    items = list(d.items())  # re-threading the order is one pass in C (≈2 ms at 20,000)
    items.insert(index, (key, value))
    d.clear()
    d.update(items)


def _deep(params: dict) -> dict:
    return {k: list(v) if isinstance(v, list) else v for k, v in params.items()}
