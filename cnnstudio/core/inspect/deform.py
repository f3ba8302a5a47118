"""Where a deformable convolution looks: for one output unit, the input positions its taps
sample after their learned offsets (and, modulated, each tap's weight). Imports torch."""
from __future__ import annotations

import numpy as np


def sampling_points(net, node: str, image, y: int, x: int, group: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """(taps × 2 array of (row, column) positions on the deformable layer's input, the taps'
    mask values or None) for output unit (y, x) of the DeformConv2d block `node`. `image` is
    one network input; torchvision's offset layout: channel 2·(g·kh·kw + tap) is dy, +1 dx."""
    import torch

    block = net._modules[net.node_names[node]]
    conv = block.conv
    kh, kw = conv.kernel_size
    (sh, sw), (ph, pw), (dh, dw) = conv.stride, conv.padding, conv.dilation
    captured = {}
    handle = block.register_forward_pre_hook(lambda m, args: captured.__setitem__("x", args[0]))
    net.eval()
    try:
        with torch.no_grad():
            net(torch.as_tensor(np.asarray(image, np.float32))[None])
            offset, mask = block.offsets_and_mask(captured["x"])
    finally:
        handle.remove()
    taps = kh * kw
    o = offset[0, 2 * group * taps:2 * (group + 1) * taps, y, x].reshape(taps, 2).numpy()
    i, j = np.divmod(np.arange(taps), kw)
    grid = np.stack([y * sh - ph + i * dh, x * sw - pw + j * dw], 1).astype(np.float32)
    weights = None if mask is None else mask[0, group * taps:(group + 1) * taps, y, x].numpy()
    return grid + o, weights


def input_scale(analysis, graph, node: str) -> tuple[float, float]:
    """How many network-input pixels one position of `node`'s input spans (row, column)."""
    src = graph.inputs_of(node)[0]
    inputs = [n for n in analysis.order if graph.nodes[n].type == "Input"]
    ih, iw = analysis.info[inputs[0]].shape[1:3]
    h, w = analysis.info[src].shape[1:3]
    return ih / h, iw / w
