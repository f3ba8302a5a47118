"""Composite patterns in an imported graph → composite blocks, whatever wrote the model:
basic and bottleneck residual blocks (ResidualBlock; with squeeze-excitation, RegNetBlock),
expand → depthwise → squeeze-excitation → project (InvertedResidual), ConvNeXt's
depthwise 7×7 → LayerNorm → MLP → layer scale (ConvNeXtBlock) and ShuffleNetV2's split →
branches → concatenate → shuffle (ShuffleUnit). A pattern folds only when the
composite computes exactly what the blocks did; its sources are listed in the order its torch
module registers its tensors."""
from __future__ import annotations

from ..analysis import analyze
from .builder import BuildGraph


def fold_composites(b: BuildGraph) -> list[str]:
    a = analyze(b.graph())
    if not a.ok:
        return []
    shapes = {nid: tuple(a.info[nid].shape) for nid in b.nodes if nid in a.info}
    counts: dict = {}
    for rule in (_inverted, _residual, _convnext, _shuffle):
        for nid in list(b.nodes):
            if nid in b.nodes:
                made = rule(b, nid, shapes)
                if made:
                    counts[made] = counts.get(made, 0) + 1
    return [f"folded {n} {t} pattern(s) into {t} blocks" for t, n in counts.items()]


def _p(b, nid, type_, **want):
    """`nid`'s params if it is a `type_` block with these values, else None."""
    if nid is None or nid not in b.nodes or b.nodes[nid][0] != type_:
        return None
    p = b.full(nid)[1]
    return p if all(_same(p[k], v) for k, v in want.items()) else None


def _same(have, want) -> bool:
    if isinstance(have, list) and len(set(have)) == 1:
        have = have[0]
    if isinstance(have, float) and isinstance(want, float):  # ONNX stores eps as float32
        return abs(have - want) <= 1e-6 * max(abs(want), 1e-12)
    return have == want


def _one_in(b, nid):
    ins = b.inputs_of(nid)
    return ins[0] if len(ins) == 1 else None


def _done(b, inside, entry, type_, params, sources, shapes) -> str:
    exit_shape = shapes.get(inside[-1])
    first = b.replace(inside, [entry], type_, params, sources)
    shapes[first] = exit_shape
    return type_


def _se(b, mul):
    """A squeeze-excitation ending at the Mul `mul`: (features, [blocks], width, act, gate, sources)."""
    if mul is None or mul not in b.nodes or b.nodes[mul][0] != "Mul" or len(b.inputs_of(mul)) != 2:
        return None
    for d, g in (b.inputs_of(mul), b.inputs_of(mul)[::-1]):
        blocks = []
        gate = b.nodes[g][0]
        if gate in ("Sigmoid", "Hardsigmoid") and not b.nodes[g][1]:
            blocks, c2, gate = [g], _one_in(b, g), gate.lower()
            fc2 = _p(b, c2, "Conv2d", kernel_size=1, stride=1, padding=0, groups=1, bias=True, activation="none")
        else:
            c2 = g
            fc2 = _p(b, c2, "Conv2d", kernel_size=1, stride=1, padding=0, groups=1, bias=True)
            gate = fc2["activation"] if fc2 else None
        if fc2 is None or gate not in ("sigmoid", "hardsigmoid") or b.only_next(c2) != (blocks or [mul])[0]:
            continue
        c1 = _one_in(b, c2)
        fc1 = _p(b, c1, "Conv2d", kernel_size=1, stride=1, padding=0, groups=1, bias=True)
        pool = _one_in(b, c1) if fc1 else None
        if fc1 is None or fc1["activation"] == "none" or b.only_next(c1) != c2 or \
                _p(b, pool, "AdaptiveAvgPool2d", output_size=1) is None or b.only_next(pool) != c1 or \
                _one_in(b, pool) != d or sorted(b.outputs_of(d)) != sorted([pool, mul]):
            continue
        return d, [pool, c1, c2] + blocks + [mul], fc1["out_channels"], fc1["activation"], gate, \
            b.sources[c1] + b.sources[c2]
    return None


def _cba(b, nid, **want):
    """A ConvBNAct, or where the exporter folded BatchNorm away (b.restore_bn) a Conv2d with a bias."""
    if b.restore_bn and nid in b.nodes and b.nodes[nid][0] == "Conv2d":
        p = _p(b, nid, "Conv2d", padding_mode="zeros", dilation=1)
        p = p and {**p, "bias": False, "eps": 1e-5, "momentum": 0.1}
        return p if p and all(_same(p[k], v) for k, v in want.items()) else None
    return _p(b, nid, "ConvBNAct", bias=False, dilation=1, **want)


def _src(b, nids) -> list:
    return [s for n in nids for s in b.as_cba_sources(n)]


