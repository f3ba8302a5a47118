"""Blocks of the user's own: a named sub-network ("Custom"), optionally repeated ×N.

A Custom node is self-contained: its params hold the inner graph (with one Input, whose
shape is replaced by whatever feeds the block), the inner parameters it exposes as its own
and their values, and `repeat`: the inner graph runs N times in a row, each copy with its
own weights. So checks, compiler and export need nothing but the node:

    {"type": "Custom", "params": {"name": "ConvRelu", "repeat": 2,
        "graph": {"nodes": [...], "edges": [...]},
        "expose": {"channels": [["c1", "out_channels"], ["c2", "out_channels"]]},
        "values": {"channels": 32}}}

Inner graphs may hold Custom nodes (nesting, e.g. `[[CONV → RELU]·N → POOL]·M`), at most
MAX_DEPTH deep; a block holds a copy of its inner graph, never a reference, so it cannot
contain itself. Results are cached by the params' text and the input shape, so copies of one
block fed the same shape infer once; the copies of a repeat share one inner graph, whose blocks
remember their results (bench/user_blocks.py).
"""
from __future__ import annotations

from .spec import CATALOGUE, BlockError, BlockSpec, Param, register

TYPE = "Custom"
MAX_DEPTH = 6  # user blocks inside user blocks
MAX_REPEAT = 64
MAX_UNROLLED = 10_000  # layers a block may stand for, repeats multiplied out (a file cannot hang the checks)
STRUCTURE = ("name", "graph", "expose", "values")  # the params besides `repeat`
EMPTY_GRAPH = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [1, 28, 28]}}], "edges": []}


def full_params(params: dict) -> dict:
    """`params` with the structure a file or a palette may leave out (an empty pass-through)."""
    return {"name": "Block", "graph": EMPTY_GRAPH, "expose": {}, "values": {}, "repeat": 1, **params}


def label(params: dict) -> str:
    """"ConvRelu" or "ConvRelu ×3"."""
    n = params.get("repeat", 1)
    return params.get("name", "Block") + (f" ×{n}" if n != 1 else "")


def display_type(node_type: str, params: dict) -> str:
    """What a table calls a block's type: a user block by its name."""
    return label(params) if node_type == TYPE else node_type


# --- the block's own parameters: `repeat` and the exposed inner ones ------------------------

def form_params(node_type: str, params: dict) -> tuple:
    """The parameters a person edits on a block: its spec's, and for a user block its exposed
    ones (each shaped like the first inner parameter it sets)."""
    spec = CATALOGUE[node_type]
    if node_type != TYPE:
        return spec.params
    p = full_params(params)
    return spec.params + tuple(exposed_param(p, key) for key in p["expose"])


def exposed_param(params: dict, key: str) -> Param:
    targets = params["expose"][key]
    nodes = {n["id"]: n for n in params["graph"]["nodes"]}
    nid, name = targets[0]
    inner = nodes[nid]
    base = next(q for q in form_params(inner["type"], inner.get("params", {})) if q.name == name)
    where = ", ".join(f"{a}.{b}" for a, b in targets)
    return Param(key, base.kind, base.default, f"{base.help} (sets {where})", base.min, base.max,
                 base.choices, base.nullable, True, base.dims)


def get_value(node_type: str, params: dict, name: str):
    if node_type == TYPE and name in params.get("expose", {}):
        return params.get("values", {}).get(name)
    return params.get(name, CATALOGUE[node_type].param(name).default)


def with_value(node_type: str, params: dict, name: str, value) -> dict:
    """The changes to a block's params that set one of its form parameters."""
    if node_type == TYPE and name in params.get("expose", {}):
        return {"values": {**params.get("values", {}), name: value}}
    return {name: value}


def effective_graph_doc(params: dict) -> dict:
    """The inner graph as it runs: every exposed parameter set to the block's value."""
    p = full_params(params)
    nodes = [dict(n, params=dict(n.get("params", {}))) for n in p["graph"]["nodes"]]
    by_id = {n["id"]: n for n in nodes}
    for key, targets in p["expose"].items():
        if key not in p["values"]:
            continue
        for nid, name in targets:
            n = by_id[nid]
            n["params"].update(with_value(n["type"], n["params"], name, p["values"][key]))
    return {"nodes": nodes, "edges": [list(e) for e in p["graph"].get("edges", [])]}


def params_from_graph_doc(params: dict, doc: dict, moved: dict | None = None) -> dict:
    """A block's params after its inner graph became `doc` (edited inside, or fixed): an
    exposed parameter changed inside becomes the block's value (and so every target's), and
    follows a target the edit `moved` {(old id, parameter): (new id, parameter)} (a renamed
    block, or layers grouped into a block that exposes the parameter)."""
    p = full_params(params)
    by_id = {n["id"]: n for n in doc["nodes"]}
    values = dict(p["values"])
    expose = {}
    moved = moved or {}
    for key, targets in p["expose"].items():
        targets = list(dict.fromkeys(moved.get((nid, name), (nid, name)) for nid, name in targets))
        targets = [list(t) for t in targets]
        # a target deleted (or replaced by a block without that parameter) is no longer set
        targets = [t for t in targets if t[0] in by_id and t[1] in
                   [q.name for q in form_params(by_id[t[0]]["type"], by_id[t[0]].get("params", {}))]]
        if not targets:
            values.pop(key, None)
            continue
        expose[key] = targets
        for nid, name in targets:
            n = by_id[nid]
            v = get_value(n["type"], n.get("params", {}), name)
            if v != values.get(key):
                values[key] = v
                break
    return {**p, "graph": doc, "expose": expose, "values": values}


def depth(params: dict) -> int:
    """How many user blocks deep this one goes (1: no user block inside)."""
    inner = [n for n in params.get("graph", {}).get("nodes", []) if n.get("type") == TYPE]
    return 1 + max((depth(n.get("params", {})) for n in inner), default=0)


def unrolled(params: dict) -> int:
    """How many layers the block stands for, every repeat multiplied out."""
    inner = params.get("graph", {}).get("nodes", [])
    n = sum(unrolled(x.get("params", {})) if x.get("type") == TYPE else x.get("type") != "Input" for x in inner)
    return params.get("repeat", 1) * n


# --- what the layers above provide ------------------------------------------------------
# Checking, explaining and building a user block means analysing and compiling its inner
# graph: the analysis and build layers register those when they are imported, so the
# catalogue (the ground floor) never imports the layers built on it.
_ABOVE: dict = {}


def provide(**fns) -> None:
    """analysis/user_blocks.py provides infer, explain and inner_layers; build/compiler.py build."""
    _ABOVE.update(fns)


def _above(name: str):
    fn = _ABOVE.get(name)
    if fn is None:
        layer = "cnnstudio.core.build" if name == "build" else "cnnstudio.core.analysis"
        raise BlockError(f"user blocks need {layer} imported to {name} their inner graph.", code="custom_graph")
    return fn


def inner_layers(params: dict, in_shape) -> list[str]:
    """One line per inner layer (of the first copy), for the expanded block on the canvas."""
    return _above("inner_layers")(params, in_shape)


register(BlockSpec(
    type=TYPE, category="Composite",
    help="A block of your own: a named group of layers (select blocks → Make block); "
         "repeat runs it N times in a row.",
    params=(Param("repeat", "int", 1, "How many copies run in a row (each with its own weights).",
                  1, MAX_REPEAT, key=True),),
    infer=lambda p, s: _above("infer")(p, s), build=lambda p, s: _above("build")(p, s),
    explain=lambda p, s, out: _above("explain")(p, s, out), structure=STRUCTURE, palette=False))
