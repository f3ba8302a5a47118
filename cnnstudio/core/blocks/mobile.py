"""Composites of the mobile networks: conv + BatchNorm + activation, the inverted residual
(MobileNetV2/V3, EfficientNet's MBConv, MNASNet), EfficientNetV2's fused MBConv and the
ShuffleNetV2 unit."""
from __future__ import annotations

from .activations import ACTIVATIONS
from .conv import conv_infer
from .parts import Part, composite, conv, conv_out, squeeze_excitation
from .spec import BlockError, Param, register, BlockSpec, Out, set_params_fix

NORM = (Param("eps", "float", 1e-5, "BatchNorm: added to the variance for numerical stability.", 1e-12, 1.0),
        Param("momentum", "float", 0.1, "BatchNorm: update rate of the running statistics.", 0.0, 1.0))
ACT = Param("activation", "choice", "relu", "Activation after the BatchNorm.",
            choices=("none",) + tuple(ACTIVATIONS), key=True)


# --- ConvBNAct: Conv2d → BatchNorm2d → activation ----------------------------------------

def _cba_infer(params, shapes) -> Out:
    conv_params = {k: params[k] for k in ("out_channels", "kernel_size", "stride", "padding", "dilation",
                                          "groups", "bias")}
    try:
        out = conv_infer({**conv_params, "padding_mode": "zeros"}, shapes)
    except BlockError as e:
        raise BlockError(e.message.replace("Conv2d:", "ConvBNAct:", 1), e.fix, e.code) from None
    k, pixels = params["out_channels"], out.shape[1] * out.shape[2]
    out.params += 2 * k
    out.buffers = 2 * k
    out.macs += 2 * k * pixels
    out.inner = k * pixels  # the conv's output, kept besides the block's own
    return out


def _cba_explain(params, shapes, out: Out) -> list[str]:
    from .conv import conv_explain
    k = params["out_channels"]
    lines = conv_explain({**params, "padding_mode": "zeros"}, shapes, out)[:-2]
    conv_n = out.params - 2 * k
    lines.append(f"conv parameters {conv_n:,} + BatchNorm 2·{k} = {out.params:,}; "
                 f"non-trainable 2·{k} = {out.buffers} (running mean and variance)")
    lines.append(f"then {params['activation']}" if params["activation"] != "none" else "no activation")
    return lines


def _cba_build(params, shapes):
    from .modules_zoo import ConvBNAct
    p = params
    pad = p["padding"]
    return ConvBNAct(shapes[0][0], p["out_channels"], p["kernel_size"], p["stride"],
                     pad if isinstance(pad, (str, int)) else tuple(pad), p["dilation"], p["groups"],
                     p["bias"], p["eps"], p["momentum"], p["activation"])


SIZE = dict(kind="size", min=1, max=4096)
register(BlockSpec(
    type="ConvBNAct", category="Composite",
    help="Conv2d, then BatchNorm2d, then an activation: the basic unit of most modern CNNs.",
    params=(
        Param("out_channels", "int", 16, "Number of filters K (output channels).", 1, 65536, key=True),
        Param("kernel_size", default=3, help="Filter size F (int or [h, w]).", key=True, **SIZE),
        Param("stride", default=1, help="Step S between filter positions.", **SIZE),
        Param("padding", "padding", 1, 'Zero border P on each side (int, [h, w], "same" or "valid").', 0, 4096),
        Param("dilation", default=1, help="Spacing between filter taps (1 = dense).", **SIZE),
        Param("groups", "int", 1, "Split channels into independent groups (depthwise = in channels).", 1, 65536),
        Param("bias", "bool", False, "Learn a bias in the conv (the BatchNorm's shift usually makes it redundant)."),
        *NORM, ACT,
    ),
    infer=_cba_infer, build=_cba_build, explain=_cba_explain, dims=2))


# --- InvertedResidual: expand 1×1 → depthwise k×k → (squeeze-excitation) → project 1×1 ----

