"""Undoable edits. One small command per model operation; `Macro` groups them.

A command computes everything it needs when created, so `do`/`undo` are exact inverses
and never create further commands. `UndoStack` runs them and announces one `changed`
event per edit, which is when views re-check the graph.
"""
from __future__ import annotations

from typing import Callable

from ..blocks import CATALOGUE
from .graph import Edge, Graph, Node, _deep


class Command:
    label = "edit"

    def do(self, g: Graph) -> None:
        raise NotImplementedError

    def undo(self, g: Graph) -> None:
        raise NotImplementedError


def _copy(n: Node) -> Node:
    """A node as a command keeps it: frozen stays frozen through delete → undo and Make block."""
    return Node(n.id, n.type, _deep(n.params), n.pos, frozen=n.frozen)


class AddNode(Command):
    def __init__(self, node: Node):
        self.node = node
        self.label = f"Add {node.type} {node.id}"

    def do(self, g):
        g._add_node(_copy(self.node))

    def undo(self, g):
        g._remove_node(self.node.id)


class AddEdge(Command):
    def __init__(self, source: str, target: str, at: tuple | None = None):
        self.edge, self.at = (source, target), at  # at: see Graph._add_edge
        self.label = f"Connect {source} → {target}"

    def do(self, g):
        g._add_edge(self.edge, self.at)

    def undo(self, g):
        g._remove_edge(self.edge)


class RemoveEdge(Command):
    def __init__(self, g: Graph, source: str, target: str):
        self.edge = (source, target)
        if self.edge not in g.edges:
            raise ValueError(f"edge {self.edge} does not exist")
        self.at = None
        self.label = f"Disconnect {source} → {target}"

    def do(self, g):
        self.at = g._remove_edge(self.edge)

    def undo(self, g):
        g._add_edge(self.edge, self.at)


class RemoveNode(Command):
    """Removes a node and its wires; undo puts both back where they were.
    Places are taken when it runs, so it costs time in the node's wires only."""

    def __init__(self, g: Graph, node_id: str):
        n = g.nodes[node_id]
        self.node = _copy(n)
        self.index = None
        self.edges: list = []  # (edge, at), in the order they were removed
        self.label = f"Delete {node_id}"

    def do(self, g):
        nid = self.node.id
        wires = [(s, nid) for s in g.inputs_of(nid)] + [(nid, t) for t in g.outputs_of(nid) if t != nid]
        self.edges = [(e, g._remove_edge(e)) for e in wires]
        self.index = g._remove_node(nid)

    def undo(self, g):
        g._add_node(_copy(self.node), self.index)
        for e, at in reversed(self.edges):
            g._add_edge(e, at)


