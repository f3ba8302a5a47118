"""Blocks that work across channels: ChannelSlice (`x[:, a:b]`, `narrow`, `split`, `chunk`),
LayerScale (a learned per-channel factor, ConvNeXt's γ) and LocalResponseNorm (AlexNet's and
GoogLeNet's NORM layers)."""
from __future__ import annotations

from .spec import BlockError, BlockSpec, Out, Param, prod, register, set_params_fix


def _slice_infer(params, shapes) -> Out:
    s = tuple(shapes[0])
    c, start, end = s[0], params["start"], params["end"]
    if end > c or start >= end:
        fix = set_params_fix(f"Take channels 0 to {c}", start=0, end=c) if start < c else None
        raise BlockError(f"ChannelSlice: channels {start} to {end} are not within the input's {c} channels"
                         + (" (end must be larger than start)." if start >= end else "."), fix=fix,
                         code="slice_range")
    return Out(shape=(end - start, *s[1:]))


def _slice_build(params, shapes):
    from .modules import ChannelSlice
    return ChannelSlice(params["start"], params["end"])


register(BlockSpec(
    type="ChannelSlice", category="Reshape",
    help="Keeps the channels (or features of a flat input) from `start` up to, not including, `end`: "
         "x[:, start:end].",
    params=(Param("start", "int", 0, "First channel kept (counting from 0).", 0, 1 << 20, key=True),
            Param("end", "int", 1, "One past the last channel kept.", 1, 1 << 20, key=True)),
    infer=_slice_infer, build=_slice_build,
    explain=lambda p, s, o: [f"channels {p['start']}…{p['end'] - 1} of {s[0][0]} → {o.shape[0]}; no parameters"]))


def _scale_infer(params, shapes) -> Out:
    s = tuple(shapes[0])
    return Out(shape=s, params=s[0], macs=prod(s))


def _scale_build(params, shapes):
    from .modules import LayerScale
    return LayerScale(shapes[0][0], len(shapes[0]) - 1, params["init"])


register(BlockSpec(
    type="LayerScale", category="Normalization",
    help="Multiplies each channel by its own learned factor γ (ConvNeXt's layer scale).",
    params=(Param("init", "float", 1e-6, "Starting value of every γ.", -1e6, 1e6, key=True),),
    infer=_scale_infer, build=_scale_build,
    explain=lambda p, s, o: [f"parameters C = {o.params} (one γ per channel, starting at {p['init']})",
                             f"MACs: one multiply per element = {o.macs:,}"]))


def _lrn_infer(params, shapes) -> Out:
    s = tuple(shapes[0])
    if len(s) < 2:
        raise BlockError(f"LocalResponseNorm needs channels [C, ...] but gets the flat tensor [{s[0]}].",
                         code="needs_spatial")
    # per output element: the squares of `size` neighbouring channels summed, then one scale
    return Out(shape=s, macs=(params["size"] + 1) * prod(s))


def _lrn_build(params, shapes):
    import torch.nn as nn
    return nn.LocalResponseNorm(params["size"], params["alpha"], params["beta"], params["k"])


register(BlockSpec(
    type="LocalResponseNorm", category="Normalization",
    help="Divides each value by (k + α/n·Σ x²)^β over n neighbouring channels (AlexNet, GoogLeNet).",
    params=(Param("size", "int", 5, "Neighbouring channels n in the sum (the lectures' 5).", 1, 1024, key=True),
            Param("alpha", "float", 1e-4, "Scale α of the sum of squares.", 0.0, 10.0),
            Param("beta", "float", 0.75, "Exponent β.", 0.0, 10.0),
            Param("k", "float", 1.0, "Added constant k (AlexNet's paper uses 2).", 0.0, 100.0)),
    infer=_lrn_infer, build=_lrn_build,
    explain=lambda p, s, o: [f"x / ({p['k']} + {p['alpha']}/{p['size']}·Σ x²)^{p['beta']} over {p['size']} "
                             "neighbouring channels; no parameters",
                             f"MACs: {p['size']} squares summed + 1 scale per element = {o.macs:,}"]))