def _inverted(b: BuildGraph, nid, shapes) -> str | None:
    """[expand 1×1] → depthwise k×k → [squeeze-excitation] → project 1×1 [→ drop path → + input]."""
    proj = _cba(b, nid, kernel_size=1, stride=1, padding=0, groups=1, activation="none")
    if proj is None:
        return None
    prev = _one_in(b, nid)
    se = _se(b, prev)
    dw_id = se[0] if se else prev
    e = shapes.get(dw_id, (0,))[0]
    dw = _cba(b, dw_id, groups=e, out_channels=e)
    if dw is None or dw["activation"] == "none" or not isinstance(dw["kernel_size"], int) or \
            dw["padding"] != (dw["kernel_size"] - 1) // 2 or not isinstance(dw["stride"], int) or \
            (se is None and b.only_next(dw_id) != nid):
        return None
    pre = _one_in(b, dw_id)
    exp = _cba(b, pre, kernel_size=1, stride=1, padding=0, groups=1, activation=dw["activation"])
    if exp is not None and b.only_next(pre) == dw_id and shapes[_one_in(b, pre)][0] != e:
        inside, x = [pre, dw_id], _one_in(b, pre)
    else:
        exp, inside, x = None, [dw_id], pre
    cin, cout, s = shapes[x][0], proj["out_channels"], dw["stride"]
    norms = {(q["eps"], q["momentum"]) for q in (exp, dw, proj) if q}
    if len(norms) != 1:
        return None
    tail, drop = [], 0.0
    nxt = b.only_next(nid)
    sd = _p(b, nxt, "StochasticDepth", mode="row")
    if sd is not None:
        tail, drop, nxt = [nxt], sd["p"], b.only_next(nxt)
    residual = _p(b, nxt, "Add") is not None and sorted(b.inputs_of(nxt)) == sorted([(tail or [nid])[-1], x])
    if residual != (s == 1 and cin == cout) or tail and not residual:
        return None
    eps, momentum = norms.pop()
    params = {"out_channels": cout, "kernel_size": dw["kernel_size"], "stride": s, "expanded": e,
              "activation": dw["activation"], "eps": eps, "momentum": momentum, "drop_path": drop, "se_channels": 0}
    inside += (se[1] if se else []) + [nid] + tail + ([nxt] if residual else [])
    sources = _src(b, [pre] if exp else []) + _src(b, [dw_id]) + (se[5] if se else []) + _src(b, [nid])
    if se:
        params.update(se_channels=se[2], se_activation=se[3], se_gate=se[4])
    return _done(b, inside, x, "InvertedResidual", params, sources, shapes)


def _residual(b: BuildGraph, nid, shapes) -> str | None:
    """x → convs (+ squeeze-excitation) → + shortcut (x or a 1×1 projection) → ReLU."""
    if b.nodes[nid][0] != "Add" or len(b.inputs_of(nid)) != 2:
        return None
    relu = b.only_next(nid)
    if relu is None or b.nodes[relu] != ("ReLU", {}):
        return None
    for main, sc in (b.inputs_of(nid), b.inputs_of(nid)[::-1]):
        made = _residual_from(b, nid, relu, main, sc, shapes)
        if made:
            return made
    return None


