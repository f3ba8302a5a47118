"""Modules that behave like a mapped layer: another library's subclass of a torch layer whose
forward adds only an activation or a no-op (timm's BatchNormAct2d, LayerNorm2d, Linear, ...),
an activation written as its own class, DropPath. Each candidate is checked on a random input
(once per class and configuration) before it is trusted: a look-alike that computes something
else stays unmapped."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..blocks.activations import ACTIVATIONS, build_activation
from .modules_map import activation_name, block_for

_SEEN: dict = {}  # (class, configuration) → the blocks, or None


def blocks_for(m):
    """[(block type, params), ...] for a module kept whole (the first block but a Pad2d holds its
    tensors): its own block (modules_map.py), or the blocks it behaves like; or, for a layer whose
    padding depends on the input size, a function of that size giving them (or None)."""
    one = block_for(m)
    if one is not None:
        return [one]
    return behaves_like(m) or same_padding(m)


_SAME = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def same_padding(m):
    """TensorFlow's "SAME" padding worked out in forward from the input size (timm's Conv2dSame,
    MaxPool2dSame, AvgPool2dSame): → shape → [Pad2d where it is unequal, the layer], checked
    on a random input of that shape (None where it does not compute the same)."""
    base = next((b for b in _SAME if isinstance(m, b) and type(m) is not b), None)
    if base is None or type(m).__module__.split(".")[0] == "torch" or list(m.children()) or \
            any(v != 0 for v in _pair(m.padding)):
        return None
    key = (type(m), _config(m), repr(m))

    def at(shape):
        if (key, shape) not in _SEEN:
            try:
                _SEEN[key, shape] = _same_candidate(m, base, shape)
            except Exception:  # noqa: BLE001 - a module that fails the check is simply not mapped
                _SEEN[key, shape] = None
        return _SEEN[key, shape]
    return at


def _pair(v) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _same_candidate(m, base, shape) -> list | None:
    k, s = _pair(m.kernel_size), _pair(m.stride if m.stride is not None else m.kernel_size)
    d = _pair(getattr(m, "dilation", 1))
    pads = []
    for i, size in enumerate(shape[1:3]):
        total = max((-(-size // s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    ref = base.__new__(base)
    ref.__dict__.update(m.__dict__)
    ref.__class__ = base
    # TensorFlow pads max pooling with -inf: copies of the edge give the same maxima, finite
    mode = "replicate" if base is nn.MaxPool2d else "zeros"
    if top == bottom and left == right:
        ref.padding = (top, left)
        blocks = [block_for(ref)]
        run = ref
    else:
        blocks = [("Pad2d", {"left": left, "right": right, "top": top, "bottom": bottom, "mode": mode}), block_for(ref)]
        pad = nn.ZeroPad2d if mode == "zeros" else nn.ReplicationPad2d
        run = nn.Sequential(pad((left, right, top, bottom)), ref)
    if blocks[-1] is None:
        return None
    x, y = _probe(m, (1, *shape))
    with torch.no_grad():
        want = run.eval()(x)
    return blocks if y.shape == want.shape and torch.allclose(y, want, atol=1e-5) else None


def behaves_like(m) -> list | None:
    """[(block type, params), ...] that compute what `m` does (the first holds its tensors)."""
    if type(m).__module__.split(".")[0] == "torch":
        return None
    key = (type(m), _config(m), repr(m))
    if key not in _SEEN:
        try:
            _SEEN[key] = _candidate(m)
        except Exception:  # noqa: BLE001 - a module that fails the check is simply not mapped
            _SEEN[key] = None
    return _SEEN[key]


def _config(m) -> str:
    return repr(sorted((k, v) for k, v in vars(m).items() if isinstance(v, (int, float, bool, str, tuple))))


def _candidate(m) -> list | None:  # noqa: C901 - one case per kind of layer
    if type(m).__name__ == "DropPath" and hasattr(m, "drop_prob"):
        p = float(m.drop_prob)
        if p and not getattr(m, "scale_by_keep", True):
            return None
        return [("StochasticDepth", {"p": p, "mode": "row"})] if p else [("Identity", {})]
    kids = list(m.children())
    own = list(m.named_parameters(recurse=False)) + list(m.named_buffers(recurse=False))
    if not own and not kids:  # a parameterless function: an activation, or nothing
        return _activation_like(m)
    acts = [k for k in kids if activation_name(k) is not None]
    idle = [k for k in kids if type(k) is nn.Identity or type(k) in (nn.Dropout, nn.Dropout2d) and k.p == 0]
    if len(acts) > 1 or len(acts) + len(idle) != len(kids):
        return None
    for base in (nn.BatchNorm2d, nn.Conv2d, nn.Linear, nn.LayerNorm, nn.GroupNorm):
        if isinstance(m, base) and type(m) is not base:
            return _subclass(m, base, acts[0] if acts else None)
    return None


def _probe(m, shape):
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0)) * 3
    with torch.no_grad():
        return x, m.eval()(x)


def _activation_like(m) -> list | None:
    x, y = _probe(m, (2, 8, 5, 5))
    if not isinstance(y, torch.Tensor) or y.shape != x.shape:
        return None
    if torch.equal(x, y):
        with torch.no_grad():
            still = torch.equal(m.train()(x), x)  # DropPath-like modules are identity only in eval
        m.eval()
        return [("Identity", {})] if still else None
    for name in ACTIVATIONS:
        if name == "softmax":
            continue
        if torch.allclose(build_activation(name)(x), y, atol=1e-6, rtol=1e-5):
            return [(ACTIVATIONS[name][0], {})]
    return None


def _subclass(m, base, act) -> list | None:
    if base is nn.LayerNorm:
        return _layer_norm_2d(m)
    ref = base.__new__(base)
    ref.__dict__.update({k: v for k, v in m.__dict__.items()})
    ref.__class__ = base
    mapped = block_for(ref)
    if mapped is None:
        return None
    blocks = [mapped]
    if act is not None:
        blocks.append(block_for(act))
    shape = {nn.Linear: (2, m.in_features) if base is nn.Linear else None}.get(base) or \
        (2, getattr(m, "in_channels", getattr(m, "num_features", getattr(m, "num_channels", 8))), 7, 7)
    x, y = _probe(m, shape)
    with torch.no_grad():
        want = ref.eval()(x)
        if act is not None:
            want = act(want)
    return blocks if isinstance(y, torch.Tensor) and y.shape == want.shape and torch.allclose(y, want, atol=1e-6) \
        else None


def _layer_norm_2d(m) -> list | None:
    """A LayerNorm over the channels of each pixel of an image (timm's LayerNorm2d)."""
    if len(m.normalized_shape) != 1 or not m.elementwise_affine or m.bias is None:
        return None
    c = m.normalized_shape[0]
    x, y = _probe(m, (2, c, 5, 5))
    with torch.no_grad():
        want = F.layer_norm(x.permute(0, 2, 3, 1), (c,), m.weight, m.bias, m.eps).permute(0, 3, 1, 2)
    return [("LayerNorm2d", {"eps": m.eps})] if torch.allclose(y, want, atol=1e-5) else None


def plain_layer_norm(m) -> bool:
    """An nn.LayerNorm (or a subclass, timm's LayerNorm) that computes F.layer_norm over its last dimension."""
    if not isinstance(m, nn.LayerNorm) or len(m.normalized_shape) != 1 or not m.elementwise_affine or m.bias is None:
        return False
    if type(m) is nn.LayerNorm:
        return True
    key = (type(m), _config(m), repr(m), "layer_norm")
    if key not in _SEEN:
        try:
            x, y = _probe(m, (2, 3, 3, m.normalized_shape[0]))
            with torch.no_grad():
                _SEEN[key] = torch.allclose(y, F.layer_norm(x, m.normalized_shape, m.weight, m.bias, m.eps), atol=1e-5)
        except Exception:  # noqa: BLE001 - a module that fails the check is simply not mapped
            _SEEN[key] = False
    return _SEEN[key]
