"""Grad-CAM (Selvaraju et al., 2017): where in the image the evidence for a class lies,
from a spatial layer's maps weighted by the class score's average gradient. The same for
signals (where along the signal) and volumes (where in the volume)."""
from __future__ import annotations

import numpy as np

from .mosaic import resize_bilinear


def output_node(net) -> str:
    """The node id whose output is the net's output."""
    return next(n for n, m in net.node_names.items() if m == net._output)


CONVS = ("Conv1d", "Conv2d", "Conv3d", "DeformConv2d")


def last_spatial_node(outs: dict, net=None, rank: int = 4) -> str | None:
    """The layer Grad-CAM uses by default: the last convolution (or block holding one)
    whose output still has height and width — as in the paper; the last spatial layer
    of any kind when there is no convolution."""
    import torch.nn as nn

    spatial = [n for n, t in outs.items() if t.dim() == rank and t.requires_grad]
    if net is not None:
        mods = net._modules
        convs = [n for n in spatial if any(isinstance(m, nn.Module) and type(m).__name__ in CONVS
                                           for m in mods[net.node_names[n]].modules())]
        if convs:
            return convs[-1]
    return spatial[-1] if spatial else None


def _capture_logits(net, activation: str) -> dict:
    """The head's output before its own softmax/sigmoid (a saturated probability has no
    gradient): hooked on the head layer when the compiler applies the activation after it."""
    found: dict = {"remove": lambda: None}
    name = net._output
    if activation in ("softmax", "sigmoid") and name in net.activations:
        handle = net._modules[name].register_forward_hook(lambda m, i, out: found.__setitem__("y", out))
        found["remove"] = handle.remove
    return found


def _head_input(net) -> str | None:
    """For a standalone Softmax/Sigmoid output block, the node that feeds it."""
    by_module = {m: n for n, m in net.node_names.items()}
    for name, _, sources in net._plan:
        if name == net._output and type(net._modules[name]).__name__ in ("Softmax", "Sigmoid") and sources:
            return by_module[sources[0]]
    return None


def grad_cam(net, image, target: int | None = None, node: str | None = None,
             activation: str = "none") -> tuple[np.ndarray, str, int]:
    """(heat map in [0, 1] at the input's size — H×W, L for a signal, D×H×W for a volume —,
    the layer used, the class explained). `image` is one sample.

    target: class to explain (default: the predicted one). With one output (a binary
    classifier) class 1 is the output itself and class 0 its negative. node: a layer with
    a spatial output (default: the last convolution). Raises ValueError with a clear message when
    the net has no spatial layer. activation: the head's own final softmax/sigmoid; the
    score is then taken before it, as a logit that does not saturate.
    """
    import torch

    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None]
    device = next((p.device for p in net.parameters()), torch.device("cpu"))
    was_training = net.training
    net.eval()
    try:
        with torch.enable_grad():
            logits = _capture_logits(net, activation)
            try:
                outs = net(x.to(device), return_all=True)
            finally:
                logits["remove"]()
            node = node or last_spatial_node(outs, net, x.dim())
            if node is None or node not in outs or outs[node].dim() != x.dim() or not outs[node].requires_grad:
                raise ValueError(f"Grad-CAM needs a layer with a spatial output (like its input's); "
                                 f"{node or 'this network'} has none after the input. Pick a convolution or pooling layer.")
            y = logits.get("y")
            if y is None:  # a standalone Softmax/Sigmoid block: its input is the logit
                y = outs[_head_input(net) or output_node(net)]
            y = y.reshape(1, -1)[0].float()
            if y.numel() == 1:
                target = int(y.item() > 0) if target is None else target
                score = y[0] if target == 1 else -y[0]
            else:
                target = int(y.argmax()) if target is None else target
                score = y[target]
            acts = outs[node]
            (grads,) = torch.autograd.grad(score, acts)
    finally:
        net.train(was_training)
    spatial = tuple(range(1, acts.dim() - 1))
    weights = grads[0].mean(dim=spatial)  # one weight per channel: average gradient
    cam = torch.relu((weights.view(-1, *[1] * len(spatial)) * acts[0]).sum(0)).detach().float().cpu()
    top = cam.max()
    cam = cam / top if top > 0 else cam
    if cam.dim() == 2:
        h, w = x.shape[2:]
        return np.clip(resize_bilinear(cam.numpy(), h, w), 0, 1), node, target
    mode = "linear" if cam.dim() == 1 else "trilinear"
    big = torch.nn.functional.interpolate(cam[None, None], size=tuple(x.shape[2:]), mode=mode, align_corners=False)
    return np.clip(big[0, 0].numpy(), 0, 1), node, target
