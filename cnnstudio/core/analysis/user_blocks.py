"""Analysing a user block: its inner graph checked as it runs, once per repeat, its totals,
explanation and expanded lines. Registered with the catalogue's Custom block on import
(blocks/custom.py keeps only the block's structure).

Results are cached by the params' text and the input shape, so copies of one block fed the
same shape infer once; the copies of a repeat share one inner graph, whose blocks remember
their results (bench/user_blocks.py).
"""
from __future__ import annotations

import json
from collections import OrderedDict

from ..blocks.custom import (MAX_UNROLLED, TYPE, display_type, effective_graph_doc, full_params, label,
                             params_from_graph_doc, provide, unrolled)
from ..blocks.spec import BlockError, Fix, Out, prod
from ..graph.doc import ProjectError, graph_from_doc, graph_to_doc
from .checks import analyze
from .fixes import fix_command

_CACHE: OrderedDict = OrderedDict()  # (params text, input shape) → Out or BlockError
_CACHE_SIZE = 512


# --- the inner graph ----------------------------------------------------------------------

def inner_graph(params: dict, shape=None):
    """The inner Graph as it runs (exposed values set), its Input fed `shape` when given."""
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


def _key(params: dict, shape) -> tuple:
    return json.dumps(params, sort_keys=True, default=str), tuple(shape)


def passes(params: dict, shape) -> list:
    """[(input shape, inner Graph, its Analysis)] for each repeat, while the shapes are known;
    raises BlockError for the first inner problem (pinned to this block, naming the inner layer)."""
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



provide(infer=_infer, explain=_explain, inner_layers=custom_inner_layers)
