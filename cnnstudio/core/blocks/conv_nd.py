"""The 1-D and 3-D layers: Conv1d/3d, max/average/adaptive pooling, BatchNorm and dropout
for signals [C, L] and volumes [C, D, H, W]. Same arithmetic as the 2-D blocks in conv.py,
one entry per spatial dimension; sizes are an int or a list of one entry per dimension."""
from __future__ import annotations

from math import gcd

from .activations import ACTIVATION_PARAM
from .conv import window_formula, window_out
from .spec import (BlockError, BlockSpec, Out, Param, fmt_n, need_rank, norm_macs, ntuple, prod, register,
                   set_params_fix)

AXES = {1: ("length",), 3: ("depth", "height", "width")}
LIST = {1: "[l]", 3: "[d, h, w]"}


def dims_text(t) -> str:
    return "×".join(map(str, t))


def _one_or_list(t):
    """(3, 3, 3) → 3, (3, 5, 5) → [3, 5, 5]: how a file writes a size."""
    return t[0] if len(set(t)) == 1 else list(t)


def too_small(type_, size, k, p, d, fix, what="kernel") -> BlockError:
    eff = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
    dil = f" (dilation {fmt_n(d)} makes it {dims_text(eff)})" if set(d) != {1} else ""
    padded = tuple(n + 2 * pp for n, pp in zip(size, p))
    return BlockError(
        f"{type_}: {what} {dims_text(k)}{dil} is larger than the {dims_text(size)} input after "
        f"padding {fmt_n(p)} ({dims_text(padded)}), so there is no output.", fix=fix,
        code="spatial_too_small")