class MoveWires(Command):
    """Every wire of block `old` moved to block `new` (a rename): each keeps its place among all
    wires and at its other end, and `new` gets them in `old`'s order (a Concat's channel
    order). Places are taken when it runs, so it costs time in the block's wires only."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self.label = f"Move the wires of {old} to {new}"

    def do(self, g):
        self._move(g, self.old, self.new)

    def undo(self, g):
        self._move(g, self.new, self.old)

    @staticmethod
    def _move(g, a: str, b: str) -> None:
        for s in g.inputs_of(a):  # in order: each is appended to b's inputs
            everywhere, _, among_outputs = g._remove_edge((s, a))
            g._add_edge((s, b), (everywhere, None, among_outputs))
        for t in g.outputs_of(a):
            everywhere, among_inputs, _ = g._remove_edge((a, t))
            g._add_edge((b, t), (everywhere, among_inputs, None))


class ReplaceNode(Command):
    """The same node id, place and wires (in their order) as another block, e.g. the Conv1d
    for a Conv2d fed a signal."""

    def __init__(self, g: Graph, node_id: str, node: Node, label: str = ""):
        self.remove, self.node = RemoveNode(g, node_id), node
        self.label = label or f"Replace {node_id} with {node.type}"

    def do(self, g):
        self.remove.do(g)
        g._add_node(_copy(self.node), self.remove.index)
        for e, at in reversed(self.remove.edges):
            g._add_edge(e, at)

    def undo(self, g):
        for e, _ in self.remove.edges:
            g._remove_edge(e)
        g._remove_node(self.node.id)
        self.remove.undo(g)


class SetParams(Command):
    def __init__(self, g: Graph, node_id: str, changes: dict):
        self.node_id = node_id
        self.old = _deep(g.nodes[node_id].params)
        self.new = {**self.old, **_deep(changes)}
        names = ", ".join(f"{k}={_short(v)}" for k, v in changes.items())
        self.label = f"Set {node_id} {names}"

    def do(self, g):
        g._set_params(self.node_id, _deep(self.new))

    def undo(self, g):
        g._set_params(self.node_id, _deep(self.old))


def _short(v) -> str:
    """A value for an undo step's label (a user block's whole inner graph is not)."""
    text = str(v)
    return text if len(text) <= 40 else text[:39] + "…"


class SetFrozen(Command):
    """Freeze or unfreeze blocks for transfer learning (one undo step for all of them)."""

    def __init__(self, g: Graph, node_ids, frozen: bool):
        self.frozen = bool(frozen)
        self.before = {n: g.nodes[n].frozen for n in node_ids}
        self.label = ("Freeze" if frozen else "Unfreeze") + f" {len(self.before)} block(s)"

    def do(self, g):
        for n in self.before:
            g._set_frozen(n, self.frozen)

    def undo(self, g):
        for n, was in self.before.items():
            g._set_frozen(n, was)


class MoveNodes(Command):
    def __init__(self, g: Graph, positions: dict):
        self.new = dict(positions)
        self.old = {n: g.nodes[n].pos for n in positions}
        self.label = "Move " + ", ".join(positions) if len(positions) < 4 else f"Move {len(positions)} blocks"

    def do(self, g):
        for n, p in self.new.items():
            g._move(n, p)

    def undo(self, g):
        for n, p in self.old.items():
            g._move(n, p)


class Macro(Command):
    """Several commands as one undo step (undone in reverse)."""

    def __init__(self, label: str, commands: list[Command]):
        self.label, self.commands = label, commands

    def do(self, g):
        for c in self.commands:
            c.do(g)

    def undo(self, g):
        for c in reversed(self.commands):
            c.undo(g)


# --- builders for compound edits -------------------------------------------------------

def new_node(g: Graph, type_: str, params: dict | None = None, pos=None, node_id: str | None = None) -> Node:
    spec = CATALOGUE[type_]
    return Node(node_id or g.new_id(type_), type_, {**spec.defaults(), **(params or {})}, pos)


def insert_on_edge(g: Graph, edge: Edge, node: Node) -> Command:
    """source → node → target, keeping the edge's place among target's inputs."""
    source, target = edge
    everywhere, among_inputs, _ = g.place_of(edge)
    return Macro(f"Insert {node.type} {node.id} on {source} → {target}", [
        AddNode(node), RemoveEdge(g, source, target),
        AddEdge(source, node.id), AddEdge(node.id, target, (everywhere, among_inputs, None))])


def remove_nodes(g: Graph, node_ids) -> Command:
    """Delete several nodes (each step takes its wires' places when it runs)."""
    commands = [RemoveNode(g, nid) for nid in node_ids]
    label = f"Delete {', '.join(node_ids)}" if len(node_ids) < 4 else f"Delete {len(node_ids)} blocks"
    return Macro(label, commands)


class UndoStack:
    """Runs commands against one graph and keeps them for undo/redo."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.commands: list[Command] = []
        self.index = 0  # commands[:index] are applied
        self.clean_index: int | None = 0
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def push(self, command: Command) -> None:
        command.do(self.graph)
        del self.commands[self.index:]
        if self.clean_index is not None and self.clean_index > self.index:
            self.clean_index = None  # the saved state can no longer be reached
        self.commands.append(command)
        self.index += 1
        self._changed()

    def undo(self) -> bool:
        if not self.index:
            return False
        self.index -= 1
        self.commands[self.index].undo(self.graph)
        self._changed()
        return True

    def redo(self) -> bool:
        if self.index == len(self.commands):
            return False
        self.commands[self.index].do(self.graph)
        self.index += 1
        self._changed()
        return True

    def set_clean(self) -> None:
        self.clean_index = self.index
        self._notify()

    @property
    def is_clean(self) -> bool:
        return self.clean_index == self.index

    def clear(self) -> None:
        self.commands, self.index, self.clean_index = [], 0, 0
        self._notify()

    def _changed(self):
        self.graph.emit("changed")
        self._notify()

    def _notify(self):
        for fn in list(self._listeners):
            fn()
