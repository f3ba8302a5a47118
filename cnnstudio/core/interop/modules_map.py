"""torch modules → CNN Studio blocks: `block_for(module)` gives (block type, params), or None
when the module is not one block (the tracer then looks inside it).

torchvision's composite modules map to composite blocks whose torch modules hold the same
parameters in the same order, so weights copy across one to one."""
from __future__ import annotations

import torch.nn as nn

from ..blocks.activations import ACTIVATIONS

ACT_OF_CLASS = {cls: name for name, (cls, _) in ACTIVATIONS.items()}


def _size(v):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    return v[0] if v[0] == v[1] else list(v)


def activation_name(m) -> str | None:
    """The file name of an activation module ("relu", ...), None if it is not a plain one."""
    name = ACT_OF_CLASS.get(type(m).__name__)
    if name is None or type(m).__module__.split(".")[0] != "torch":
        return None
    if name == "gelu" and m.approximate != "none":
        return None
    if name == "softmax" and m.dim not in (1, -3):
        return None
    return name


def _conv(m: nn.Conv2d) -> dict:
    pad = m.padding if isinstance(m.padding, str) else _size(m.padding)
    return dict(out_channels=m.out_channels, kernel_size=_size(m.kernel_size), stride=_size(m.stride),
                padding=pad, dilation=_size(m.dilation), groups=m.groups, bias=m.bias is not None,
                padding_mode=m.padding_mode)


def _bn_ok(bn) -> bool:
    return type(bn) is nn.BatchNorm2d and bn.affine and bn.track_running_stats and bn.momentum is not None


def _conv_bn_act(conv, bn, act) -> tuple[str, dict] | None:
    """ConvBNAct from its three parts (act may be None)."""
    if type(conv) is not nn.Conv2d or conv.padding_mode != "zeros" or not _bn_ok(bn):
        return None
    name = "none" if act is None else activation_name(act)
    if name is None:
        return None
    p = _conv(conv)
    del p["padding_mode"]
    return "ConvBNAct", {**p, "eps": bn.eps, "momentum": bn.momentum, "activation": name}


def _plain(m) -> tuple[str, dict] | None:
    t = type(m)
    act = activation_name(m)
    if act is not None:
        params = {}
        if act == "leaky_relu":
            params = {"negative_slope": m.negative_slope}
        elif act == "elu":
            params = {"alpha": m.alpha}
        return ACTIVATIONS[act][0], params
    if t is nn.Conv2d:
        return "Conv2d", _conv(m)
    if t is nn.Linear:
        return "Linear", {"out_features": m.out_features, "bias": m.bias is not None}
    if t is nn.BatchNorm2d and m.momentum is not None:
        return "BatchNorm2d", {"eps": m.eps, "momentum": m.momentum, "affine": m.affine,
                               "track_running_stats": m.track_running_stats}
    if t in (nn.MaxPool2d, nn.AvgPool2d):
        if t is nn.MaxPool2d and _size(m.dilation) != 1:
            return None
        # without padding, leaving it out of the average changes nothing
        if t is nn.AvgPool2d and (not m.count_include_pad and _size(m.padding) != 0 or m.divisor_override):
            return None
        stride = None if m.stride is None or m.stride == m.kernel_size else _size(m.stride)
        return t.__name__, {"kernel_size": _size(m.kernel_size), "stride": stride, "padding": _size(m.padding),
                            "ceil_mode": m.ceil_mode}
    if t is nn.AdaptiveAvgPool2d and None not in _tuple(m.output_size):
        return "AdaptiveAvgPool2d", {"output_size": _size(m.output_size)}
    if t in (nn.Dropout, nn.Dropout2d):
        return t.__name__, {"p": m.p}
    if t is nn.Flatten and m.start_dim == 1 and m.end_dim == -1:
        return "Flatten", {}
    if t is nn.Identity:
        return "Identity", {}
    if t is nn.GroupNorm and (not m.affine or m.bias is not None):  # no bias (PoolFormerV2): no block
        return "GroupNorm", {"num_groups": m.num_groups, "eps": m.eps, "affine": m.affine}
    if t is nn.LocalResponseNorm:
        return "LocalResponseNorm", {"size": m.size, "alpha": m.alpha, "beta": m.beta, "k": float(m.k)}
    if t in (nn.ZeroPad2d, nn.ConstantPad2d, nn.ReplicationPad2d) and (t is not nn.ConstantPad2d or m.value == 0) \
            and min(m.padding) >= 0:  # negative: cropping (NASNet), no block
        return "Pad2d", {**dict(zip(("left", "right", "top", "bottom"), m.padding)),
                         "mode": "replicate" if t is nn.ReplicationPad2d else "zeros"}
    if t is nn.Upsample and m.size is None and len(set(_tuple(m.scale_factor))) == 1 and not m.align_corners \
            and m.mode in ("nearest", "bilinear", "bicubic") and not m.recompute_scale_factor:
        return "Upsample", {"scale_factor": float(_tuple(m.scale_factor)[0]), "mode": m.mode}
    if t is nn.ChannelShuffle:
        return "ChannelShuffle", {"groups": m.groups}
    return None


