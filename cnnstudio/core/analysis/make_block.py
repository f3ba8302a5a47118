"""Select blocks → Make block: the selection becomes one user block wired in its place.

The selection must be a sub-network with one input (every wire into it comes from one block
outside) and one output (one selected block feeds everything after it): that is what a block
is. The inner graph gets an Input where the outside wire entered; one undo step does it all.
"""
from __future__ import annotations

import json
import re

from ..blocks.custom import MAX_DEPTH, TYPE, depth, form_params, get_value
from .checks import analyze
from ..graph.commands import AddEdge, AddNode, Command, Macro, RemoveNode
from ..graph import Graph, Node
from ..graph.doc import ProjectError, check_custom, graph_to_doc, parse_json


class MakeBlockError(ValueError):
    """Why a selection cannot become one block, in the user's terms."""


def first_block(graph: Graph, ids, source: str) -> str:
    """The selected block the outside wire enters (where the new block goes)."""
    order = [n for n in graph.nodes if n in set(ids)]
    return next((n for n in order if source in graph.inputs_of(n)), order[0])


def boundary(graph: Graph, ids) -> tuple[str, str]:
    """(the block outside that feeds the selection, the selected block that gives its output);
    MakeBlockError if the selection is not one input → one output."""
    sel = set(ids)
    if not sel:
        raise MakeBlockError("Select the blocks to make into one block first.")
    inputs = [n for n in ids if graph.nodes[n].type == "Input"]
    if inputs:
        raise MakeBlockError(f"The selection holds the Input ({inputs[0]}): a block takes its input from "
                             "outside. Select only the layers after it.")
    sources = list(dict.fromkeys(s for n in ids for s in graph.inputs_of(n) if s not in sel))
    if not sources:
        raise MakeBlockError("Nothing outside feeds the selection: connect its first block first.")
    if len(sources) > 1:
        raise MakeBlockError(f"The selection has {_count(len(sources))} inputs (from {_names(sources)}); a block "
                             "has one. Select a part of the network that one wire enters.")
    exits = [n for n in ids if any(t not in sel for t in graph.outputs_of(n)) or not graph.outputs_of(n)]
    if len(exits) > 1:
        raise MakeBlockError(f"The selection has {_count(len(exits))} outputs ({_names(exits)}); a block has "
                             "one. Include what merges them, or select less.")
    if depth_of(graph, ids) >= MAX_DEPTH:
        raise MakeBlockError(f"User blocks can be nested {MAX_DEPTH} deep; this one would be deeper.")
    source, exit_ = sources[0], exits[0]
    if _reaches(graph, [t for t in graph.outputs_of(exit_)], source):
        raise MakeBlockError(f"The selection is not in one piece: its output flows back into {source}, "
                             "which feeds it. Select the blocks between them too.")
    return source, exit_


def _count(n: int) -> str:
    return {2: "two", 3: "three"}.get(n, str(n))


def _names(ids) -> str:
    ids = list(ids)
    return ", ".join(ids[:3]) + (" …" if len(ids) > 3 else "")


def _reaches(graph: Graph, start: list, goal: str) -> bool:
    seen, todo = set(start), list(start)
    while todo:
        n = todo.pop()
        if n == goal:
            return True
        for t in graph.outputs_of(n):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return False


def depth_of(graph: Graph, ids) -> int:
    """How deep user blocks are nested in these blocks (0: none)."""
    return max((depth(graph.nodes[n].params) for n in ids if graph.nodes[n].type == TYPE), default=0)


def inner_doc(graph: Graph, ids, source: str, in_shape=None) -> dict:
    """The selection as a graph of its own: an Input where the outside wire entered, every
    block's inputs in their order (a Concat's channel order)."""
    sel = [n for n in graph.nodes if n in set(ids)]  # the graph's order
    g = Graph()
    entry = g.new_id("Input")
    g.add("Input", id=entry, shape=list(in_shape) if in_shape else [1, 28, 28])
    for n in sel:
        node = graph.nodes[n]
        g._add_node(Node(n, node.type, dict(node.params), frozen=node.frozen))
    for n in sel:
        for s in graph.inputs_of(n):
            g._add_edge((entry if s == source else s, n))
    return graph_to_doc(g)


def candidates(doc: dict) -> list[tuple[str, list, object]]:
    """Inner parameters a person may want as the block's own: (suggested name, [[node, param], ...],
    value). The key parameters of its layers; the same parameter with the same value on several
    layers (every conv's out_channels = 32) is offered once, setting all of them."""
    groups: dict = {}
    for n in doc["nodes"]:
        if n["type"] == "Input":
            continue
        for p in form_params(n["type"], n["params"]):
            if p.key or n["type"] == TYPE:
                v = get_value(n["type"], n["params"], p.name)
                groups.setdefault((p.name, repr(v)), []).append([n["id"], p.name])
    names = [name for name, _ in groups]
    out = []
    for (name, _), targets in groups.items():
        key = name if names.count(name) == 1 else f"{targets[0][0]}_{name}"
        node = next(n for n in doc["nodes"] if n["id"] == targets[0][0])
        out.append((re.sub(r"\W", "_", key), targets, get_value(node["type"], node["params"], name)))
    return out


def node_id_for(graph: Graph, name: str) -> str:
    """"convpool1" for ConvPool; "stage2_1" for Stage2 (not "stage21")."""
    base = re.sub(r"[^a-z0-9_]", "", name.lower()) or "block"
    base += "_" if base[-1].isdigit() else ""
    n = 1
    while f"{base}{n}" in graph.nodes:
        n += 1
    return f"{base}{n}"


