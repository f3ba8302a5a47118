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

import json
from collections import OrderedDict

from .spec import CATALOGUE, BlockError, BlockSpec, Fix, Out, Param, prod, register

TYPE = "Custom"
MAX_DEPTH = 6  # user blocks inside user blocks
MAX_REPEAT = 64
MAX_UNROLLED = 10_000  # layers a block may stand for, repeats multiplied out (a file cannot hang the checks)
STRUCTURE = ("name", "graph", "expose", "values")  # the params besides `repeat`
EMPTY_GRAPH = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [1, 28, 28]}}], "edges": []}
_CACHE: OrderedDict = OrderedDict()  # (params text, input shape) → Out or BlockError
_CACHE_SIZE = 512


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


# --- the inner graph ----------------------------------------------------------------------

def inner_graph(params: dict, shape=None):
    """The inner Graph as it runs (exposed values set), its Input fed `shape` when given."""
    from ..project import ProjectError, graph_from_doc
    try:
        g = graph_from_doc(effective_graph_doc(params), depth=1)
    except ProjectError as e:
        raise BlockError(f"{params.get('name', 'Block')}: its inner graph is damaged: {e}", code="custom_graph") from None
    entry = input_id(g)
    if shape is not None and entry is not None:
        g.nodes[entry].params = {**g.nodes[entry].params, "shape": list(shape)}
    return g


def input_id(g) -> str | None:
    """Where the block's input enters: its inner Input (None while it has none: an error the
    inner checks report)."""
    return next((n.id for n in g.nodes.values() if n.type == "Input"), None)


def depth(params: dict) -> int:
    """How many user blocks deep this one goes (1: no user block inside)."""
    inner = [n for n in params.get("graph", {}).get("nodes", []) if n.get("type") == TYPE]
    return 1 + max((depth(n.get("params", {})) for n in inner), default=0)


def unrolled(params: dict) -> int:
    """How many layers the block stands for, every repeat multiplied out."""
    inner = params.get("graph", {}).get("nodes", [])
    n = sum(unrolled(x.get("params", {})) if x.get("type") == TYPE else x.get("type") != "Input" for x in inner)
    return params.get("repeat", 1) * n


def _key(params: dict, shape) -> tuple:
    return json.dumps(params, sort_keys=True, default=str), tuple(shape)


