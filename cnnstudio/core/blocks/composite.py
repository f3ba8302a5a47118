"""Composite blocks: a ResNet residual block and a GoogLeNet inception block.

Their inner layers are listed by `inner_layers` so the editor can expand them.
"""
from __future__ import annotations

from . import custom
from .spec import BlockError, BlockSpec, Out, Param, need_spatial, register, set_params_fix



# --- ResidualBlock (torchvision BasicBlock / Bottleneck, v1.5: stride on the 3×3) -----

def bottleneck_width(params) -> int:
    """A bottleneck's inner width: a quarter of its output unless `width` says otherwise
    (ResNeXt and Wide ResNet are wider)."""
    return params.get("width") or params["out_channels"] // 4


def residual_parts(params, c: int) -> list[tuple[str, int, int, int, int]]:
    """(name, in_ch, out_ch, kernel, stride) of each conv, shortcut projection last."""
    out, s = params["out_channels"], params["stride"]
    if params["kind"] == "basic":
        convs = [("conv1", c, out, 3, s), ("conv2", out, out, 3, 1)]
    else:
        w = bottleneck_width(params)
        convs = [("conv1", c, w, 1, 1), ("conv2", w, w, 3, s), ("conv3", w, out, 1, 1)]
    if s != 1 or c != out:
        convs.append(("downsample", c, out, 1, s))
    return convs


def _residual_infer(params, shapes) -> Out:
    c, h, w = need_spatial("ResidualBlock", shapes)
    out, s = params["out_channels"], params["stride"]
    groups = params.get("groups", 1)
    if params["kind"] == "bottleneck" and bottleneck_width(params) % groups:
        raise BlockError(f"ResidualBlock: the inner width {bottleneck_width(params)} cannot be split into {groups} groups.",
                         fix=set_params_fix("Set groups to 1", groups=1), code="groups")
    if params["kind"] == "basic" and groups != 1:
        raise BlockError("ResidualBlock: a basic block has no grouped conv (groups is for bottlenecks).",
                         fix=set_params_fix("Set groups to 1", groups=1), code="groups")
    if params["kind"] == "bottleneck" and out % 4 and not params.get("width"):
        near = max(4, round(out / 4) * 4)
        raise BlockError(f"ResidualBlock: a bottleneck's out_channels ({out}) must be divisible by 4 "
                         f"(its inner width is a quarter of it).",
                         fix=set_params_fix(f"Set out_channels to {near}", out_channels=near), code="bottleneck_width")
    oh, ow = (h - 1) // s + 1, (w - 1) // s + 1
    n = macs = buffers = inner = 0
    for name, cin, cout, k, _ in residual_parts(params, c):
        g = groups if name == "conv2" and params["kind"] == "bottleneck" else 1
        cin //= g
        n += k * k * cin * cout + 2 * cout  # conv without bias + BatchNorm γ, β
        buffers += 2 * cout  # BatchNorm running mean and variance
        # a bottleneck's first 1×1 runs before the stride, at the input's size
        pixels = h * w if (name == "conv1" and params["kind"] == "bottleneck") else oh * ow
        macs += (k * k * cin + 2) * cout * pixels
        inner += 2 * cout * pixels  # conv and BatchNorm outputs
    rf = 3 + 2 * s if params["kind"] == "basic" else 3
    return Out(shape=(out, oh, ow), params=n, buffers=buffers,
               macs=macs + out * oh * ow, rf_kernel=rf, rf_stride=s, inner=inner)


def _residual_explain(params, shapes, out: Out) -> list[str]:
    c = shapes[0][0]
    lines = [f"{params['kind']} block, output = ReLU(main path + shortcut):"]
    groups = params.get("groups", 1)
    for name, cin, cout, k, s in residual_parts(params, c):
        g = groups if name == "conv2" and params["kind"] == "bottleneck" else 1
        gt = f" in {g} groups" if g > 1 else ""
        lines.append(f"  {name}: {k}×{k} conv {cin}→{cout}{gt}, stride {s}, + BatchNorm "
                     f"= {k}·{k}·{cin // g}·{cout} + 2·{cout} = {k * k * cin // g * cout + 2 * cout:,} params")
    if all(p[0] != "downsample" for p in residual_parts(params, c)):
        lines.append("  shortcut: identity (same shape)")
    lines.append(f"total parameters {out.params:,}")
    return lines


def _residual_build(params, shapes):
    from .modules import BasicBlock, Bottleneck
    if params["kind"] == "basic":
        return BasicBlock(shapes[0][0], params["out_channels"], params["stride"])
    return Bottleneck(shapes[0][0], params["out_channels"], params["stride"], params["groups"],
                      bottleneck_width(params))


register(BlockSpec(
    type="ResidualBlock", category="Composite",
    help="ResNet block: conv layers plus a shortcut that adds the input back.",
    params=(
        Param("out_channels", "int", 64, "Output channels (bottleneck: inner width is a quarter).", 1, 65536, key=True),
        Param("stride", "int", 1, "Stride of the 3×3 conv; 2 halves the size.", 1, 16, key=True),
        Param("kind", "choice", "basic", "basic: two 3×3 convs; bottleneck: 1×1, 3×3, 1×1.",
              choices=("basic", "bottleneck")),
        Param("groups", "int", 1, "Bottleneck: groups of the 3×3 conv (ResNeXt: 32 or 64).", 1, 65536),
        Param("width", "int", 0, "Bottleneck: inner width (0 = a quarter of out_channels; "
              "ResNeXt and Wide ResNet are wider).", 0, 65536),
    ),
    infer=_residual_infer, build=_residual_build, explain=_residual_explain, dims=2))


