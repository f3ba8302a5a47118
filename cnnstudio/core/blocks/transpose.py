"""ConvTranspose2d and Upsample: the layers that make feature maps larger again, so an
encoder–decoder can be drawn."""
from __future__ import annotations

from math import floor, gcd

from .activations import ACTIVATION_PARAM
from .spec import (BlockError, BlockSpec, Out, Param, fmt_pair, need_rank, need_spatial, pair, prod,
                   register, set_params_fix)

# --- ConvTranspose2d ---------------------------------------------------------------------


def _transpose_size(n, k, s, p, d, op) -> int:
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def _transpose_infer(params, shapes) -> Out:
    c, h, w = need_spatial("ConvTranspose2d", shapes, params)
    k, s, p = pair(params["kernel_size"]), pair(params["stride"]), pair(params["padding"])
    d, op = pair(params["dilation"]), pair(params["output_padding"])
    out_c, groups = params["out_channels"], params["groups"]
    if c % groups or out_c % groups:
        bad = f"the {c} input channels" if c % groups else f"the {out_c} output channels"
        g = gcd(c, out_c)
        raise BlockError(f"ConvTranspose2d: {bad} cannot be split into {groups} groups "
                         f"(input and output channels must both be divisible by groups).",
                         fix=set_params_fix(f"Set groups to {g}", groups=g), code="groups")
    if any(o >= max(ss, dd) for o, ss, dd in zip(op, s, d)):
        raise BlockError(f"ConvTranspose2d: output_padding {fmt_pair(op)} must be smaller than the stride "
                         f"{fmt_pair(s)} or the dilation {fmt_pair(d)}; it only picks among the sizes a "
                         f"stride can reach.", fix=set_params_fix("Set output_padding to 0", output_padding=0),
                         code="output_padding")
    oh, ow = (_transpose_size(n, *a) for n, a in zip((h, w), zip(k, s, p, d, op)))
    if oh <= 0 or ow <= 0:
        # the largest padding that still leaves one output row and column
        most = min((_transpose_size(n, kk, ss, 0, dd, o) - 1) // 2 for n, kk, ss, dd, o in zip((h, w), k, s, d, op))
        raise BlockError(f"ConvTranspose2d: padding {fmt_pair(p)} crops more than the {h}×{w} input grows to, "
                         f"so there is no output.",
                         fix=set_params_fix(f"Set padding to {max(most, 0)}", padding=max(most, 0)),
                         code="spatial_too_small")
    per_in = k[0] * k[1] * (out_c // groups)  # each input value is spread over a kernel's worth of outputs
    return Out(shape=(out_c, oh, ow), params=per_in * c + (out_c if params["bias"] else 0),
               macs=per_in * c * h * w,
               rf_kernel=max(-(-(dd * (kk - 1) + 1) // ss) for kk, ss, dd in zip(k, s, d)), rf_stride=1)


def _transpose_explain(params, shapes, out: Out) -> list[str]:
    c, h, w = shapes[0]
    k, s, p = pair(params["kernel_size"]), pair(params["stride"]), pair(params["padding"])
    d, op = pair(params["dilation"]), pair(params["output_padding"])
    lines = ["output size (W − 1)·S − 2P + D·(F − 1) + OP + 1:"]
    for i, (axis, n) in enumerate((("height", h), ("width", w))):
        lines.append(f"  {axis:<6} ({n} − 1)·{s[i]} − 2·{p[i]} + {d[i]}·({k[i]} − 1) + {op[i]} + 1 "
                     f"= {out.shape[1 + i]}")
    g, K = params["groups"], params["out_channels"]
    kout = f"{K}" if g == 1 else f"{K}/{g}"
    b = " + K" if params["bias"] else ""
    lines.append(f"parameters F·F·C_in·K{b} = {k[0]}·{k[1]}·{c}·{kout}{f' + {K}' if b else ''} = {out.params:,}")
    lines.append(f"MACs F·F·C_in·K·H_in·W_in = {k[0]}·{k[1]}·{c}·{kout}·{h}·{w} = {out.macs:,}")
    return lines


def _transpose_build(params, shapes):
    import torch.nn as nn
    return nn.ConvTranspose2d(shapes[0][0], params["out_channels"], pair(params["kernel_size"]),
                              stride=pair(params["stride"]), padding=pair(params["padding"]),
                              output_padding=pair(params["output_padding"]), groups=params["groups"],
                              bias=params["bias"], dilation=pair(params["dilation"]))


SIZE = dict(kind="size", min=1, max=4096)

register(BlockSpec(
    type="ConvTranspose2d", category="Convolution",
    help="Transposed convolution: spreads each input over an F×F window, S pixels apart (learned upsampling).",
    params=(
        Param("out_channels", "int", 16, "Number of filters K (output channels).", 1, 65536, key=True),
        Param("kernel_size", default=2, help="Filter size F (int or [h, w]).", key=True, **SIZE),
        Param("stride", default=1, help="Step S between outputs of neighbouring inputs (2 doubles the size).",
              key=True, **SIZE),
        Param("padding", "size", 0, "Rows and columns P cropped from each side of the output.", 0, 4096),
        Param("output_padding", "size", 0, "Extra rows/columns OP added on one side (less than the stride).",
              0, 4096),
        Param("dilation", default=1, help="Spacing between filter taps (1 = dense).", **SIZE),
        Param("groups", "int", 1, "Split channels into independent groups.", 1, 65536),
        Param("bias", "bool", True, "Learn an additive bias per filter."),
        ACTIVATION_PARAM,
    ),
    infer=_transpose_infer, build=_transpose_build, explain=_transpose_explain, activation_param=True,
    dims=2))


# --- Upsample ----------------------------------------------------------------------------

MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
MODE_FOR = {1: "linear", 2: "bilinear", 3: "trilinear"}
TAPS = {"nearest": 1, "linear": 2, "bilinear": 4, "bicubic": 16, "trilinear": 8}  # MACs per output value


def _upsample_infer(params, shapes) -> Out:
    s = tuple(shapes[0])
    if len(s) == 1:
        need_rank("Upsample", shapes, 2)  # the flat-tensor message
    nd, mode, f = len(s) - 1, params["mode"], params["scale_factor"]
    if mode in MODE_DIMS and MODE_DIMS[mode] != nd:
        raise BlockError(f"Upsample: mode \"{mode}\" works on {MODE_DIMS[mode]}-D inputs, but this one is "
                         f"{nd}-D {list(s)}; \"{MODE_FOR[nd]}\" is the same interpolation for it.",
                         fix=set_params_fix(f"Use mode {MODE_FOR[nd]}", mode=MODE_FOR[nd]), code="upsample_mode")
    out = tuple(floor(n * f) for n in s[1:])
    if min(out) <= 0:
        raise BlockError(f"Upsample: scale_factor {f:g} shrinks the {'×'.join(map(str, s[1:]))} input to nothing.",
                         fix=set_params_fix("Set scale_factor to 2", scale_factor=2.0), code="spatial_too_small")
    return Out(shape=(s[0], *out), macs=s[0] * prod(out) * TAPS[mode],
               rf_kernel=1 if mode == "nearest" else 2, rf_stride=1)


def _upsample_explain(params, shapes, out: Out) -> list[str]:
    s, f = shapes[0], params["scale_factor"]
    sizes = ", ".join(f"⌊{n}·{f:g}⌋ = {o}" for n, o in zip(s[1:], out.shape[1:]))
    how = "copies the nearest value" if params["mode"] == "nearest" else f"interpolates ({params['mode']})"
    return [f"output size ⌊W·scale⌋: {sizes}", f"{how}; no parameters"]


def _upsample_build(params, shapes):
    import torch.nn as nn
    return nn.Upsample(scale_factor=float(params["scale_factor"]), mode=params["mode"])


register(BlockSpec(
    type="Upsample", category="Reshape",
    help="Enlarges signals, images or volumes by a scale factor (nearest or interpolated).",
    params=(
        Param("scale_factor", "float", 2.0, "Output size = ⌊input size × scale_factor⌋.", 0.1, 64.0, key=True),
        Param("mode", "choice", "nearest", "nearest copies; linear/bilinear/bicubic/trilinear interpolate.",
              choices=("nearest", "linear", "bilinear", "bicubic", "trilinear"), key=True),
    ),
    infer=_upsample_infer, build=_upsample_build, explain=_upsample_explain))