def _residual_from(b, add, relu, main, sc, shapes):  # noqa: C901 - one check per part of the pattern
    norm = dict(eps=1e-5, momentum=0.1)
    last = _cba(b, main, stride=1, groups=1, activation="none", **norm)
    if last is None or b.only_next(main) != add:
        return None
    prev = _one_in(b, main)
    se = _se(b, prev) if last["kernel_size"] == 1 else None
    mid_id = se[0] if se else prev
    k_mid = 3
    mid = _cba(b, mid_id, kernel_size=k_mid, padding=1, activation="relu", **norm)
    if mid is None or (se is None and b.only_next(mid_id) != main):
        return None
    if last["kernel_size"] == 1:
        first_id = _one_in(b, mid_id)
        first = _cba(b, first_id, kernel_size=1, stride=1, padding=0, groups=1, activation="relu", **norm)
        if first is None or b.only_next(first_id) != mid_id:
            return None
        chain, x, kind = [first_id, mid_id] + (se[1] if se else []) + [main], _one_in(b, first_id), "bottleneck"
    elif last["kernel_size"] == 3 and last["padding"] == 1 and mid["groups"] == 1:
        chain, x, kind, first = [mid_id, main], _one_in(b, mid_id), "basic", None
    else:
        return None
    cin, cout, s = shapes[x][0], last["out_channels"], mid["stride"]
    if not isinstance(s, int):
        return None
    if sc == x:
        proj = []
    elif _cba(b, sc, kernel_size=1, stride=s, padding=0, groups=1, activation="none", **norm) and \
            _one_in(b, sc) == x and b.only_next(sc) == add:
        proj = [sc]
    else:
        return None
    if bool(proj) != (s != 1 or cin != cout):
        return None
    inside = chain + proj + [add, relu]
    convs = [first_id] if kind == "bottleneck" else []
    convs += [mid_id, main]
    if se is None:
        width = 0 if kind == "basic" or first["out_channels"] == cout // 4 else first["out_channels"]
        params = {"out_channels": cout, "stride": s, "kind": kind}
        if kind == "bottleneck":
            params.update(groups=mid["groups"], width=width)
        sources = _src(b, convs + proj)
        return _done(b, inside, x, "ResidualBlock", params, sources, shapes)
    w = first["out_channels"]
    if w != cout or se[3] != "relu" or se[4] != "sigmoid" or int(round(se[2] / cin * cin)) != se[2]:
        return None
    params = {"out_channels": cout, "stride": s, "group_width": w // mid["groups"], "se_ratio": se[2] / cin}
    sources = _src(b, proj + [first_id, mid_id]) + se[5] + _src(b, [main])
    return _done(b, inside, x, "RegNetBlock", params, sources, shapes)


def _convnext(b: BuildGraph, nid, shapes) -> str | None:
    """x → depthwise 7×7 → LayerNorm2d → 1×1 (4C, GELU) → 1×1 (C) → layer scale [→ drop path] → + x."""
    if b.nodes[nid][0] != "Add" or len(b.inputs_of(nid)) != 2:
        return None
    for main, x in (b.inputs_of(nid), b.inputs_of(nid)[::-1]):
        tail, drop, at = [], 0.0, main
        sd = _p(b, at, "StochasticDepth", mode="row")
        if sd is not None:
            tail, drop, at = [at], sd["p"], _one_in(b, at)
        ls = _p(b, at, "LayerScale")
        c = shapes.get(x, (0,))[0]
        fc2_id = _one_in(b, at) if ls else None
        fc2 = _p(b, fc2_id, "Conv2d", kernel_size=1, stride=1, padding=0, groups=1, bias=True, activation="none",
                 out_channels=c)
        fc1_id = _one_in(b, fc2_id) if fc2 else None
        fc1 = _p(b, fc1_id, "Conv2d", kernel_size=1, stride=1, padding=0, groups=1, bias=True, activation="gelu",
                 out_channels=4 * c)
        ln_id = _one_in(b, fc1_id) if fc1 else None
        ln = _p(b, ln_id, "LayerNorm2d", eps=1e-6)
        dw_id = _one_in(b, ln_id) if ln else None
        dw = _p(b, dw_id, "Conv2d", kernel_size=7, stride=1, padding=3, groups=c, bias=True, activation="none",
                out_channels=c, dilation=1, padding_mode="zeros")
        chain = [dw_id, ln_id, fc1_id, fc2_id, at] + tail
        if dw is None or _one_in(b, dw_id) != x or any(b.only_next(n) != m for n, m in zip(chain, chain[1:] + [nid])):
            continue
        sources = b.sources[at] + [s for n in (dw_id, ln_id, fc1_id, fc2_id) for s in b.sources[n]]
        # layer_scale is where training starts γ (the default); the imported γ comes with the weights
        return _done(b, chain + [nid], x, "ConvNeXtBlock", {"drop_path": drop}, sources, shapes)
    return None


def _chain(b, end, want: list, norm: dict):
    """The ConvBNActs ending at `end`, first to last as `want` describes them: (ids, its input)."""
    ids, at = [], end
    for w in reversed(want):
        if _cba(b, at, dilation=1, bias=False, **w, **norm) is None or ids and b.only_next(at) != ids[0]:
            return None, None
        ids.insert(0, at)
        at = _one_in(b, at)
    return ids, at


def _shuffle(b: BuildGraph, nid, shapes) -> str | None:
    """[split the channels in halves |] branch1 (stride 2: depthwise 3×3 → 1×1) and branch2
    (1×1 → depthwise 3×3 → 1×1) → concatenate → shuffle in 2 groups (torchvision's ShuffleNetV2)."""
    if _p(b, nid, "ChannelShuffle", groups=2) is None:
        return None
    cat = _one_in(b, nid)
    if _p(b, cat, "Concat") is None or len(b.inputs_of(cat)) != 2 or b.only_next(cat) != nid:
        return None
    a, last2 = b.inputs_of(cat)
    half = shapes.get(last2, (0,))[0]
    norm = dict(eps=1e-5, momentum=0.1)
    pw = dict(kernel_size=1, stride=1, padding=0, groups=1, activation="relu", out_channels=half)
    for s in (1, 2):
        dw = dict(kernel_size=3, stride=s, padding=1, groups=half, activation="none", out_channels=half)
        b2, x = _chain(b, last2, [pw, dw, pw], norm)
        if b2 is None or b.only_next(last2) != cat:
            continue
        if s == 1:
            split = x
            x = _one_in(b, split)
            if _p(b, split, "ChannelSlice", start=half, end=2 * half) is None or b.only_next(split) != b2[0] or \
                    _p(b, a, "ChannelSlice", start=0, end=half) is None or _one_in(b, a) != x or \
                    b.only_next(a) != cat or shapes.get(x, (0,))[0] != 2 * half:
                continue
            inside, b1 = [a, split], []
        else:
            c = shapes.get(x, (0,))[0]
            b1, x1 = _chain(b, a, [dict(kernel_size=3, stride=2, padding=1, groups=c, activation="none", out_channels=c),
                                   pw], norm)
            if b1 is None or x1 != x or b.only_next(a) != cat:
                continue
            inside = list(b1)
        sources = _src(b, b1 + b2)
        return _done(b, inside + b2 + [cat, nid], x, "ShuffleUnit", {"out_channels": 2 * half, "stride": s},
                     sources, shapes)
    return None