# --- InceptionBlock (GoogLeNet, conv + ReLU branches) ----------------------------------

INCEPTION_KEYS = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")


def inception_parts(params, c: int) -> list[tuple[str, int, int, int]]:
    """(name, in_ch, out_ch, kernel) of each conv. torchvision's GoogLeNet has a 3×3 conv
    where the paper's "5×5" branch has a 5×5 one."""
    p = params
    k3 = 3 if p.get("kind") == "torchvision" else 5
    return [("branch1.conv", c, p["ch1x1"], 1),
            ("branch2.reduce", c, p["ch3x3red"], 1), ("branch2.conv", p["ch3x3red"], p["ch3x3"], 3),
            ("branch3.reduce", c, p["ch5x5red"], 1), ("branch3.conv", p["ch5x5red"], p["ch5x5"], k3),
            ("branch4.proj", c, p["pool_proj"], 1)]


def _inception_infer(params, shapes) -> Out:
    c, h, w = need_spatial("InceptionBlock", shapes)
    out = params["ch1x1"] + params["ch3x3"] + params["ch5x5"] + params["pool_proj"]
    bn = params["kind"] == "torchvision"  # conv without bias + BatchNorm (γ, β) instead of conv + bias
    n = sum(k * k * cin * cout + (2 if bn else 1) * cout for _, cin, cout, k in inception_parts(params, c))
    buffers = sum(2 * cout for _, _, cout, _ in inception_parts(params, c)) if bn else 0
    macs = sum((k * k * cin + (2 if bn else 0)) * cout for _, cin, cout, k in inception_parts(params, c)) * h * w
    inner = (sum(cout for _, _, cout, _ in inception_parts(params, c)) * (2 if bn else 1) + c) * h * w
    return Out(shape=(out, h, w), params=n, buffers=buffers, macs=macs + 9 * c * h * w,
               rf_kernel=5 if not bn else 3, inner=inner)


def _inception_explain(params, shapes, out: Out) -> list[str]:
    c = shapes[0][0]
    lines = ["four parallel branches, concatenated along channels (sizes kept by padding):"]
    for name, cin, cout, k in inception_parts(params, c):
        if params["kind"] == "torchvision":
            lines.append(f"  {name}: {k}×{k} conv {cin}→{cout} + BatchNorm = {k}·{k}·{cin}·{cout} + 2·{cout} "
                         f"= {k * k * cin * cout + 2 * cout:,} params")
        else:
            lines.append(f"  {name}: {k}×{k} conv {cin}→{cout} = ({k}·{k}·{cin} + 1)·{cout} "
                         f"= {(k * k * cin + 1) * cout:,} params")
    p = params
    lines.append(f"channels {p['ch1x1']} + {p['ch3x3']} + {p['ch5x5']} + {p['pool_proj']} = {out.shape[0]}")
    return lines


def _inception_build(params, shapes):
    if params["kind"] == "torchvision":
        from .modules_tv import GoogLeNetInception
        return GoogLeNetInception(shapes[0][0], *(params[k] for k in INCEPTION_KEYS))
    from .modules import Inception
    return Inception(shapes[0][0], *(params[k] for k in INCEPTION_KEYS))


register(BlockSpec(
    type="InceptionBlock", category="Composite",
    help="GoogLeNet block: 1×1, 3×3, 5×5 and pooling branches side by side.",
    params=(
        Param("ch1x1", "int", 64, "Filters in the 1×1 branch.", 1, 65536, key=True),
        Param("ch3x3red", "int", 96, "1×1 reduction before the 3×3 conv.", 1, 65536),
        Param("ch3x3", "int", 128, "Filters in the 3×3 branch.", 1, 65536, key=True),
        Param("ch5x5red", "int", 16, "1×1 reduction before the 5×5 conv.", 1, 65536),
        Param("ch5x5", "int", 32, "Filters in the 5×5 branch.", 1, 65536, key=True),
        Param("pool_proj", "int", 32, "1×1 filters after the 3×3 max pool.", 1, 65536, key=True),
        Param("kind", "choice", "paper", "paper: conv + ReLU, a 5×5 branch; torchvision: conv + BatchNorm + "
              "ReLU, a 3×3 conv in that branch (its GoogLeNet's weights).", choices=("paper", "torchvision")),
    ),
    infer=_inception_infer, build=_inception_build, explain=_inception_explain, dims=2))


def inner_layers(node_type: str, params: dict, in_shape) -> list[str]:
    """One line per inner layer, for expanding a composite block on the canvas."""
    c = in_shape[0] if in_shape else "?"
    if node_type == "ResidualBlock" and isinstance(c, int):
        return [f"{n}: {k}×{k} conv {ci}→{co} s{s} + BN" for n, ci, co, k, s in residual_parts(params, c)]
    if node_type == "InceptionBlock" and isinstance(c, int):
        bn = " + BN" if params.get("kind") == "torchvision" else ""
        return [f"{n}: {k}×{k} conv {ci}→{co}{bn} + ReLU" for n, ci, co, k in inception_parts(params, c)]
    if node_type == "Custom":
        return custom.inner_layers(params, in_shape)
    from .parts import PARTS
    if node_type in PARTS and in_shape and len(in_shape) == 3:
        return [p.text for p in PARTS[node_type](params, *in_shape)]
    return []
