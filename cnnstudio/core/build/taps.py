"""What a compiled network holds and computes, as numpy: every block's output for one sample,
and its convolutions' weights. Shared by inspection and by training's epoch timeline."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ConvLayer:
    label: str  # node id, or "node.part" for a conv inside a composite block
    node: str  # the graph node it belongs to
    weight: np.ndarray  # K × C × kh × kw (K × C × k for 1-D, K × C × kd × kh × kw for 3-D), float32


def activations(net, image) -> dict[str, np.ndarray]:
    """{node id: output of that node for `image`} (C×H×W, C×L, C×D×H×W or N floats, batch removed).

    `image` is one sample (tensor or array), already normalised as the net expects.
    """
    import torch

    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None]
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            device = next((p.device for p in net.parameters()), torch.device("cpu"))
            outs = net(x.to(device), return_all=True)
    finally:
        net.train(was_training)
    return {nid: t[0].detach().float().cpu().numpy() for nid, t in outs.items()}


def conv_layers(net, first_only: bool = False) -> list[ConvLayer]:
    """Every convolution (1-D, 2-D, 3-D, deformable) in a CompiledNet (or just the first), in
    graph order, weights as numpy. A deformable block's offset predictor is left out."""
    by_module = {name: nid for nid, name in net.node_names.items()}
    out = []
    for name, mod in net.named_modules():
        if type(mod).__name__ not in ("Conv1d", "Conv2d", "Conv3d", "DeformConv2d") or not name:
            continue
        if name.endswith(".offset"):
            continue
        top, _, rest = name.partition(".")
        nid = by_module.get(top, top)
        w = mod.weight.detach().float().cpu().numpy()
        out.append(ConvLayer(nid if not rest else f"{nid}.{rest}", nid, w))
        if first_only:
            break
    return out
