"""MACs of any torch module by the rules of docs/costs.md, for the blocks measured rather than
computed (PyTorch-module blocks): torch's FlopCounterMode, which counts convolutions and matrix
products (2 FLOPs a MAC), given formulas for the rest of the rules, in FLOPs too."""
from __future__ import annotations

from math import prod


def _first(shape):  # max pooling returns (values, indices)
    return shape[0] if isinstance(shape, tuple) and shape and not isinstance(shape[0], int) else shape


def _per_window(x, kernel, *args, out_shape=None, **kwargs):
    out = _first(out_shape)
    k = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel]
    return 2 * prod(out) * prod(k * (len(out) - 2) if len(k) == 1 else k)


def _per_input(x, *args, out_shape=None, **kwargs):
    return 2 * prod(x)


def _per_output(a, b, *args, out_shape=None, **kwargs):
    tensors = all(hasattr(v, "__len__") and len(v) > 0 for v in (a, b))  # a number (or 0-d): nothing
    return 2 * prod(out_shape) if tensors else 0


def _batch_norm(x, weight, bias, running_mean, running_var, training, *args, out_shape=None, **kwargs):
    batch_stats = training or running_mean is None
    return 2 * prod(x) * ((5 if weight is not None else 4) if batch_stats else (2 if weight is not None else 1))


def _layer_norm(x, shape, weight=None, *args, out_shape=None, **kwargs):
    return 2 * prod(x) * (5 if weight is not None else 4)


def _group_norm(x, weight=None, *args, out_shape=None, **kwargs):  # native_group_norm(x, weight, ...)
    return 2 * prod(x) * (5 if weight is not None else 4)


def _group_norm_op(x, groups, weight=None, *args, out_shape=None, **kwargs):  # group_norm(x, groups, weight, ...)
    return _group_norm(x, weight)


def _taps(n):
    def formula(*args, out_shape=None, **kwargs):
        return 2 * n * prod(out_shape)
    return formula


def convention_mapping() -> dict:
    import torch
    aten = torch.ops.aten
    mapping = {op: _per_window for op in (
        aten.max_pool1d, aten.max_pool2d, aten.max_pool3d, aten.max_pool2d_with_indices,
        aten.max_pool3d_with_indices, aten.avg_pool1d, aten.avg_pool2d, aten.avg_pool3d)}
    mapping.update({op: _per_input for op in (aten.mean, aten.adaptive_avg_pool1d, aten.adaptive_avg_pool2d,
                                              aten._adaptive_avg_pool2d, aten.adaptive_avg_pool3d,
                                              aten._adaptive_avg_pool3d)})
    mapping.update({op: _per_output for op in (aten.add, aten.add_, aten.mul, aten.mul_)})
    mapping.update({aten.batch_norm: _batch_norm, aten.native_batch_norm: _batch_norm,
                    aten.layer_norm: _layer_norm, aten.native_layer_norm: _layer_norm,
                    aten.group_norm: _group_norm_op, aten.native_group_norm: _group_norm})
    for op, n in (("upsample_nearest1d", 1), ("upsample_nearest2d", 1), ("upsample_nearest3d", 1),
                  ("upsample_linear1d", 2), ("upsample_bilinear2d", 4), ("upsample_bicubic2d", 16),
                  ("upsample_trilinear3d", 8)):
        mapping[getattr(aten, op)] = _taps(n)
    # FlopCounterMode breaks an op into smaller ones unless the op itself (not only its packet)
    # has a formula: every overload gets one, so batch_norm or upsample_*.vec count as one layer
    for packet, formula in list(mapping.items()):
        for name in packet.overloads():
            mapping[getattr(packet, name)] = formula
    return mapping


def counter():
    """A FlopCounterMode whose total, halved, is the MACs of what runs inside it."""
    from torch.utils.flop_counter import FlopCounterMode
    return FlopCounterMode(display=False, custom_mapping=convention_mapping())
