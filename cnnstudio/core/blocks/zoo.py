"""Composites of the classic model zoo: DenseNet's dense block and transition, SqueezeNet's
fire module, RegNet's bottleneck, ConvNeXt's block and Inception-v3's five modules.

Their torch modules (modules_tv.py) hold torchvision's tensors under torchvision's names, so
imported weights load unchanged."""
from __future__ import annotations

from .parts import Part, composite, conv, conv_out, linear, norm, squeeze_excitation
from .spec import BlockError, Param, set_params_fix


# --- DenseNet ---------------------------------------------------------------------------

def _dense_parts(p, c, h, w) -> list[Part]:
    g, inner = p["growth_rate"], p["bn_size"] * p["growth_rate"]
    parts = []
    for i in range(p["num_layers"]):
        cin = c + i * g
        parts += [norm(f"layer{i + 1}.norm1", cin, (h, w)),
                  conv(f"layer{i + 1}.conv1", cin, inner, 1, (h, w), act="relu"),
                  conv(f"layer{i + 1}.conv2", inner, g, 3, (h, w), norm=False)]
    return parts


def _dense_build(p, shapes):
    from .modules_tv import DenseBlock
    return DenseBlock(p["num_layers"], shapes[0][0], p["bn_size"], p["growth_rate"], p["drop_rate"])


composite(
    "DenseBlock",
    "DenseNet block: each layer (BN, ReLU, 1×1 conv, BN, ReLU, 3×3 conv) adds growth_rate channels "
    "computed from all channels before it.",
    (Param("num_layers", "int", 6, "Layers in the block.", 1, 1024, key=True),
     Param("growth_rate", "int", 32, "Channels each layer adds.", 1, 65536, key=True),
     Param("bn_size", "int", 4, "Width of each layer's 1×1 conv, in multiples of growth_rate.", 1, 64),
     Param("drop_rate", "float", 0.0, "Dropout after each layer while training.", 0.0, 1.0)),
    _dense_parts, lambda p, c, h, w: (c + p["num_layers"] * p["growth_rate"], h, w), _dense_build,
    rf=lambda p: (1 + 2 * p["num_layers"], 1))


def _transition_check(p, c, h, w):
    if min(h, w) < 2:
        raise BlockError(f"DenseTransition: its 2×2 average pooling needs at least 2×2 pixels; the input is {h}×{w}.",
                         code="spatial_too_small")


def _transition_build(p, shapes):
    from .modules_tv import DenseTransition
    return DenseTransition(shapes[0][0], p["out_channels"])