def make_block(graph: Graph, ids, name: str, expose: dict | None = None, repeat: int = 1,
               in_shape=None, pos=None) -> tuple[Command, str]:
    """(the one undo step that replaces the selection with the block, the block's id).
    `expose`: {parameter name: [[inner node, its parameter], ...]}; `pos`: where the block goes
    (default: where the selection's first block was)."""
    name = name.strip()
    if not name:
        raise MakeBlockError("Give the block a name.")
    source, exit_ = boundary(graph, ids)
    doc = inner_doc(graph, ids, source, in_shape)
    values = {}
    by_id = {n["id"]: n for n in doc["nodes"]}
    for key, targets in (expose or {}).items():
        nid, pname = targets[0]
        values[key] = get_value(by_id[nid]["type"], by_id[nid]["params"], pname)
    params = {"name": name, "graph": doc, "expose": {k: [list(t) for t in v] for k, v in (expose or {}).items()},
              "values": values, "repeat": int(repeat)}
    order = [n for n in graph.nodes if n in set(ids)]
    first = first_block(graph, ids, source)
    nid = node_id_for(graph, name)
    # frozen when every layer with weights is (transfer learning: a grouped frozen backbone)
    info = analyze(graph).info
    weighted = [n for n in order if n in info and info[n].out is not None and info[n].out.params]
    frozen = bool(weighted) and all(graph.nodes[n].frozen for n in weighted)
    node = Node(nid, TYPE, params, pos or graph.nodes[first].pos, frozen=frozen)
    # the wires to the block go where the selection's wires were among their ends' wires
    out_at = min(i for i, t in enumerate(graph.outputs_of(source)) if t in set(ids))
    targets = [(t, graph.inputs_of(t).index(exit_)) for t in graph.outputs_of(exit_) if t not in set(ids)]
    steps: list[Command] = [RemoveNode(graph, n) for n in order]
    steps += [AddNode(node), AddEdge(source, nid, (None, None, out_at))]
    steps += [AddEdge(nid, t, (None, i, None)) for t, i in targets]
    return Macro(f"Make block {name} from {len(order)} block(s)", steps), nid


class EditInside(Command):
    """An edit made inside a user block, as the change of the block's params it amounts to
    (its inner graph, and values of exposed parameters changed inside)."""

    def __init__(self, g: Graph, node_id: str, params: dict, label: str):
        self.node_id, self.old, self.new, self.label = node_id, g.nodes[node_id].params, params, label

    def do(self, g):
        g._set_params(self.node_id, dict(self.new))

    def undo(self, g):
        g._set_params(self.node_id, dict(self.old))


def block_key(params: dict) -> str:
    """A user block as the palette passes it to the canvas (drag and drop, double-click)."""
    return f"{TYPE}:" + json.dumps(params)


def from_key(key: str) -> tuple[str, dict | None]:
    """(block type, its params or None for the defaults) from a palette key; a user block's
    params are validated as a file's are (ProjectError)."""
    if not key.startswith(f"{TYPE}:"):
        return key, None

    def fail(where, what):
        raise ProjectError(f"the dropped block: {where}: {what}")
    return TYPE, check_custom(parse_json(key[len(TYPE) + 1:], "the dropped block"), "params", fail, 0)


def definition(params: dict) -> dict:
    """A user block as the palette keeps it: its params without the frozen flags of its layers
    (freezing is a choice of one network's training: a fresh copy elsewhere would never learn)."""
    def clean(doc: dict) -> dict:
        nodes = [{**{k: v for k, v in n.items() if k != "frozen"},
                  "params": definition(n["params"]) if n.get("type") == TYPE else n.get("params", {})}
                 for n in doc.get("nodes", [])]
        return {**doc, "nodes": nodes}
    return {**params, "graph": clean(params["graph"])} if "graph" in params else dict(params)


class SetProjectBlocks(Command):
    """The project's own list of user blocks (the palette's "this project" entries)."""

    def __init__(self, project, blocks: list, label: str):
        self.project, self.old, self.new, self.label = project, list(project.blocks), list(blocks), label

    def do(self, g):
        self.project.blocks = list(self.new)

    def undo(self, g):
        self.project.blocks = list(self.old)


def keep_definition(project, record: dict) -> Command:
    """The project's blocks gain `record` (replacing one of the same name): part of Make block."""
    others = [b for b in project.blocks if b["name"] != record["name"]]
    return SetProjectBlocks(project, others + [record], f"Keep {record['name']} in the project's blocks")


def forget_definition(project, name: str) -> Command:
    return SetProjectBlocks(project, [b for b in project.blocks if b["name"] != name],
                            f"Remove {name} from the project's blocks")


def free_name(name: str, taken) -> str:
    """`name`, or "ConvPool2", "ConvPool3"… when a block of that name is already kept."""
    n, out = 2, name
    while out in taken:
        out, n = f"{name}{n}", n + 1
    return out


def suggest_name(graph: Graph, ids) -> str:
    """"ConvReluPool" for conv (relu) → conv (relu) → max pool."""
    short = {"Conv1d": "Conv", "Conv2d": "Conv", "Conv3d": "Conv", "MaxPool2d": "Pool", "AvgPool2d": "Pool",
             "MaxPool1d": "Pool", "MaxPool3d": "Pool", "BatchNorm2d": "BN", "Linear": "FC", "Custom": ""}
    parts: list[str] = []
    for n in [n for n in graph.nodes if n in set(ids)]:
        node = graph.nodes[n]
        for word in (short.get(node.type, node.type), str(node.params.get("activation", "none")).capitalize()):
            if word and word != "None" and (not parts or parts[-1] != word):
                parts.append(word)
    return "".join(parts)[:40] or "Block"
