"""Pad2d: a border around an image, unequal sides allowed. TensorFlow's "SAME" padding (timm's
Conv2dSame, MaxPool2dSame, tf_* models) puts the odd pixel on the bottom/right, which a
convolution's own padding cannot: imports write it as Pad2d before the layer. Max pooling pads
with -inf there; copying the edge pixels gives the same maxima and keeps every value finite."""
from __future__ import annotations

from .spec import BlockSpec, Out, Param, need_spatial, register

SIDES = ("left", "right", "top", "bottom")
MODES = ("zeros", "replicate")


def _pad_infer(params, shapes) -> Out:
    c, h, w = need_spatial("Pad2d", shapes, params)
    return Out(shape=(c, h + params["top"] + params["bottom"], w + params["left"] + params["right"]))


def _pad_build(params, shapes):
    import torch.nn as nn
    sides = tuple(params[s] for s in SIDES)
    return nn.ZeroPad2d(sides) if params["mode"] == "zeros" else nn.ReplicationPad2d(sides)


register(BlockSpec(
    type="Pad2d", category="Reshape",
    help="Adds rows and columns around the image, a different number on each side (TensorFlow's 'SAME' "
         "padding): zeros, or copies of the edge pixels (replicate: what a max pool padded with -inf sees).",
    params=tuple(Param(s, "int", 0, f"Pixels added on the {s}.", 0, 1 << 16, key=True) for s in SIDES)
    + (Param("mode", "choice", "zeros", "Zeros, or copies of the nearest edge pixel.", choices=MODES),),
    infer=_pad_infer, build=_pad_build, dims=2,
    explain=lambda p, s, o: [f"{s[0][1]}×{s[0][2]} → {o.shape[1]}×{o.shape[2]}: left {p['left']}, right "
                             f"{p['right']}, top {p['top']}, bottom {p['bottom']}, {p['mode']}; "
                             "no parameters"]))
