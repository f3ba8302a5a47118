"""Making an imported graph readable, on every import path (torch.fx and ONNX): blocks that do
nothing and branches nothing uses are dropped; Conv2d → BatchNorm2d → activation becomes one
ConvBNAct; a lone activation after a Conv2d or Linear becomes its `activation` option; then the
composite patterns (fold_composites.py). Weights keep their order. → notes for the user."""
from __future__ import annotations

from ..blocks.activations import ACTIVATIONS
from .builder import BuildGraph

ACT_OF_BLOCK = {cls: name for name, (cls, _) in ACTIVATIONS.items()}


def fold(b: BuildGraph) -> list[str]:
    from .fold_composites import fold_composites
    notes = drop_idle(b)
    fold_silu(b)
    fold_conv_bn_act(b)
    fold_activations(b)
    notes += fold_composites(b)
    return notes


def _idle(b: BuildGraph, nid) -> bool:
    type_, p = b.full(nid)
    return type_ == "Identity" or type_ in ("Dropout", "Dropout2d", "StochasticDepth") and p["p"] == 0


def drop_idle(b: BuildGraph) -> list[str]:
    """No-op blocks (Identity, dropout with p = 0) and blocks whose output nothing uses."""
    idle = [nid for nid in list(b.nodes) if b.nodes[nid][0] != "Input" and _idle(b, nid)
            and len(b.inputs_of(nid)) == 1]
    for nid in idle:
        b.bypass(nid)
    reach, todo = set(), [b.output] if b.output else []
    while todo:
        n = todo.pop()
        if n not in reach:
            reach.add(n)
            todo += b.inputs_of(n)
    dead = [n for n in b.nodes if n not in reach and b.nodes[n][0] != "Input"]
    for n in dead:
        del b.nodes[n], b.sources[n]
    b.edges = [(s, t) for s, t in b.edges if s in b.nodes and t in b.nodes]
    notes = [f"left out {len(idle)} block(s) that change nothing (Identity, dropout with p = 0)"] if idle else []
    if dead:
        notes.append(f"left out {len(dead)} block(s) whose result the model never uses: {', '.join(dead)}")
    return notes


def fold_silu(b: BuildGraph) -> None:
    """x · sigmoid(x), as ONNX exporters write SiLU (Swish) → one SiLU block."""
    for mul in list(b.nodes):
        if mul not in b.nodes or b.nodes[mul] != ("Mul", {}) or len(b.inputs_of(mul)) != 2:
            continue
        x, s = b.inputs_of(mul)
        if b.nodes[x] == ("Sigmoid", {}):
            x, s = s, x
        if b.nodes[s] == ("Sigmoid", {}) and b.inputs_of(s) == [x] and b.only_next(s) == mul:
            b.replace([s, mul], [x], "SiLU", {}, [])


def plain_act(b: BuildGraph, nid) -> str | None:
    """The activation name of a parameterless activation block."""
    if nid is None or nid not in b.nodes:
        return None
    type_, params = b.nodes[nid]
    defaults = {"LeakyReLU": {"negative_slope": 0.01}, "ELU": {"alpha": 1.0}}.get(type_, {})
    return ACT_OF_BLOCK.get(type_) if all(defaults.get(k) == v for k, v in params.items()) else None


def fold_conv_bn_act(b: BuildGraph) -> None:
    for nid in list(b.nodes):
        if nid not in b.nodes:
            continue
        type_, p = b.full(nid)
        if type_ != "Conv2d" or p["padding_mode"] != "zeros" or p["activation"] != "none":
            continue
        bn = b.only_next(nid)
        if bn is None or b.nodes[bn][0] != "BatchNorm2d":
            continue
        bp = b.full(bn)[1]
        if not (bp["affine"] and bp["track_running_stats"]):
            continue
        act = b.only_next(bn)
        act = act if plain_act(b, act) else None
        params = {k: v for k, v in p.items() if k not in ("padding_mode", "activation")}
        params.update(eps=bp["eps"], momentum=bp["momentum"], activation=plain_act(b, act) if act else "none")
        chain = [nid, bn] + ([act] if act else [])
        b.replace(chain, b.inputs_of(nid), "ConvBNAct", params, [s for n in chain for s in b.sources[n]])


def fold_activations(b: BuildGraph) -> None:
    for nid in list(b.nodes):
        if nid not in b.nodes or not plain_act(b, nid):
            continue
        src = b.inputs_of(nid)
        if len(src) == 1 and b.nodes[src[0]][0] in ("Conv2d", "Linear") and b.only_next(src[0]) == nid \
                and b.full(src[0])[1]["activation"] == "none":
            type_, p = b.nodes[src[0]]
            b.replace([src[0], nid], b.inputs_of(src[0]), type_, {**p, "activation": plain_act(b, nid)},
                      b.sources[src[0]])
