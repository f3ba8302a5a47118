"""Which input values one unit of a feature map can see: its receptive field, exactly,
walked back through the graph layer by layer (padding, stride, dilation, merges,
transposed convolution, upsampling). Pure Python, from the block parameters; no torch.
Works for signals, images and volumes: one (first, last) span per spatial axis."""
from __future__ import annotations

from ..blocks.conv_nd import conv_pads
from ..blocks.spec import ntuple
from ..analysis import Analysis
from ..graph import Graph

Box = tuple  # image: (y0, y1, x0, x1); signal: (l0, l1); volume: (d0, d1, y0, y1, x0, x1); inclusive


def _window(lo: int, hi: int, k: int, s: int, p: int, d: int = 1) -> tuple[int, int]:
    return lo * s - p, hi * s - p + d * (k - 1)


def _back(node, lo: int, hi: int, axis: int, nd: int, in_size: int, out_size: int) -> tuple[int, int]:
    """Output positions lo…hi along `axis` of `node` → the input span they read."""
    t, prm = node.type, node.params
    if t in ("Conv1d", "Conv2d", "Conv3d", "DeformConv2d"):  # deformable: its taps before they move
        k, s, d = (ntuple(prm[n], nd) for n in ("kernel_size", "stride", "dilation"))
        p = conv_pads(prm, k, d)[0] if t != "DeformConv2d" else ntuple(prm["padding"], nd)
        return _window(lo, hi, k[axis], s[axis], p[axis], d[axis])
    if t[:-2] in ("MaxPool", "AvgPool"):
        k = ntuple(prm["kernel_size"], nd)
        s = ntuple(prm["stride"], nd) if prm.get("stride") is not None else k
        return _window(lo, hi, k[axis], s[axis], ntuple(prm["padding"], nd)[axis])
    if t[:-2] == "AdaptiveAvgPool":
        return lo * in_size // out_size, -(-(hi + 1) * in_size // out_size) - 1
    if t == "ConvTranspose2d":  # output o = i·S − P + D·j for input i and tap j
        k, s, p, d = (ntuple(prm[n], nd)[axis] for n in ("kernel_size", "stride", "padding", "dilation"))
        return -(-(lo + p - d * (k - 1)) // s), (hi + p) // s
    if t == "Upsample":  # nearest reads ⌊o/f⌋; interpolation its neighbours too (more when shrinking)
        f = prm["scale_factor"]
        extra = 0 if prm["mode"] == "nearest" else 1 + int(1 / f) + (prm["mode"] == "bicubic")
        return int(lo // f) - extra, int(hi // f) + extra
    if t == "ResidualBlock":
        s = prm["stride"]
        if prm["kind"] == "bottleneck":  # 1×1, 3×3 (stride), 1×1
            return _window(lo, hi, 3, s, 1)
        lo, hi = _window(lo, hi, 3, 1, 1)  # second 3×3
        return _window(lo, hi, 3, s, 1)  # first 3×3 (stride)
    if t == "InceptionBlock":  # the widest branch is 1×1 then 5×5 (padding 2)
        return lo - 2, hi + 2
    return lo, hi  # per-position layers: BatchNorm, dropout, activations, Add, Concat


def receptive_field(graph: Graph, analysis: Analysis, node_id: str, *unit: int) -> Box | None:
    """The input box, clipped to the input, that the unit at position `unit` (y, x for an
    image; l for a signal; z, y, x for a volume; zeros when left out) of `node_id`'s output
    depends on. A flat layer (after Flatten) sees the whole input. None when the graph has
    no usable input."""
    info = analysis.info
    inputs = [n for n in analysis.order if graph.nodes[n].type == "Input" and info[n].out]
    if not inputs or node_id not in info or info[node_id].out is None:
        return None
    in_size = info[inputs[0]].shape[1:]
    nd = len(in_size)
    pos = tuple(unit) + (0,) * (len(info[node_id].shape) - 1 - len(unit))
    regions: dict[str, tuple] = {node_id: tuple((v, v) for v in pos)}
    for nid in reversed(analysis.order):
        if nid not in regions:
            continue
        node, out_shape = graph.nodes[nid], info[nid].shape
        for s in graph.inputs_of(nid):
            in_shape = info[s].shape
            if in_shape is None:
                continue
            if len(out_shape) != nd + 1 or len(in_shape) != nd + 1:
                box = None  # a flat value mixes everything upstream
            else:
                box = tuple(_back(node, lo, hi, a, nd, in_shape[1 + a], out_shape[1 + a])
                            for a, (lo, hi) in enumerate(regions[nid]))
            regions[s] = _union(regions.get(s), box, in_shape, nd)
    region = regions.get(inputs[0])
    if region is None:
        return None
    return tuple(v for (lo, hi), n in zip(region, in_size) for v in (max(lo, 0), min(hi, n - 1)))


def _union(old, new, shape, nd: int) -> tuple:
    if new is None:  # whole tensor
        new = tuple((0, n - 1) for n in shape[1:]) if len(shape) == nd + 1 else ((0, 0),) * nd
    if old is None:
        return new
    return tuple((min(a[0], b[0]), max(a[1], b[1])) for a, b in zip(old, new))