composite(
    "DenseTransition",
    "DenseNet transition: BN, ReLU, 1×1 conv to fewer channels, 2×2 average pooling.",
    (Param("out_channels", "int", 128, "Output channels (DenseNet halves them).", 1, 65536, key=True),),
    lambda p, c, h, w: [norm("norm", c, (h, w)), conv("conv", c, p["out_channels"], 1, (h, w), norm=False),
                        Part("pool: 2×2 average, stride 2", macs=4 * p["out_channels"] * (h // 2) * (w // 2))],
    lambda p, c, h, w: (p["out_channels"], h // 2, w // 2), _transition_build, _transition_check,
    rf=lambda p: (2, 2))


# --- SqueezeNet fire module ---------------------------------------------------------------

def _fire_build(p, shapes):
    from .modules_tv import Fire
    return Fire(shapes[0][0], p["squeeze"], p["expand1x1"], p["expand3x3"])


composite(
    "FireBlock",
    "SqueezeNet fire module: a 1×1 squeeze conv, then 1×1 and 3×3 expand convs side by side (all + ReLU).",
    (Param("squeeze", "int", 16, "Channels of the squeeze conv.", 1, 65536, key=True),
     Param("expand1x1", "int", 64, "Filters of the 1×1 expand conv.", 1, 65536, key=True),
     Param("expand3x3", "int", 64, "Filters of the 3×3 expand conv.", 1, 65536, key=True)),
    lambda p, c, h, w: [conv("squeeze", c, p["squeeze"], 1, (h, w), bias=True, norm=False, act="ReLU"),
                        conv("expand1x1", p["squeeze"], p["expand1x1"], 1, (h, w), bias=True, norm=False, act="ReLU"),
                        conv("expand3x3", p["squeeze"], p["expand3x3"], 3, (h, w), bias=True, norm=False, act="ReLU")],
    lambda p, c, h, w: (p["expand1x1"] + p["expand3x3"], h, w), _fire_build, rf=lambda p: (3, 1))


# --- RegNet bottleneck ------------------------------------------------------------------------

def _regnet_parts(p, c, h, w) -> list[Part]:
    out, s, se = p["out_channels"], p["stride"], int(round(p["se_ratio"] * c))
    oh, ow = conv_out(h, 3, s, 1), conv_out(w, 3, s, 1)
    parts = []
    if c != out or s != 1:
        parts.append(conv("proj", c, out, 1, (oh, ow), stride=s))
    parts += [conv("a", c, out, 1, (h, w), act="relu"),
              conv("b", out, out, 3, (oh, ow), stride=s, groups=out // p["group_width"], act="relu")]
    if se:
        parts += squeeze_excitation("se", out, se, (oh, ow))
    parts += [conv("c", out, out, 1, (oh, ow)), Part("shortcut added, then ReLU", macs=out * oh * ow)]
    return parts


def _regnet_check(p, c, h, w):
    out, gw = p["out_channels"], p["group_width"]
    if out % gw:
        fit = max(d for d in range(1, gw + 1) if out % d == 0)
        raise BlockError(f"RegNetBlock: out_channels ({out}) must be divisible by group_width ({gw}).",
                         fix=set_params_fix(f"Set group_width to {fit}", group_width=fit), code="groups")


def _regnet_build(p, shapes):
    from .modules_tv import RegNetBlock
    return RegNetBlock(shapes[0][0], p["out_channels"], p["stride"], p["group_width"], p["se_ratio"])


composite(
    "RegNetBlock",
    "RegNet bottleneck: 1×1 conv, grouped 3×3 conv, optional squeeze-excitation, 1×1 conv, plus a shortcut.",
    (Param("out_channels", "int", 64, "Output channels (also the inner width).", 1, 65536, key=True),
     Param("stride", "int", 1, "Stride of the 3×3 conv; 2 halves the size.", 1, 16, key=True),
     Param("group_width", "int", 16, "Channels per group of the 3×3 conv.", 1, 65536, key=True),
     Param("se_ratio", "float", 0.0, "Squeeze-excitation width as a fraction of the input channels (0 = none).",
           0.0, 1.0)),
    _regnet_parts, lambda p, c, h, w: (p["out_channels"], conv_out(h, 3, p["stride"], 1), conv_out(w, 3, p["stride"], 1)),
    _regnet_build, _regnet_check, rf=lambda p: (3, p["stride"]))


# --- ConvNeXt block ---------------------------------------------------------------------------

def _cnblock_parts(p, c, h, w) -> list[Part]:
    pixels = h * w
    return [conv("depthwise", c, c, 7, (h, w), groups=c, bias=True, norm=False),
            norm("norm", c, (h, w), running=False, kind="LayerNorm"),
            linear("pointwise1", c, 4 * c, pixels), Part("GELU"), linear("pointwise2", 4 * c, c, pixels),
            Part(f"layer scale: one learned factor per channel (initially {p['layer_scale']:g})", c, 0, c * pixels),
            Part("shortcut: input added to the output", macs=c * pixels)]


def _cnblock_build(p, shapes):
    from .modules_tv import CNBlock
    return CNBlock(shapes[0][0], p["layer_scale"], p["drop_path"])


composite(
    "ConvNeXtBlock",
    "ConvNeXt block: 7×7 depthwise conv, LayerNorm, 4× wider linear layer with GELU, back, "
    "scaled per channel, plus the input.",
    (Param("layer_scale", "float", 1e-6, "Initial per-channel scale of the block's output.", 0.0, 10.0),
     Param("drop_path", "float", 0.0, "Stochastic depth while training.", 0.0, 1.0)),
    _cnblock_parts, lambda p, c, h, w: (c, h, w), _cnblock_build, rf=lambda p: (7, 1))


# --- Inception-v3 modules A–E ------------------------------------------------------------------

def _v3_convs(p, c):
    """(name, in, out, kernel, stride-2?) of each BasicConv2d (conv without bias + BN + ReLU)."""
    c7 = p["channels"]
    return {
        "A": [("1x1", c, 64, 1, 0), ("5x5_1", c, 48, 1, 0), ("5x5_2", 48, 64, 5, 0), ("3x3dbl_1", c, 64, 1, 0),
              ("3x3dbl_2", 64, 96, 3, 0), ("3x3dbl_3", 96, 96, 3, 0), ("pool", c, c7, 1, 0)],
        "B": [("3x3", c, 384, 3, 1), ("3x3dbl_1", c, 64, 1, 0), ("3x3dbl_2", 64, 96, 3, 0), ("3x3dbl_3", 96, 96, 3, 1)],
        "C": [("1x1", c, 192, 1, 0), ("7x7_1", c, c7, 1, 0), ("7x7_2", c7, c7, (1, 7), 0), ("7x7_3", c7, 192, (7, 1), 0),
              ("7x7dbl_1", c, c7, 1, 0), ("7x7dbl_2", c7, c7, (7, 1), 0), ("7x7dbl_3", c7, c7, (1, 7), 0),
              ("7x7dbl_4", c7, c7, (7, 1), 0), ("7x7dbl_5", c7, 192, (1, 7), 0), ("pool", c, 192, 1, 0)],
        "D": [("3x3_1", c, 192, 1, 0), ("3x3_2", 192, 320, 3, 1), ("7x7x3_1", c, 192, 1, 0),
              ("7x7x3_2", 192, 192, (1, 7), 0), ("7x7x3_3", 192, 192, (7, 1), 0), ("7x7x3_4", 192, 192, 3, 1)],
        "E": [("1x1", c, 320, 1, 0), ("3x3_1", c, 384, 1, 0), ("3x3_2a", 384, 384, (1, 3), 0),
              ("3x3_2b", 384, 384, (3, 1), 0), ("3x3dbl_1", c, 448, 1, 0), ("3x3dbl_2", 448, 384, 3, 0),
              ("3x3dbl_3a", 384, 384, (1, 3), 0), ("3x3dbl_3b", 384, 384, (3, 1), 0), ("pool", c, 192, 1, 0)],
    }[p["variant"]]


def _v3_size(p, h, w):
    """B and D reduce with unpadded stride-2 3×3 convs and max pooling; the others keep the size."""
    if p["variant"] in "BD":
        return conv_out(h, 3, 2, 0), conv_out(w, 3, 2, 0)
    return h, w


def _v3_shape(p, c, h, w):
    out = {"A": 224 + p["channels"], "B": 480 + c, "C": 768, "D": 512 + c, "E": 2048}[p["variant"]]
    return (out, *_v3_size(p, h, w))


def _v3_parts(p, c, h, w) -> list[Part]:
    small = _v3_size(p, h, w)
    parts = [conv(f"branch{name}", cin, cout, k, small if down else (h, w), stride=2 if down else 1, act="ReLU")
             for name, cin, cout, k, down in _v3_convs(p, c)]
    # the pooling branch: a 3×3 window per output value (docs/costs.md)
    if p["variant"] in "BD":
        return parts + [Part("pool: 3×3 max pooling, stride 2", macs=9 * c * small[0] * small[1])]
    return parts[:-1] + [Part("pool: 3×3 average pooling, padding 1", macs=9 * c * h * w), parts[-1]]


def _v3_check(p, c, h, w):
    if p["variant"] in "BD" and min(h, w) < 3:
        raise BlockError(f"InceptionV3Block {p['variant']}: its stride-2 3×3 convs need at least 3×3 pixels; "
                         f"the input is {h}×{w}.", code="spatial_too_small")


def _v3_build(p, shapes):
    from .modules_tv import InceptionV3
    return InceptionV3(shapes[0][0], p["variant"], p["channels"])


composite(
    "InceptionV3Block",
    "Inception-v3 module (variants A–E): parallel branches of factorised convolutions, concatenated.",
    (Param("variant", "choice", "A", "A: 5×5 and double 3×3; B: reduce; C: factorised 7×7; D: reduce; "
           "E: expanded 3×3.", choices=("A", "B", "C", "D", "E"), key=True),
     Param("channels", "int", 64, "A: pool branch width; C: width of the 7×7 branches; unused by B, D, E.",
           1, 65536, key=True)),
    _v3_parts, _v3_shape, _v3_build, _v3_check,
    rf=lambda p: ({"A": 5, "B": 5, "C": 13, "D": 11, "E": 5}[p["variant"]], 2 if p["variant"] in "BD" else 1))
