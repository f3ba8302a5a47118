"""torch.nn modules for the model-zoo composites (see blocks/mobile.py). Their parameters are
registered in the same order as torchvision's, so imported weights map one to one."""
from __future__ import annotations

import torch.nn as nn
from .modules_tv import SqueezeExcitation, StochasticDepth

from .activations import build_activation


class ConvBNAct(nn.Sequential):
    """Conv2d → BatchNorm2d → activation (torchvision's Conv2dNormActivation)."""

    def __init__(self, cin, cout, k, stride=1, padding=None, dilation=1, groups=1, bias=False,
                 eps=1e-5, momentum=0.1, act="relu"):
        if padding is None:  # keeps the size at stride 1
            padding = (k - 1) // 2 * dilation
        layers = [nn.Conv2d(cin, cout, k, stride, padding, dilation=dilation, groups=groups, bias=bias),
                  nn.BatchNorm2d(cout, eps=eps, momentum=momentum)]
        if act != "none":
            layers.append(build_activation(act))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    """Expand 1×1 → depthwise k×k → squeeze-excitation (optional) → project 1×1, plus the
    input when stride is 1 and the channels match (MobileNetV2/V3, MBConv, MNASNet)."""

    def __init__(self, cin, cout, k, stride, expanded, act, se, se_act, se_gate, eps, momentum, drop_path):
        super().__init__()
        norm = dict(eps=eps, momentum=momentum)
        layers = []
        if expanded != cin:
            layers.append(ConvBNAct(cin, expanded, 1, act=act, **norm))
        layers.append(ConvBNAct(expanded, expanded, k, stride, groups=expanded, act=act, **norm))
        if se:
            layers.append(SqueezeExcitation(expanded, se, activation=lambda: build_activation(se_act),
                                            gate=lambda: build_activation(se_gate)))
        layers.append(ConvBNAct(expanded, cout, 1, act="none", **norm))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout
        self.stochastic_depth = StochasticDepth(drop_path, "row")

    def forward(self, x):
        y = self.block(x)
        return self.stochastic_depth(y) + x if self.residual else y


class FusedMBConv(nn.Module):
    """EfficientNetV2's fused block: k×k conv (expand) → 1×1 conv (project), SiLU."""

    def __init__(self, cin, cout, k, stride, expanded, eps, momentum, drop_path):
        super().__init__()
        norm = dict(eps=eps, momentum=momentum)
        if expanded != cin:
            layers = [ConvBNAct(cin, expanded, k, stride, act="silu", **norm),
                      ConvBNAct(expanded, cout, 1, act="none", **norm)]
        else:
            layers = [ConvBNAct(cin, cout, k, stride, act="silu", **norm)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout
        self.stochastic_depth = StochasticDepth(drop_path, "row")

    def forward(self, x):
        y = self.block(x)
        return self.stochastic_depth(y) + x if self.residual else y