def _ir_size(p, h, w):
    k, s = p["kernel_size"], p["stride"]
    return conv_out(h, k, s, (k - 1) // 2), conv_out(w, k, s, (k - 1) // 2)


def _ir_parts(p, c, h, w) -> list[Part]:
    e, k, s, act = p["expanded"], p["kernel_size"], p["stride"], p["activation"]
    oh, ow = _ir_size(p, h, w)
    parts = []
    if e != c:
        parts.append(conv("expand", c, e, 1, (h, w), act=act))
    parts.append(conv("depthwise", e, e, k, (oh, ow), stride=s, groups=e, act=act))
    if p["se_channels"]:
        parts += squeeze_excitation("se", e, p["se_channels"], (oh, ow), p["se_gate"])
    parts.append(conv("project", e, p["out_channels"], 1, (oh, ow)))
    if s == 1 and c == p["out_channels"]:
        parts.append(Part("shortcut: input added to the output", macs=c * oh * ow))
    return parts


def _ir_check(p, c, h, w):
    k = p["kernel_size"]
    if min(h, w) + 2 * ((k - 1) // 2) < k:
        raise BlockError(f"InvertedResidual: the {k}×{k} depthwise kernel is larger than the {h}×{w} input.",
                         fix=set_params_fix("Use a 3×3 kernel", kernel_size=3), code="spatial_too_small")


def _ir_build(p, shapes):
    from .modules_zoo import InvertedResidual
    return InvertedResidual(shapes[0][0], p["out_channels"], p["kernel_size"], p["stride"], p["expanded"],
                            p["activation"], p["se_channels"], p["se_activation"], p["se_gate"],
                            p["eps"], p["momentum"], p["drop_path"])


composite(
    "InvertedResidual",
    "MobileNet/EfficientNet block: widen with a 1×1 conv, filter each channel alone, narrow again; "
    "adds the input back when the shape allows.",
    (Param("out_channels", "int", 16, "Output channels.", 1, 65536, key=True),
     Param("kernel_size", "int", 3, "Depthwise kernel size.", 1, 31, key=True),
     Param("stride", "int", 1, "Depthwise stride; 2 halves the size.", 1, 16, key=True),
     Param("expanded", "int", 64, "Inner (expanded) channels; equal to the input's: no expansion conv.",
           1, 1 << 20, key=True),
     Param("activation", "choice", "relu6", "Activation after the expansion and depthwise convs.",
           choices=tuple(ACTIVATIONS)),
     Param("se_channels", "int", 0, "Squeeze-excitation width (0 = none).", 0, 1 << 20),
     Param("se_activation", "choice", "relu", "Activation inside the squeeze-excitation.",
           choices=tuple(ACTIVATIONS)),
     Param("se_gate", "choice", "sigmoid", "Gate of the squeeze-excitation.", choices=("sigmoid", "hardsigmoid")),
     *NORM,
     Param("drop_path", "float", 0.0, "Stochastic depth: probability of skipping the block while training.",
           0.0, 1.0)),
    _ir_parts, lambda p, c, h, w: (p["out_channels"], *_ir_size(p, h, w)), _ir_build, _ir_check,
    rf=lambda p: (p["kernel_size"], p["stride"]))


# --- FusedMBConv (EfficientNetV2): one k×k conv instead of expand + depthwise -------------

def _fused_parts(p, c, h, w) -> list[Part]:
    e, k, s, out = p["expanded"], p["kernel_size"], p["stride"], p["out_channels"]
    oh, ow = _ir_size(p, h, w)
    if e != c:
        parts = [conv("expand", c, e, k, (oh, ow), stride=s, act="silu"), conv("project", e, out, 1, (oh, ow))]
    else:
        parts = [conv("conv", c, out, k, (oh, ow), stride=s, act="silu")]
    if s == 1 and c == out:
        parts.append(Part("shortcut: input added to the output", macs=c * oh * ow))
    return parts


def _fused_build(p, shapes):
    from .modules_zoo import FusedMBConv
    return FusedMBConv(shapes[0][0], p["out_channels"], p["kernel_size"], p["stride"], p["expanded"],
                       p["eps"], p["momentum"], p["drop_path"])


composite(
    "FusedMBConv",
    "EfficientNetV2 block: one k×k conv widens, a 1×1 conv narrows; adds the input back when the shape allows.",
    (Param("out_channels", "int", 24, "Output channels.", 1, 65536, key=True),
     Param("kernel_size", "int", 3, "Kernel of the fused conv.", 1, 31, key=True),
     Param("stride", "int", 1, "Stride of the fused conv.", 1, 16, key=True),
     Param("expanded", "int", 96, "Inner channels; equal to the input's: a single conv.", 1, 1 << 20, key=True),
     *NORM,
     Param("drop_path", "float", 0.0, "Stochastic depth while training.", 0.0, 1.0)),
    _fused_parts, lambda p, c, h, w: (p["out_channels"], *_ir_size(p, h, w)), _fused_build, _ir_check,
    rf=lambda p: (p["kernel_size"], p["stride"]))


# --- ShuffleUnit (ShuffleNetV2) ---------------------------------------------------------

def _shuffle_parts(p, c, h, w) -> list[Part]:
    s, half = p["stride"], p["out_channels"] // 2
    oh, ow = conv_out(h, 3, s, 1), conv_out(w, 3, s, 1)
    parts = []
    if s > 1:
        parts += [conv("branch1.depthwise", c, c, 3, (oh, ow), stride=s, groups=c),
                  conv("branch1.pointwise", c, half, 1, (oh, ow), act="relu")]
    cin = c if s > 1 else half
    parts += [conv("branch2.pointwise1", cin, half, 1, (h, w), act="relu"),
              conv("branch2.depthwise", half, half, 3, (oh, ow), stride=s, groups=half),
              conv("branch2.pointwise2", half, half, 1, (oh, ow), act="relu"),
              Part("concatenate the branches, shuffle channels in 2 groups")]
    return parts


def _shuffle_check(p, c, h, w):
    out = p["out_channels"]
    if out % 2:
        raise BlockError(f"ShuffleUnit: out_channels ({out}) must be even (two branches of half each).",
                         fix=set_params_fix(f"Set out_channels to {out + 1}", out_channels=out + 1), code="shuffle_width")
    if p["stride"] == 1 and c != out:
        raise BlockError(f"ShuffleUnit: with stride 1 half the {c} input channels pass through, so out_channels "
                         f"must equal the input's {c} (it is {out}).",
                         fix=set_params_fix(f"Set out_channels to {c}", out_channels=c), code="shuffle_width")


def _shuffle_build(p, shapes):
    from .modules_tv import ShuffleUnit
    return ShuffleUnit(shapes[0][0], p["out_channels"], p["stride"])


composite(
    "ShuffleUnit",
    "ShuffleNetV2 unit: split the channels, convolve one half, join and shuffle them.",
    (Param("out_channels", "int", 116, "Output channels (even).", 2, 65536, key=True),
     Param("stride", "int", 1, "1 keeps the size (out = in channels); 2 halves it.", 1, 2, key=True)),
    _shuffle_parts, lambda p, c, h, w: (p["out_channels"], conv_out(h, 3, p["stride"], 1), conv_out(w, 3, p["stride"], 1)),
    _shuffle_build, _shuffle_check, rf=lambda p: (3, p["stride"]))