def passes(params: dict, shape) -> list:
    """[(input shape, inner Graph, its Analysis)] for each repeat, while the shapes are known;
    raises BlockError for the first inner problem (pinned to this block, naming the inner layer)."""
    from ..checks import analyze
    p = full_params(params)
    size = unrolled(p)
    if size > MAX_UNROLLED:
        fewer = max(1, p["repeat"] * MAX_UNROLLED // size)
        raise BlockError(f"{label(p)} stands for {size:,} layers with its repeats multiplied out; at most "
                         f"{MAX_UNROLLED:,} can be built. Repeat it fewer times.", code="custom_size",
                         fix=Fix(f"Set repeat to {fewer}", "set_params", {"params": {"repeat": fewer}})
                         if fewer < p["repeat"] else None)
    out = []
    g = inner_graph(p)  # one graph for every copy: its blocks remember results for the same input
    for i in range(1, p["repeat"] + 1):
        entry = input_id(g)
        if entry is not None:
            g.nodes[entry].params = {**g.nodes[entry].params, "shape": list(shape)}
        a = analyze(g)
        bad = next((x for x in a.problems if x.severity == "error"), None)
        if bad:
            where = label(p) + (f", repeat {i}" if p["repeat"] > 1 else "")
            raise BlockError(f"{where}: {bad.message}", fix=_outer_fix(p, g, bad), code="custom_inner")
        out.append((shape, g, a))
        shape = a.info[a.output].shape
    return out


def _outer_fix(params: dict, g, problem) -> Fix | None:
    """An inner problem's fix, as a change of this block's params (its inner graph or values)."""
    if problem.fix is None or problem.fix.action == "set_dataset":
        return None
    from ..fixes import fix_command
    from ..project import graph_to_doc
    try:
        fix_command(g, problem.node, problem.fix).do(g)
    except (KeyError, ValueError, IndexError):
        return None
    new = params_from_graph_doc(params, graph_to_doc(g))
    changes = {k: new[k] for k in ("graph", "expose", "values") if new[k] != params.get(k)}
    inside = f" inside {params['name']}"
    return Fix(problem.fix.label + inside, "set_params", {"params": changes})


def _infer(params, shapes) -> Out:
    key = _key(params, shapes[0])
    hit = _CACHE.get(key)
    if hit is None:
        try:
            hit = _infer_uncached(params, shapes[0])
        except BlockError as e:
            hit = e
        _CACHE[key] = hit
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    if isinstance(hit, BlockError):
        raise BlockError(hit.message, hit.fix, hit.code)
    return hit


def _infer_uncached(params, shape) -> Out:
    p = full_params(params)
    total = Out(shape=tuple(shape))
    for _, g, a in passes(p, tuple(shape)):
        entry, out = input_id(g), a.output
        for nid in a.order:
            o = a.info[nid].out
            total.params += o.params
            total.buffers += o.buffers
            total.macs += o.macs
            total.inner += o.inner + (prod(o.shape) if nid not in (entry, out) else 0)
        rf, jump = a.receptive(g, out)
        total.rf_kernel += (rf - 1) * total.rf_stride  # the passes' fields compose like layers'
        total.rf_stride *= jump
        total.shape = a.info[out].shape
        total.warnings += [(f"{label(p)}: {w.message}", None) for w in a.problems if w.severity == "warning"]
    return total


def frozen_params(params: dict, shape) -> int:
    """Parameters of the layers frozen inside the block (every copy): not trained, like a
    frozen block's (0 while its shapes are unknown)."""
    if not _any_frozen(params):
        return 0
    try:
        steps = passes(params, tuple(shape))
    except BlockError:
        return 0
    total = 0
    for _, g, a in steps:
        for nid, node in g.nodes.items():
            info = a.info.get(nid)
            if info is None or info.out is None:
                continue
            if node.frozen:
                total += info.out.params
            elif node.type == TYPE:
                total += frozen_params(node.params, info.in_shapes[0])
    return total


def _any_frozen(params: dict) -> bool:
    return any(n.get("frozen") or (n.get("type") == TYPE and _any_frozen(n.get("params", {})))
               for n in params.get("graph", {}).get("nodes", []))


def _build(params, shapes):
    import torch.nn as nn
    from ..compiler import compile_graph
    nets = [compile_graph(g, a) for _, g, a in passes(params, tuple(shapes[0]))]
    return nets[0] if len(nets) == 1 else nn.Sequential(*nets)


def _explain(params, shapes, out: Out) -> list[str]:
    p = full_params(params)
    steps = passes(p, tuple(shapes[0]))
    lines = [f"your block {p['name']}: {len(p['graph']['nodes']) - 1} layer(s)"
             + (f", repeated {p['repeat']} times (each copy with its own weights)" if p["repeat"] > 1 else "")]
    for i, (_, g, a) in enumerate(steps, 1):
        if p["repeat"] > 1:
            lines.append(f"  repeat {i}:")
        for nid in a.order:
            node, o = g.nodes[nid], a.info[nid].out
            if node.type != "Input":
                lines.append(f"    {nid} ({display_type(node.type, node.params)}) → [{', '.join(map(str, o.shape))}], "
                             f"{o.params:,} params")
    for key in p["expose"]:
        lines.append(f"  {key} = {p['values'].get(key)} sets " + ", ".join(f"{n}.{q}" for n, q in p["expose"][key]))
    lines.append(f"total parameters {out.params:,}")
    return lines


def custom_inner_layers(params: dict, in_shape) -> list[str]:
    """One line per inner layer (of the first copy), for the expanded block on the canvas."""
    p = full_params(params)
    try:
        steps = passes(p, tuple(in_shape)) if in_shape else []
    except BlockError:
        steps = []
    if not steps:
        return [f"{n['id']}: {n['type']}" for n in p["graph"]["nodes"] if n["type"] != "Input"]
    _, g, a = steps[0]
    lines = []
    for nid in a.order:
        node, o = g.nodes[nid], a.info[nid].out
        if node.type != "Input":
            what = label(node.params) if node.type == TYPE else f"{nid}: {node.type}"
            lines.append(f"{what} → {'×'.join(map(str, o.shape))}")
    if p["repeat"] > 1:
        lines.append(f"… ×{p['repeat']} in a row")
    return lines


register(BlockSpec(
    type=TYPE, category="Composite",
    help="A block of your own: a named group of layers (select blocks → Make block); "
         "repeat runs it N times in a row.",
    params=(Param("repeat", "int", 1, "How many copies run in a row (each with its own weights).",
                  1, MAX_REPEAT, key=True),),
    infer=_infer, build=_build, explain=_explain))
