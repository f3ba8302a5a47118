"""DeformConv2d (torchvision.ops): a convolution whose taps move. The block owns its offset
predictor, a Conv2d with the same window that outputs, per output pixel, a (dy, dx) shift
for every tap (and a mask when modulated, DCNv2); it starts at zero: a plain convolution."""
from __future__ import annotations

from math import gcd

from .activations import ACTIVATION_PARAM
from .conv import too_small, window_formula
from .spec import BlockError, BlockSpec, Out, Param, need_spatial, pair, register, set_params_fix


def offset_channels(params) -> int:
    """Output channels of the offset predictor: offset_groups·2·kh·kw (·3 when modulated)."""
    kh, kw = pair(params["kernel_size"])
    return params["offset_groups"] * (3 if params["modulated"] else 2) * kh * kw


def _infer(params, shapes) -> Out:
    c, h, w = need_spatial("DeformConv2d", shapes, params)
    k, s, p, d = (pair(params[n]) for n in ("kernel_size", "stride", "padding", "dilation"))
    out_c, groups, og = params["out_channels"], params["groups"], params["offset_groups"]
    if c % groups or out_c % groups:
        bad = f"the {c} input channels" if c % groups else f"the {out_c} output channels"
        g = gcd(c, out_c)
        raise BlockError(f"DeformConv2d: {bad} cannot be split into {groups} groups "
                         f"(input and output channels must both be divisible by groups).",
                         fix=set_params_fix(f"Set groups to {g}", groups=g), code="groups")
    if c % og:
        g = gcd(c, og)
        raise BlockError(f"DeformConv2d: the {c} input channels cannot be split into {og} offset groups "
                         f"(each group of channels shares one set of offsets).",
                         fix=set_params_fix(f"Set offset_groups to {g}", offset_groups=g), code="offset_groups")
    oh, ow = ((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, ss, pp, dd in zip((h, w), k, s, p, d))
    if oh <= 0 or ow <= 0:
        fit = max(1, min(h, w) - (min(h, w) + 1) % 2)
        raise too_small("DeformConv2d", (h, w), k, p, d,
                        set_params_fix(f"Shrink the kernel to {fit}×{fit}", kernel_size=fit, dilation=1))
    taps = k[0] * k[1]
    main = taps * (c // groups) * out_c
    n_off = offset_channels(params)
    offset = taps * c * n_off
    return Out(shape=(out_c, oh, ow), params=main + (out_c if params["bias"] else 0) + offset + n_off,
               macs=(main + offset) * oh * ow,
               rf_kernel=max(dd * (kk - 1) + 1 for kk, dd in zip(k, d)), rf_stride=max(s),
               inner=n_off * oh * ow)


def _explain(params, shapes, out: Out) -> list[str]:
    c, h, w = shapes[0]
    k, s, p, d = (pair(params[n]) for n in ("kernel_size", "stride", "padding", "dilation"))
    g, K, n_off = params["groups"], params["out_channels"], offset_channels(params)
    cin = f"{c}" if g == 1 else f"{c}/{g}"
    b = " + 1" if params["bias"] else ""
    per = "3" if params["modulated"] else "2"
    main = (k[0] * k[1] * (c // g) + (1 if b else 0)) * K
    return ["output size (W − F + 2P)/S + 1, as a convolution:",
            f"  height {window_formula(h, k[0], s[0], p[0], d[0], out.shape[1])}",
            f"  width  {window_formula(w, k[1], s[1], p[1], d[1], out.shape[2])}",
            f"filters (F·F·C_in{b})·K = ({k[0]}·{k[1]}·{cin}{b})·{K} = {main:,}",
            f"offset predictor: {k[0]}×{k[1]} conv {c}→{params['offset_groups']}·{per}·{k[0]}·{k[1]} = {n_off} "
            f"channels ({'dy, dx and a mask' if params['modulated'] else 'dy, dx'} per tap) "
            f"= ({k[0]}·{k[1]}·{c} + 1)·{n_off} = {(k[0] * k[1] * c + 1) * n_off:,} params",
            f"total parameters {out.params:,}; MACs {out.macs:,} (both convolutions; bilinear sampling not counted)",
            "the taps start on the regular grid (offsets initialised to zero) and learn where to look"]


def _build(params, shapes):
    from .modules import DeformConv
    return DeformConv(shapes[0][0], params["out_channels"], pair(params["kernel_size"]),
                      stride=pair(params["stride"]), padding=pair(params["padding"]),
                      dilation=pair(params["dilation"]), groups=params["groups"],
                      offset_groups=params["offset_groups"], modulated=params["modulated"], bias=params["bias"])


SIZE = dict(kind="size", min=1, max=4096)

register(BlockSpec(
    type="DeformConv2d", category="Convolution",
    help="Deformable convolution: each tap learns an offset (and, modulated, a weight) per position.",
    params=(
        Param("out_channels", "int", 16, "Number of filters K (output channels).", 1, 65536, key=True),
        Param("kernel_size", default=3, help="Filter size F (int or [h, w]).", key=True, **SIZE),
        Param("stride", default=1, help="Step S between filter positions.", **SIZE),
        Param("padding", "size", 0, "Zero border P added on each side (1 keeps the size of a 3×3 window).", 0, 4096),
        Param("dilation", default=1, help="Spacing between the taps before they move.", **SIZE),
        Param("groups", "int", 1, "Split channels into independent groups.", 1, 65536),
        Param("offset_groups", "int", 1, "Channel groups with their own offsets.", 1, 65536),
        Param("modulated", "bool", False, "DCNv2: also learn a weight (0–1) for each tap."),
        Param("bias", "bool", True, "Learn an additive bias per filter."),
        ACTIVATION_PARAM,
    ),
    infer=_infer, build=_build, explain=_explain, activation_param=True, dims=2))
