"""Which input pixels one unit of a feature map can see: its receptive field, exactly,
walked back through the graph layer by layer (padding, stride, dilation, merges). Pure
Python, from the block parameters; no torch."""
from __future__ import annotations

from ..blocks.conv import conv_padding
from ..blocks.spec import pair
from ..checks import Analysis
from ..graph import Graph

Box = tuple  # (y0, y1, x0, x1), inclusive, in input pixels


def _window(lo: int, hi: int, k: int, s: int, p: int, d: int = 1) -> tuple[int, int]:
    return lo * s - p, hi * s - p + d * (k - 1)


def _back(node, lo: int, hi: int, axis: int, in_size: int, out_size: int) -> tuple[int, int]:
    """Output rows (axis 0) or columns (axis 1) lo…hi of `node` → the input span they read."""
    t, prm = node.type, node.params
    if t == "Conv2d":
        k, s, d = pair(prm["kernel_size"]), pair(prm["stride"]), pair(prm["dilation"])
        p, _ = conv_padding(prm, k, d)
        return _window(lo, hi, k[axis], s[axis], p[axis], d[axis])
    if t in ("MaxPool2d", "AvgPool2d"):
        k = pair(prm["kernel_size"])
        s = pair(prm["stride"]) if prm.get("stride") is not None else k
        return _window(lo, hi, k[axis], s[axis], pair(prm["padding"])[axis])
    if t == "AdaptiveAvgPool2d":
        return lo * in_size // out_size, -(-(hi + 1) * in_size // out_size) - 1
    if t == "ResidualBlock":
        s = prm["stride"]
        if prm["kind"] == "bottleneck":  # 1×1, 3×3 (stride), 1×1
            return _window(lo, hi, 3, s, 1)
        lo, hi = _window(lo, hi, 3, 1, 1)  # second 3×3
        return _window(lo, hi, 3, s, 1)  # first 3×3 (stride)
    if t == "InceptionBlock":  # the widest branch is 1×1 then 5×5 (padding 2)
        return lo - 2, hi + 2
    return lo, hi  # per-pixel layers: BatchNorm, dropout, activations, Add, Concat


def receptive_field(graph: Graph, analysis: Analysis, node_id: str, y: int = 0, x: int = 0) -> Box | None:
    """The input box (y0, y1, x0, x1), clipped to the image, that unit (y, x) of `node_id`'s
    output depends on. A flat layer (after Flatten) sees the whole image. None when the
    graph has no usable input."""
    info = analysis.info
    inputs = [n for n in analysis.order if graph.nodes[n].type == "Input" and info[n].out]
    if not inputs or node_id not in info or info[node_id].out is None:
        return None
    _, ih, iw = info[inputs[0]].shape
    regions: dict[str, Box] = {node_id: (y, y, x, x)}
    for nid in reversed(analysis.order):
        if nid not in regions:
            continue
        node, out_shape = graph.nodes[nid], info[nid].shape
        srcs = graph.inputs_of(nid)
        if not srcs:
            continue
        y0, y1, x0, x1 = regions[nid]
        for s in srcs:
            in_shape = info[s].shape
            if in_shape is None:
                continue
            if len(out_shape) != 3 or len(in_shape) != 3:
                box = None  # a flat value mixes everything upstream
            else:
                a, b = _back(node, y0, y1, 0, in_shape[1], out_shape[1])
                c, d = _back(node, x0, x1, 1, in_shape[2], out_shape[2])
                box = (a, b, c, d)
            regions[s] = _union(regions.get(s), box, in_shape)
    region = regions.get(inputs[0])
    if region is None:
        return None
    y0, y1, x0, x1 = region
    return max(y0, 0), min(y1, ih - 1), max(x0, 0), min(x1, iw - 1)


def _union(old: Box | None, new: Box | None, shape) -> Box:
    if new is None:  # whole tensor
        new = (0, shape[1] - 1, 0, shape[2] - 1) if len(shape) == 3 else (0, 0, 0, 0)
    if old is None:
        return new
    return min(old[0], new[0]), max(old[1], new[1]), min(old[2], new[2]), max(old[3], new[3])
