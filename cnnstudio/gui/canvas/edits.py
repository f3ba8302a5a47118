"""Canvas edits as core commands (Qt-free): drop, connect, delete, copy/paste, nudge, layout."""
from __future__ import annotations

import json
import re

from ...core.graph.commands import (AddEdge, AddNode, Command, Macro, MoveNodes, MoveWires, RemoveEdge, RemoveNode,
                                    insert_on_edge, new_node, remove_nodes)
from ...core.blocks.custom import form_params
from ...core.graph.graph import Graph, Node, _deep
from ...core.analysis.make_block import from_key, node_id_for
from .layout import flow_step, layered_layout
from .placement import free_offset, free_spot, push_down

MIME_BLOCK = "application/x-cnnstudio-block"
CLIP_KIND = "cnnstudio.blocks"


def _new(graph: Graph, key: str, pos) -> Node:
    """A palette entry's block: a catalogue type, or a user block (see make_block.block_key)."""
    type_, params = from_key(key)
    return new_node(graph, type_, params, pos, node_id_for(graph, params["name"]) if params else None)


def add_block(graph: Graph, type_: str, pos, on_edge=None, direction: str = "TB") -> tuple[Command, str]:
    """A new block at `pos`, or after it along the flow where that is taken. Dropped on a wire,
    it is inserted into it: it takes the place of the wire's target, which moves on (down, or
    right on a left-to-right canvas) with everything after it. `type_`: a block type or a user
    block's palette key."""
    node = _new(graph, type_, free_spot(graph, pos, direction=direction))
    if on_edge is not None and node.spec.inputs != 0:
        return _insert(graph, tuple(on_edge), node, direction), node.id
    return AddNode(node), node.id


def append_after(graph: Graph, type_: str, after: str, direction: str = "TB") -> tuple[Command, str]:
    """A new block right after `after` (below it, or right of it), wired from it (into its one
    outgoing wire, if it has one)."""
    above = graph.nodes[after].pos or (0.0, 0.0)
    dx, dy = flow_step(direction)
    node = _new(graph, type_, (above[0] + dx, above[1] + dy))
    if node.spec.inputs == 0:
        return add_block(graph, type_, node.pos, direction=direction)
    out = [e for e in graph.edges if e[0] == after]
    if len(out) == 1:
        return _insert(graph, out[0], node, direction), node.id
    moves = push_down(graph, node.pos, direction=direction)
    steps = ([MoveNodes(graph, moves)] if moves else []) + [AddNode(node), AddEdge(after, node.id)]
    return Macro(f"Add {node.type} {node.id} after {after}", steps), node.id


def move_onto_wire(graph: Graph, node_id: str, edge, direction: str = "TB") -> Command | None:
    """An unwired block dragged onto a wire goes into it (source → block → target), taking the
    target's place; the target and what is below it move down. None: it cannot go there."""
    source, target = edge
    node = graph.nodes[node_id]
    if node_id in edge or node.spec.inputs == 0 or any(node_id in e for e in graph.edges):
        return None
    where = graph.nodes[target].pos or node.pos
    everywhere, among_inputs, _ = graph.place_of(tuple(edge))
    moves = {node_id: where, **push_down(graph, where, ignore=[node_id], direction=direction)}
    return Macro(f"Insert {node_id} on {source} → {target}", [
        MoveNodes(graph, moves), RemoveEdge(graph, source, target), AddEdge(source, node_id),
        AddEdge(node_id, target, (everywhere, among_inputs, None))])


def _insert(graph: Graph, edge, node, direction: str) -> Command:
    target = graph.nodes[edge[1]].pos
    if target is not None:
        node.pos = target
    moves = push_down(graph, node.pos, direction=direction)
    insert = insert_on_edge(graph, edge, node)
    return Macro(insert.label, [MoveNodes(graph, moves), insert]) if moves else insert


NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def rename(graph: Graph, old: str, new: str) -> tuple[Command | None, str]:
    """The command that gives block `old` the name `new`, its wires and their order kept; or
    None and why not, in the user's terms."""
    new = new.strip()
    if new == old:
        return None, ""
    if not NAME.fullmatch(new):
        return None, (f"“{new}” cannot name a block: start with a letter, then letters, digits, _ or - "
                      "(at most 64).")
    if new in graph.nodes:
        return None, f"Another block is already called {new}."
    node = graph.nodes[old]
    steps = [AddNode(Node(new, node.type, _deep(node.params), node.pos, frozen=node.frozen)), MoveWires(old, new),
             RemoveNode(graph, old)]
    return Rename(old, new, steps, [p.name for p in form_params(node.type, node.params)]), ""


class Rename(Macro):
    """A block's new name, its wires moved to it. `moved` lets the parameters a user block
    exposes follow an inner block's new name (gui/canvas/scope.py)."""

    def __init__(self, old: str, new: str, steps: list, names=()):
        super().__init__(f"Rename {old} to {new}", steps)
        self.moved = {(old, p): (new, p) for p in names}