def conv_pads(params, k, d) -> tuple[tuple, tuple]:
    """(padding per side used by the size formula, total padding), one entry per dimension."""
    pad, nd = params["padding"], len(k)
    if pad == "valid":
        return (0,) * nd, (0,) * nd
    if pad == "same":
        total = tuple(dd * (kk - 1) for kk, dd in zip(k, d))
        return tuple(t // 2 for t in total), total
    p = ntuple(pad, nd)
    return p, tuple(2 * x for x in p)


# --- Conv1d / Conv3d -----------------------------------------------------------------


def _conv_infer(nd):
    type_ = f"Conv{nd}d"

    def infer(params, shapes) -> Out:
        c, *size = need_rank(type_, shapes, nd, params)
        k, s, d = (ntuple(params[n], nd) for n in ("kernel_size", "stride", "dilation"))
        out_c, groups = params["out_channels"], params["groups"]
        if c % groups or out_c % groups:
            bad = f"the {c} input channels" if c % groups else f"the {out_c} output channels"
            g = gcd(c, out_c)
            raise BlockError(f"{type_}: {bad} cannot be split into {groups} groups "
                             f"(input and output channels must both be divisible by groups).",
                             fix=set_params_fix(f"Set groups to {g}", groups=g), code="groups")
        if params["padding"] == "same" and set(s) != {1}:
            half = _one_or_list(tuple(kk // 2 for kk in k))
            raise BlockError(f"{type_}: padding \"same\" only works with stride 1 (stride is {fmt_n(s)}).",
                             fix=set_params_fix(f"Use padding {fmt_n(ntuple(half, nd))}", padding=half),
                             code="same_stride")
        p, total = conv_pads(params, k, d)
        mode = params["padding_mode"]
        if mode in ("reflect", "circular"):  # replicate works at any size
            side = [max(t - t // 2, pp) for t, pp in zip(total, p)]
            if any(sd > (n - 1 if mode == "reflect" else n) for sd, n in zip(side, size)):
                raise BlockError(f"{type_}: {mode} padding of {dims_text(side)} needs an input larger "
                                 f"than the {dims_text(size)} it gets.",
                                 fix=set_params_fix("Use zero padding", padding_mode="zeros"),
                                 code="padding_mode")
        eff = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
        out = tuple((n + t - e) // ss + 1 for n, t, e, ss in zip(size, total, eff, s))
        if min(out) <= 0:
            if set(s) == {1} and max(eff) - max(size) <= 4:
                fix = set_params_fix('Set padding to "same"', padding="same")
            else:
                fit = max(1, min(size) - (min(size) + 1) % 2)
                fix = set_params_fix(f"Shrink the kernel to {fit}", kernel_size=fit, dilation=1)
            raise too_small(type_, size, k, p, d, fix)
        per_out = prod(k) * (c // groups)
        warnings = []
        if max(k) > 1 and any(ss > e for ss, e in zip(s, eff)):
            warnings.append((f"{type_}: stride {fmt_n(s)} is larger than the kernel {fmt_n(k)}, "
                             f"so some inputs are never looked at.", None))
        return Out(shape=(out_c, *out), params=(per_out + (1 if params["bias"] else 0)) * out_c,
                   macs=per_out * out_c * prod(out), rf_kernel=max(eff), rf_stride=max(s),
                   warnings=warnings)
    return infer


def _conv_explain(params, shapes, out: Out) -> list[str]:
    c, *size = shapes[0]
    nd = len(size)
    k, s, d = (ntuple(params[n], nd) for n in ("kernel_size", "stride", "dilation"))
    p, total = conv_pads(params, k, d)
    lines = []
    if params["padding"] == "same":
        lines.append(f'padding "same": total padding D·(F − 1) = {dims_text(total)} keeps {dims_text(size)}')
    else:
        lines.append("output size (W − F + 2P)/S + 1:")
        for i, axis in enumerate(AXES[nd]):
            lines.append(f"  {axis:<6} {window_formula(size[i], k[i], s[i], p[i], d[i], out.shape[1 + i])}")
    g, K = params["groups"], params["out_channels"]
    cin = f"{c}" if g == 1 else f"{c}/{g}"
    b = " + 1" if params["bias"] else ""
    f_sym = "·".join("F" * nd)
    k_val = "·".join(map(str, k))
    outs = "·".join(f"{a[0].upper()}_out" for a in AXES[nd])
    lines.append(f"parameters ({f_sym}·C_in{b})·K = ({k_val}·{cin}{b})·{K} = {out.params:,}")
    lines.append(f"MACs {f_sym}·C_in·K·{outs} = {k_val}·{cin}·{K}·{'·'.join(map(str, out.shape[1:]))} "
                 f"= {out.macs:,}")
    return lines


def _conv_build(nd):
    def build(params, shapes):
        import torch.nn as nn
        pad = params["padding"]
        return getattr(nn, f"Conv{nd}d")(
            shapes[0][0], params["out_channels"], ntuple(params["kernel_size"], nd),
            stride=ntuple(params["stride"], nd), padding=pad if isinstance(pad, str) else ntuple(pad, nd),
            dilation=ntuple(params["dilation"], nd), groups=params["groups"], bias=params["bias"],
            padding_mode=params["padding_mode"])
    return build


def _size(nd, **kw):
    return dict(kind="size", min=1, max=4096, dims=nd) | kw


for _nd, _what in ((1, "1-D convolution over a signal [C, L]: K learned filters of length F."),
                   (3, "3-D convolution over a volume [C, D, H, W]: K learned F×F×F filters.")):
    register(BlockSpec(
        type=f"Conv{_nd}d", category="Convolution", help=_what,
        params=(
            Param("out_channels", "int", 16, "Number of filters K (output channels).", 1, 65536, key=True),
            Param("kernel_size", help=f"Filter size F (int or {LIST[_nd]}).", key=True, **_size(_nd, default=3)),
            Param("stride", help="Step S between filter positions.", **_size(_nd, default=1)),
            Param("padding", "padding", 0, f'Zero border P added on each side (int, {LIST[_nd]}, "same" or "valid").',
                  0, 4096, dims=_nd),
            Param("dilation", help="Spacing between filter taps (1 = dense).", **_size(_nd, default=1)),
            Param("groups", "int", 1, "Split channels into independent groups (depthwise = in channels).", 1, 65536),
            Param("bias", "bool", True, "Learn an additive bias per filter."),
            Param("padding_mode", "choice", "zeros", "What the border is filled with.",
                  choices=("zeros", "reflect", "replicate", "circular")),
            ACTIVATION_PARAM,
        ),
        infer=_conv_infer(_nd), build=_conv_build(_nd), explain=_conv_explain,
        activation_param=True, dims=_nd))


# --- MaxPool / AvgPool 1d, 3d -------------------------------------------------------------


def _pool_window(params, nd):
    k = ntuple(params["kernel_size"], nd)
    s = ntuple(params["stride"], nd) if params["stride"] is not None else k
    return k, s, ntuple(params["padding"], nd)


def _pool_infer(type_, nd):
    def infer(params, shapes) -> Out:
        c, *size = need_rank(type_, shapes, nd, params)
        k, s, p = _pool_window(params, nd)
        if any(pp > kk // 2 for pp, kk in zip(p, k)):
            raise BlockError(f"{type_}: padding {fmt_n(p)} is more than half the window {fmt_n(k)}; "
                             f"PyTorch allows at most {min(k) // 2}.",
                             fix=set_params_fix(f"Set padding to {min(k) // 2}", padding=min(k) // 2),
                             code="pool_padding")
        if type_ == "AvgPool3d" and any(n < kk for n, kk in zip(size, k)):
            # PyTorch's 3-D average pooling wants the window to fit the input before padding
            fit = _one_or_list(tuple(min(n, kk) for n, kk in zip(size, k)))
            raise BlockError(f"{type_}: window {dims_text(k)} is larger than the {dims_text(size)} input; "
                             "PyTorch's 3-D average pooling needs it to fit before padding.",
                             fix=set_params_fix(f"Shrink the window to {fmt_n(ntuple(fit, nd))}", kernel_size=fit,
                                                padding=0), code="spatial_too_small")
        ceil = params["ceil_mode"]
        out = tuple(window_out(n, kk, ss, pp, 1, ceil) for n, kk, ss, pp in zip(size, k, s, p))
        if min(out) <= 0:
            fit = _one_or_list(tuple(min(n, kk) for n, kk in zip(size, k)))
            fix = set_params_fix(f"Shrink the window to {fmt_n(ntuple(fit, nd))}", kernel_size=fit, padding=0)
            raise too_small(type_, size, k, p, (1,) * nd, fix, what="window")
        warnings = []
        if any(ss > kk for ss, kk in zip(s, k)):
            warnings.append((f"{type_}: stride {fmt_n(s)} is larger than the window {fmt_n(k)}, "
                             f"so some inputs are skipped.", None))
        return Out(shape=(c, *out), macs=c * prod(out) * prod(k), rf_kernel=max(k), rf_stride=max(s),
                   warnings=warnings)
    return infer


def _pool_explain(params, shapes, out: Out) -> list[str]:
    c, *size = shapes[0]
    nd = len(size)
    k, s, p = _pool_window(params, nd)
    ceil = params["ceil_mode"]
    lines = ["output size (W − F + 2P)/S + 1" + (", rounded up (ceil_mode)" if ceil else "") + ":"]
    for i, axis in enumerate(AXES[nd]):
        lines.append(f"  {axis:<6} {window_formula(size[i], k[i], s[i], p[i], 1, out.shape[1 + i], ceil)}")
    return lines + [f"channels unchanged: {c}; no parameters"]


def _pool_build(type_, nd):
    def build(params, shapes):
        import torch.nn as nn
        k, s, p = _pool_window(params, nd)
        return getattr(nn, type_)(k, stride=s, padding=p, ceil_mode=params["ceil_mode"])
    return build


for _nd in (1, 3):
    for _kind, _help in (("Max", "Keeps the largest value in each window."), ("Avg", "Averages each window.")):
        _type = f"{_kind}Pool{_nd}d"
        register(BlockSpec(
            type=_type, category="Pooling", help=f"{_help} ({'signals' if _nd == 1 else 'volumes'})",
            params=(
                Param("kernel_size", help=f"Window size F (int or {LIST[_nd]}).", key=True, **_size(_nd, default=2)),
                Param("stride", help="Step S (empty = same as the window).", nullable=True,
                      **_size(_nd, default=None)),
                Param("padding", "size", 0, "Border P on each side (at most half the window).", 0, 2048, dims=_nd),
                Param("ceil_mode", "bool", False, "Round the output size up instead of down."),
            ),
            infer=_pool_infer(_type, _nd), build=_pool_build(_type, _nd), explain=_pool_explain, dims=_nd))


# --- AdaptiveAvgPool1d / 3d ----------------------------------------------------------------


def _adaptive_infer(type_, nd):
    def infer(params, shapes) -> Out:
        c, *size = need_rank(type_, shapes, nd, params)
        out = ntuple(params["output_size"], nd)
        # one per input element (docs/costs.md), whatever the output size
        return Out(shape=(c, *out), macs=c * prod(size),
                   rf_kernel=max(-(-n // o) for n, o in zip(size, out)),
                   rf_stride=max(max(n // o for n, o in zip(size, out)), 1))
    return infer


def _adaptive_build(type_, nd):
    def build(params, shapes):
        import torch.nn as nn
        return getattr(nn, type_)(ntuple(params["output_size"], nd))
    return build


for _nd in (1, 3):
    _type = f"AdaptiveAvgPool{_nd}d"
    register(BlockSpec(
        type=_type, category="Pooling",
        help="Averages to a fixed output size (1 = global average pooling).",
        params=(Param("output_size", help=f"Output size (int or {LIST[_nd]}).", key=True, **_size(_nd, default=1)),),
        infer=_adaptive_infer(_type, _nd), build=_adaptive_build(_type, _nd),
        explain=lambda p, s, o: [f"averages the {dims_text(s[0][1:])} input into a fixed "
                                 f"{dims_text(o.shape[1:])} grid for any input size",
                                 "output_size 1 = global average pooling; no parameters"],
        dims=_nd))


# --- BatchNorm1d / 3d, Dropout1d / 3d -------------------------------------------------------


def _bn_infer(type_, nd):
    def infer(params, shapes) -> Out:
        # BatchNorm1d also normalizes flat features [N] (after a Linear layer)
        s = tuple(shapes[0]) if nd == 1 and len(shapes[0]) == 1 else need_rank(type_, shapes, nd, params)
        c = s[0]
        return Out(shape=s, params=2 * c if params["affine"] else 0,
                   buffers=2 * c if params["track_running_stats"] else 0,
                   macs=norm_macs(prod(s), params["affine"], not params["track_running_stats"]))
    return infer


def _bn_build(type_):
    def build(params, shapes):
        import torch.nn as nn
        return getattr(nn, type_)(shapes[0][0], eps=params["eps"], momentum=params["momentum"],
                                  affine=params["affine"], track_running_stats=params["track_running_stats"])
    return build


def _bn_explain(params, shapes, out: Out) -> list[str]:
    c = shapes[0][0]
    return [f"parameters 2·C = 2·{c} = {out.params} (γ and β)" if params["affine"]
            else "no learned parameters (affine off)",
            f"non-trainable 2·C = {out.buffers} (running mean and variance)"]


for _nd, _help in ((1, "Normalizes each channel (or flat feature) over the batch, then scales and shifts it."),
                   (3, "Normalizes each channel of a volume over the batch, then scales and shifts it.")):
    _type = f"BatchNorm{_nd}d"
    register(BlockSpec(
        type=_type, category="Normalization", help=_help,
        params=(
            Param("eps", "float", 1e-5, "Added to the variance for numerical stability (> 0).", 1e-12, 1.0),
            Param("momentum", "float", 0.1, "Update rate of the running statistics.", 0.0, 1.0),
            Param("affine", "bool", True, "Learn a scale γ and shift β per channel."),
            Param("track_running_stats", "bool", True, "Keep running mean/variance for evaluation."),
        ),
        infer=_bn_infer(_type, _nd), build=_bn_build(_type), explain=_bn_explain, dims=_nd))


def _dropout_infer(type_, nd):
    def infer(params, shapes) -> Out:
        s = need_rank(type_, shapes, nd, params)
        warnings = [(f"{type_} with p = 0 does nothing.", None)] if params["p"] == 0 else []
        return Out(shape=s, warnings=warnings)
    return infer


def _dropout_build(type_):
    def build(params, shapes):
        import torch.nn as nn
        return getattr(nn, type_)(p=params["p"])
    return build


for _nd in (1, 3):
    _type = f"Dropout{_nd}d"
    register(BlockSpec(
        type=_type, category="Regularization",
        help=f"Zeroes whole random channels of a {'signal' if _nd == 1 else 'volume'} while training (probability p).",
        params=(Param("p", "float", 0.5, "Probability of dropping.", 0.0, 1.0, key=True),),
        infer=_dropout_infer(_type, _nd), build=_dropout_build(_type), dims=_nd))
