"""Conv2d and the pooling blocks: the sliding-window layers and their size arithmetic."""
from __future__ import annotations

from math import gcd

from .activations import ACTIVATION_PARAM
from .spec import (BlockError, BlockSpec, Out, Param, fmt_pair, need_spatial, pair, register,
                   set_params_fix)

# --- the sliding-window arithmetic, exactly as PyTorch computes it ------------------


def window_out(size: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    """Output length of a window sliding over `size` (torch's pooling_output_shape)."""
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    if ceil:
        out = -(-num // s) + 1
        if (out - 1) * s >= size + p:  # the last window must start inside the input
            out -= 1
    else:
        out = num // s + 1
    return out


def window_formula(size, k, s, p, d, out, ceil=False) -> str:
    kk = f"{k}" if d == 1 else f"({d}·({k} − 1) + 1)"
    pad = f" + 2·{p}" if p else ""
    inner = f"({size}{pad} − {kk})/{s}"
    exact = (size + 2 * p - (d * (k - 1) + 1)) % s == 0
    if exact:
        return f"{inner} + 1 = {out}"
    bracket = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    return f"{bracket[0]}{inner}{bracket[1]} + 1 = {out}"


def too_small(type_, in_hw, k, p, d, fix, what="kernel") -> BlockError:
    eff = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
    dil = f" (dilation {fmt_pair(d)} makes it {eff[0]}×{eff[1]})" if d != (1, 1) else ""
    padded = (in_hw[0] + 2 * p[0], in_hw[1] + 2 * p[1])
    return BlockError(
        f"{type_}: {what} {k[0]}×{k[1]}{dil} is larger than the {in_hw[0]}×{in_hw[1]} input "
        f"after padding {fmt_pair(p)} ({padded[0]}×{padded[1]}), so there is no output.",
        fix=fix, code="spatial_too_small")



# --- Conv2d ---------------------------------------------------------------------------


def conv_padding(params, k, d) -> tuple[tuple[int, int], tuple[int, int]]:
    """(padding used for the size formula per side, total padding) for H and W."""
    pad = params["padding"]
    if pad == "valid":
        return (0, 0), (0, 0)
    if pad == "same":
        total = (d[0] * (k[0] - 1), d[1] * (k[1] - 1))
        return (total[0] // 2, total[1] // 2), total
    p = pair(pad)
    return p, (2 * p[0], 2 * p[1])


def conv_infer(params, shapes) -> Out:
    c, h, w = need_spatial("Conv2d", shapes, params)
    k, s, d = pair(params["kernel_size"]), pair(params["stride"]), pair(params["dilation"])
    out_c, groups = params["out_channels"], params["groups"]
    if c % groups or out_c % groups:
        g = gcd(c, out_c)
        bad = f"the {c} input channels" if c % groups else f"the {out_c} output channels"
        raise BlockError(
            f"Conv2d: {bad} cannot be split into {groups} groups "
            f"(input and output channels must both be divisible by groups).",
            fix=set_params_fix(f"Set groups to {g}", groups=g), code="groups")
    if params["padding"] == "same" and s != (1, 1):
        raise BlockError(
            f"Conv2d: padding \"same\" only works with stride 1 (stride is {fmt_pair(s)}).",
            fix=set_params_fix(f"Use padding {k[0] // 2}", padding=k[0] // 2 if k[0] == k[1] else [k[0] // 2, k[1] // 2]),
            code="same_stride")
    p, total = conv_padding(params, k, d)
    mode = params["padding_mode"]
    if mode in ("reflect", "circular"):  # replicate works at any size
        side = (max(total[0] - total[0] // 2, p[0]), max(total[1] - total[1] // 2, p[1]))
        limit_h, limit_w = (h - 1, w - 1) if mode == "reflect" else (h, w)
        if side[0] > limit_h or side[1] > limit_w:
            raise BlockError(
                f"Conv2d: {mode} padding of {side[0]}×{side[1]} needs an input larger than the "
                f"{h}×{w} it gets.", fix=set_params_fix("Use zero padding", padding_mode="zeros"),
                code="padding_mode")
    oh = (h + total[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + total[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh <= 0 or ow <= 0:
        eff = max(d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
        if s == (1, 1) and eff - max(h, w) <= 4:  # a little too big: pad to keep the size
            fix = set_params_fix('Set padding to "same"', padding="same")
        else:  # far too big: the largest odd kernel that fits
            fit = max(1, min(h, w) - (min(h, w) + 1) % 2)
            fix = set_params_fix(f"Shrink the kernel to {fit}×{fit}", kernel_size=fit, dilation=1)
        raise too_small("Conv2d", (h, w), k, p, d, fix)
    per_out = k[0] * k[1] * (c // groups)
    warnings = []
    # (a strided 1×1 conv is the standard shortcut projection: not worth a warning)
    if max(k) > 1 and (s[0] > d[0] * (k[0] - 1) + 1 or s[1] > d[1] * (k[1] - 1) + 1):
        warnings.append((f"Conv2d: stride {fmt_pair(s)} is larger than the kernel {fmt_pair(k)}, "
                         f"so some input pixels are never looked at.", None))
    return Out(shape=(out_c, oh, ow),
               params=(per_out + (1 if params["bias"] else 0)) * out_c,
               macs=per_out * out_c * oh * ow,
               rf_kernel=max(d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1),
               rf_stride=max(s), warnings=warnings)


def conv_explain(params, shapes, out: Out) -> list[str]:
    c, h, w = shapes[0]
    k, s, d = pair(params["kernel_size"]), pair(params["stride"]), pair(params["dilation"])
    p, total = conv_padding(params, k, d)
    lines = []
    if params["padding"] == "same":
        lines.append(f'padding "same": total padding D·(F − 1) = {total[0]}×{total[1]} keeps {h}×{w}')
    else:
        lines.append("output size (W − F + 2P)/S + 1:")
        lines.append(f"  height {window_formula(h, k[0], s[0], p[0], d[0], out.shape[1])}")
        lines.append(f"  width  {window_formula(w, k[1], s[1], p[1], d[1], out.shape[2])}")
    g = params["groups"]
    cin = f"{c}" if g == 1 else f"{c}/{g}"
    b = " + 1" if params["bias"] else ""
    lines.append(f"parameters (F·F·C_in{' + 1' if b else ''})·K = ({k[0]}·{k[1]}·{cin}{b})·"
                 f"{params['out_channels']} = {out.params:,}")
    lines.append(f"MACs F·F·C_in·K·H_out·W_out = {k[0]}·{k[1]}·{cin}·{params['out_channels']}·"
                 f"{out.shape[1]}·{out.shape[2]} = {out.macs:,}")
    return lines


def conv_build(params, shapes):
    import torch.nn as nn
    pad = params["padding"]
    return nn.Conv2d(shapes[0][0], params["out_channels"], pair(params["kernel_size"]),
                     stride=pair(params["stride"]),
                     padding=pad if isinstance(pad, str) else pair(pad),
                     dilation=pair(params["dilation"]), groups=params["groups"],
                     bias=params["bias"], padding_mode=params["padding_mode"])


SIZE = dict(kind="size", min=1, max=4096)

register(BlockSpec(
    type="Conv2d", category="Convolution",
    help="2-D convolution: slides K learned F×F filters over the input.",
    params=(
        Param("out_channels", "int", 16, "Number of filters K (output channels).", 1, 65536, key=True),
        Param("kernel_size", default=3, help="Filter size F (int or [h, w]).", key=True, **SIZE),
        Param("stride", default=1, help="Step S between filter positions.", **SIZE),
        Param("padding", "padding", 0, 'Zero border P added on each side (int, [h, w], "same" or "valid").', 0, 4096),
        Param("dilation", default=1, help="Spacing between filter taps (1 = dense).", **SIZE),
        Param("groups", "int", 1, "Split channels into independent groups (depthwise = in channels).", 1, 65536),
        Param("bias", "bool", True, "Learn an additive bias per filter."),
        Param("padding_mode", "choice", "zeros", "What the border is filled with.",
              choices=("zeros", "reflect", "replicate", "circular")),
        ACTIVATION_PARAM,
    ),
    infer=conv_infer, build=conv_build, explain=conv_explain, activation_param=True, dims=2))


# --- pooling --------------------------------------------------------------------------


def pool_infer(type_):
    def infer(params, shapes) -> Out:
        c, h, w = need_spatial(type_, shapes, params)
        k = pair(params["kernel_size"])
        s = pair(params["stride"]) if params["stride"] is not None else k
        p = pair(params["padding"])
        if p[0] > k[0] // 2 or p[1] > k[1] // 2:
            raise BlockError(
                f"{type_}: padding {fmt_pair(p)} is more than half the kernel {fmt_pair(k)}; "
                f"PyTorch allows at most {k[0] // 2}.",
                fix=set_params_fix(f"Set padding to {min(k) // 2}", padding=min(k) // 2), code="pool_padding")
        ceil = params["ceil_mode"]
        oh, ow = window_out(h, k[0], s[0], p[0], 1, ceil), window_out(w, k[1], s[1], p[1], 1, ceil)
        if oh <= 0 or ow <= 0:
            fix = set_params_fix(f"Shrink the window to {min(h, k[0])}×{min(w, k[1])}",
                       kernel_size=[min(h, k[0]), min(w, k[1])], padding=0)
            raise too_small(type_, (h, w), k, p, (1, 1), fix, what="window")
        warnings = []
        if s[0] > k[0] or s[1] > k[1]:
            warnings.append((f"{type_}: stride {fmt_pair(s)} is larger than the window {fmt_pair(k)}, "
                             f"so some pixels are skipped.", None))
        return Out(shape=(c, oh, ow), macs=c * oh * ow * k[0] * k[1],
                   rf_kernel=max(k), rf_stride=max(s), warnings=warnings)
    return infer


def pool_explain(params, shapes, out: Out) -> list[str]:
    c, h, w = shapes[0]
    k = pair(params["kernel_size"])
    s = pair(params["stride"]) if params["stride"] is not None else k
    p = pair(params["padding"])
    ceil = params["ceil_mode"]
    return ["output size (W − F + 2P)/S + 1" + (", rounded up (ceil_mode)" if ceil else "") + ":",
            f"  height {window_formula(h, k[0], s[0], p[0], 1, out.shape[1], ceil)}",
            f"  width  {window_formula(w, k[1], s[1], p[1], 1, out.shape[2], ceil)}",
            f"channels unchanged: {c}; no parameters"]


def pool_build(cls_name):
    def build(params, shapes):
        import torch.nn as nn
        stride = params["stride"]
        return getattr(nn, cls_name)(pair(params["kernel_size"]),
                                     stride=pair(stride) if stride is not None else None,
                                     padding=pair(params["padding"]), ceil_mode=params["ceil_mode"])
    return build


for _type, _help in (("MaxPool2d", "Keeps the largest value in each window."),
                     ("AvgPool2d", "Averages each window.")):
    register(BlockSpec(
        type=_type, category="Pooling", help=_help,
        params=(
            Param("kernel_size", default=2, help="Window size F (int or [h, w]).", key=True, **SIZE),
            Param("stride", default=None, help="Step S (empty = same as the window).", nullable=True, **SIZE),
            Param("padding", "size", 0, "Border P on each side (at most half the window).", 0, 2048),
            Param("ceil_mode", "bool", False, "Round the output size up instead of down."),
        ),
        infer=pool_infer(_type), build=pool_build(_type), explain=pool_explain, dims=2))


def adaptive_infer(params, shapes) -> Out:
    c, h, w = need_spatial("AdaptiveAvgPool2d", shapes, params)
    oh, ow = pair(params["output_size"])
    # one per input element (docs/costs.md, fvcore's rule), whatever the output size
    return Out(shape=(c, oh, ow), macs=c * h * w,
               rf_kernel=max(-(-h // oh), -(-w // ow)), rf_stride=max(h // oh, w // ow, 1))


def adaptive_explain(params, shapes, out: Out) -> list[str]:
    c, h, w = shapes[0]
    oh, ow = out.shape[1:]
    return [f"averages the {h}×{w} input into a fixed {oh}×{ow} grid for any input size",
            "output_size 1 = global average pooling; no parameters"]


def adaptive_build(params, shapes):
    import torch.nn as nn
    return nn.AdaptiveAvgPool2d(pair(params["output_size"]))


register(BlockSpec(
    type="AdaptiveAvgPool2d", category="Pooling",
    help="Averages to a fixed output size (1 = global average pooling).",
    params=(Param("output_size", default=1, help="Output grid size (int or [h, w]).", key=True, **SIZE),),
    infer=adaptive_infer, build=adaptive_build, explain=adaptive_explain, dims=2))