def connect(graph: Graph, source: str, target: str) -> tuple[Command | None, str]:
    """The command for a wire, or None and why not (in the user's terms)."""
    if source == target:
        return None, "A block cannot feed itself."
    if (source, target) in graph.edges:
        return None, f"{source} is already connected to {target}."
    if graph.nodes[target].spec.inputs == 0:
        return None, f"{target} is an Input: it takes no inputs."
    return AddEdge(source, target), ""


def delete(graph: Graph, node_ids, edges=()) -> Command | None:
    """Each step takes its wire's or block's place when it runs: nothing here looks at more
    than the blocks and wires deleted."""
    steps = []
    edges = [tuple(e) for e in edges if e[0] not in node_ids and e[1] not in node_ids]
    steps += [RemoveEdge(graph, *e) for e in edges]
    if node_ids:
        steps.append(remove_nodes(graph, list(node_ids)))
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]
    return Macro(f"Delete {len(node_ids)} block(s) and {len(edges)} wire(s)", steps)


def copy_payload(graph: Graph, node_ids) -> str:
    """Selected blocks and the wires among them, as JSON for the clipboard."""
    keep = [n for n in graph.nodes if n in set(node_ids)]
    doc = {"format": CLIP_KIND, "nodes": [{"id": n, "type": graph.nodes[n].type, "params": graph.nodes[n].params,
                      "pos": list(graph.nodes[n].pos) if graph.nodes[n].pos else None} for n in keep],
           "edges": [list(e) for e in graph.edges if e[0] in keep and e[1] in keep]}
    return json.dumps(doc)


def is_payload(text: str) -> bool:
    return f'"format": "{CLIP_KIND}"' in text[:60]


def paste(graph: Graph, payload: str, offset=(40.0, 40.0), direction: str = "TB") -> tuple[Command | None, list[str]]:
    """Copies of the blocks in `payload` with fresh ids, beside where they came from and on top
    of no block (`offset`: where to start looking). The payload passes the same checks as a
    project file; ProjectError says what is wrong with it."""
    from ...core.graph.doc import parse_json
    from ...core.project import FORMAT, ProjectError, parse_project
    doc = parse_json(payload, "the clipboard")
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise ProjectError("the clipboard holds no CNN Studio blocks.")
    nodes = [{k: v for k, v in n.items() if k != "pos"} if isinstance(n, dict) else n for n in doc["nodes"]]
    positions = {n["id"]: n["pos"] for n in doc["nodes"]
                 if isinstance(n, dict) and isinstance(n.get("id"), str) and n.get("pos") is not None}
    pasted = parse_project({"format": FORMAT, "version": 1, "graph": {"nodes": nodes, "edges": doc.get("edges", [])},
                            "layout": {"positions": positions}}, source="the clipboard").graph
    offset = free_offset(graph, [n.pos for n in pasted.nodes.values() if n.pos], offset, direction)
    scratch = graph.names()  # the ids handed out so far count as taken: no copy of the graph
    rename, steps = {}, []
    for n in pasted.nodes.values():
        pos = (n.pos[0] + offset[0], n.pos[1] + offset[1]) if n.pos else None
        nid = node_id_for(scratch, n.params["name"]) if n.type == "Custom" else scratch.new_id(n.type)  # as dropped
        node = Node(nid, n.type, _deep(n.params), pos)
        scratch.nodes[node.id] = node
        rename[n.id] = node.id
        steps.append(AddNode(node))
    steps += [AddEdge(rename[s], rename[t]) for s, t in pasted.edges]
    if not steps:
        return None, []
    return Macro(f"Paste {len(rename)} block(s)", steps), list(rename.values())


def nudge(graph: Graph, node_ids, dx: float, dy: float) -> Command | None:
    moves = {n: (graph.nodes[n].pos[0] + dx, graph.nodes[n].pos[1] + dy)
             for n in node_ids if graph.nodes[n].pos is not None}
    return MoveNodes(graph, moves) if moves else None


def auto_layout(graph: Graph, direction: str = "TB") -> Command | None:
    positions = layered_layout(graph, direction=direction)
    moves = {n: p for n, p in positions.items() if graph.nodes[n].pos != p}
    if not moves:
        return None
    c = MoveNodes(graph, moves)
    c.label = "Arrange blocks"
    return c


def place_missing(graph: Graph, among=None, direction: str = "TB") -> None:
    """Give unplaced blocks a position (loading a file without a layout, a fix without one);
    `among`: only these may be new (the blocks an edit touched), so others are not looked at.

    Positions are view state saved with the project, not an edit, so this sets them
    directly instead of adding an undo step the user never made.
    """
    nodes = graph.nodes
    candidates = nodes if among is None else [n for n in among if n in nodes]
    missing = [n for n in candidates if nodes[n].pos is None]
    if not missing:
        return
    full = layered_layout(graph, direction=direction)
    if len(missing) == len(graph.nodes):
        for n, p in full.items():
            graph.nodes[n].pos = p
        return
    dx, dy = flow_step(direction)
    for n in missing:
        near = [graph.nodes[s].pos for s in graph.inputs_of(n) if graph.nodes[s].pos]
        if near:
            graph.nodes[n].pos = (near[0][0] + dx, near[0][1] + dy)
        else:
            graph.nodes[n].pos = full[n]