def _tuple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def block_for(m) -> tuple[str, dict] | None:
    plain = _plain(m)
    if plain is not None:
        return plain
    return _torchvision(m)


def _torchvision(m) -> tuple[str, dict] | None:  # noqa: C901 - one branch per torchvision class
    module = type(m).__module__
    if not module.startswith("torchvision."):
        return None
    import importlib
    (convnext, densenet, efficientnet, googlenet, inception, mnasnet, mobilenetv2, mobilenetv3, regnet, resnet,
     shufflenetv2, squeezenet) = (importlib.import_module(f"torchvision.models.{n}") for n in (
        "convnext", "densenet", "efficientnet", "googlenet", "inception", "mnasnet", "mobilenetv2", "mobilenetv3",
        "regnet", "resnet", "shufflenetv2", "squeezenet"))
    from torchvision.ops import Conv2dNormActivation, StochasticDepth

    if isinstance(m, StochasticDepth):
        return "StochasticDepth", {"p": m.p, "mode": m.mode}
    if isinstance(m, convnext.LayerNorm2d) and m.elementwise_affine and m.bias is not None:
        return "LayerNorm2d", {"eps": m.eps}
    if isinstance(m, Conv2dNormActivation):
        kids = list(m)
        if len(kids) in (2, 3):
            return _conv_bn_act(kids[0], kids[1], kids[2] if len(kids) == 3 else None)
        return None
    if isinstance(m, (googlenet.BasicConv2d, inception.BasicConv2d)):
        return _conv_bn_act(m.conv, m.bn, nn.ReLU())
    if isinstance(m, resnet.BasicBlock):
        stride = m.conv1.stride[0]
        p = {"out_channels": m.conv2.out_channels, "stride": stride, "kind": "basic"}
        return ("ResidualBlock", p) if _shortcut_ok(m, m.conv1.in_channels, p) else None
    if isinstance(m, resnet.Bottleneck):
        out, width = m.conv3.out_channels, m.conv1.out_channels
        p = {"out_channels": out, "stride": m.conv2.stride[0], "kind": "bottleneck", "groups": m.conv2.groups,
             "width": 0 if width == out // 4 else width}
        return ("ResidualBlock", p) if _shortcut_ok(m, m.conv1.in_channels, p) else None
    if isinstance(m, googlenet.Inception):
        convs = [m.branch1.conv, m.branch2[0].conv, m.branch2[1].conv, m.branch3[0].conv, m.branch3[1].conv,
                 m.branch4[1].conv]
        keys = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")
        return "InceptionBlock", {**{k: c.out_channels for k, c in zip(keys, convs)}, "kind": "torchvision"}
    for v in "ABCDE":
        if type(m) is getattr(inception, f"Inception{v}"):
            channels = {"A": lambda: m.branch_pool.conv.out_channels, "C": lambda: m.branch7x7_1.conv.out_channels}
            return "InceptionV3Block", {"variant": v, "channels": channels[v]() if v in channels else 64}
    if isinstance(m, mobilenetv2.InvertedResidual):
        k = list(m.conv)  # the projection is a bare conv and BatchNorm
        return _inverted(k[:-2] + [nn.Sequential(*k[-2:])], m.use_res_connect, 0.0)
    if isinstance(m, mobilenetv3.InvertedResidual):
        return _inverted(list(m.block), m.use_res_connect, 0.0)
    if isinstance(m, efficientnet.MBConv):
        return _inverted(list(m.block), m.use_res_connect, m.stochastic_depth.p)
    if isinstance(m, mnasnet._InvertedResidual):
        k = list(m.layers)  # one flat list: regrouped as expand, depthwise, project
        return _inverted([nn.Sequential(*k[0:3]), nn.Sequential(*k[3:6]), nn.Sequential(*k[6:8])],
                         m.apply_residual, 0.0)
    if isinstance(m, efficientnet.FusedMBConv):
        blocks = list(m.block)
        first = blocks[0][0]
        return "FusedMBConv", {"out_channels": blocks[-1][0].out_channels, "kernel_size": first.kernel_size[0],
                               "stride": first.stride[0], "expanded": first.out_channels if len(blocks) == 2
                               else first.in_channels, "eps": blocks[0][1].eps, "momentum": blocks[0][1].momentum,
                               "drop_path": m.stochastic_depth.p}
    if isinstance(m, shufflenetv2.InvertedResidual):
        return "ShuffleUnit", {"out_channels": m.branch2[0].out_channels * 2, "stride": m.stride}
    if isinstance(m, densenet._DenseBlock):
        layers = list(m.values())
        first = layers[0]
        return "DenseBlock", {"num_layers": len(layers), "growth_rate": first.conv2.out_channels,
                              "bn_size": first.conv1.out_channels // first.conv2.out_channels,
                              "drop_rate": first.drop_rate}
    if isinstance(m, densenet._Transition):
        return "DenseTransition", {"out_channels": m.conv.out_channels}
    if isinstance(m, squeezenet.Fire):
        return "FireBlock", {"squeeze": m.squeeze.out_channels, "expand1x1": m.expand1x1.out_channels,
                             "expand3x3": m.expand3x3.out_channels}
    if isinstance(m, regnet.ResBottleneckBlock):
        f = m.f
        se = getattr(f, "se", None)
        b = f.b[0]
        bn = f.a[1]
        if f.a[0].out_channels != f.c[0].out_channels or bn.eps != 1e-5 or type(f.a[2]) is not nn.ReLU:
            return None
        return "RegNetBlock", {"out_channels": f.c[0].out_channels, "stride": b.stride[0],
                               "group_width": b.out_channels // b.groups,
                               "se_ratio": se.fc1.out_channels / f.a[0].in_channels if se is not None else 0.0}
    if isinstance(m, convnext.CNBlock):
        return "ConvNeXtBlock", {"layer_scale": 1e-6, "drop_path": m.stochastic_depth.p}
    return None


def _shortcut_ok(m, cin: int, p: dict) -> bool:
    """Our ResidualBlock projects exactly when the shape changes; so does torchvision's."""
    needs = p["stride"] != 1 or cin != p["out_channels"]
    return (m.downsample is not None) == needs


def _inverted(stages: list, residual: bool, drop_path: float) -> tuple[str, dict] | None:
    """expand?, depthwise, SE?, project (each conv + BN [+ act]) → InvertedResidual."""
    from torchvision.ops import SqueezeExcitation

    se = [s for s in stages if isinstance(s, SqueezeExcitation)]
    convs = [s for s in stages if not isinstance(s, SqueezeExcitation)]
    depthwise = convs[-2]
    dw, bn = depthwise[0], depthwise[1]
    cin = convs[0][0].in_channels
    cout = convs[-1][0].out_channels
    act = activation_name(depthwise[2]) if len(depthwise) > 2 else None
    if act is None or residual != (dw.stride[0] == 1 and cin == cout) or dw.dilation[0] != 1:
        return None
    p = {"out_channels": cout, "kernel_size": dw.kernel_size[0], "stride": dw.stride[0],
         "expanded": dw.out_channels, "activation": act, "eps": bn.eps, "momentum": bn.momentum,
         "drop_path": drop_path}
    if se:
        s = se[0]
        p.update(se_channels=s.fc1.out_channels, se_activation=activation_name(s.activation) or "relu",
                 se_gate=activation_name(s.scale_activation) or "sigmoid")
    return "InvertedResidual", p
