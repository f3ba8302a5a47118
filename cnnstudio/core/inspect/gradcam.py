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
    return grad_cams(net, np.asarray(image)[None], [target], node, activation)[0]


BATCH_VALUES = 1 << 18  # input values a forward at most: 24 MNIST digits at once, a 224² RGB photo alone


def grad_cams(net, images, targets=None, node: str | None = None,
              activation: str = "none") -> list[tuple[np.ndarray, str, int]]:
    """grad_cam for each of several samples (N×…), a batch of them a forward and a backward: each
    sample's maps and gradient are its own (the network is in eval mode), so 24 digits take
    about what one does. targets: one per sample (None: the predicted class)."""
    images = np.asarray(images, dtype=np.float32)
    if not len(images):
        return []
    targets = list(targets) if targets is not None else [None] * len(images)
    step = max(1, BATCH_VALUES // max(1, images[0].size))
    return [cam for i in range(0, len(images), step)
            for cam in _batch(net, images[i:i + step], targets[i:i + step], node, activation)]


def _batch(net, images, targets, node, activation) -> list[tuple[np.ndarray, str, int]]:
    import torch

    x = torch.as_tensor(images)
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
            y = y.reshape(len(x), -1).float()
            scores = []
            for i, target in enumerate(targets):
                if y.shape[1] == 1:
                    targets[i] = int(y[i, 0].item() > 0) if target is None else target
                    scores.append(y[i, 0] if targets[i] == 1 else -y[i, 0])
                else:
                    targets[i] = int(y[i].argmax()) if target is None else target
                    scores.append(y[i, targets[i]])
            acts = outs[node]
            (grads,) = torch.autograd.grad(torch.stack(scores).sum(), acts)
    finally:
        net.train(was_training)
    spatial = tuple(range(2, acts.dim()))
    weights = grads.mean(dim=spatial)  # one weight per sample and channel: its average gradient
    cams = torch.relu((weights.view(*weights.shape, *[1] * len(spatial)) * acts).sum(1)).detach().float().cpu()
    return [(_heat(cam, x.shape[2:]), node, target) for cam, target in zip(cams, targets)]


def _heat(cam, size) -> np.ndarray:
    """One sample's map scaled to [0, 1] at the input's size."""
    import torch

    top = cam.max()
    cam = cam / top if top > 0 else cam
    if cam.dim() == 2:
        return np.clip(resize_bilinear(cam.numpy(), *size), 0, 1)
    mode = "linear" if cam.dim() == 1 else "trilinear"
    big = torch.nn.functional.interpolate(cam[None, None], size=tuple(size), mode=mode, align_corners=False)
    return np.clip(big[0, 0].numpy(), 0, 1)
