"""torch.nn modules for the model-zoo composites, written out so that exported code needs only
torch. Attribute names and the order of their tensors are torchvision's, so torchvision's
weights (and projects saved before) load unchanged."""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def stochastic_depth(x, p: float, mode: str, training: bool):
    """Drops whole samples ("row") or the whole batch with probability p while training."""
    if not training or p == 0.0:
        return x
    survival = 1.0 - p
    size = [x.shape[0]] + [1] * (x.ndim - 1) if mode == "row" else [1] * x.ndim
    noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
    return x * (noise / survival if survival > 0.0 else noise)


class StochasticDepth(nn.Module):
    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        return stochastic_depth(x, self.p, self.mode, self.training)


class SqueezeExcitation(nn.Module):
    """Global average → 1×1 conv → activation → 1×1 conv → gate, times the input."""

    def __init__(self, channels: int, squeeze: int, activation=nn.ReLU, gate=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = activation()
        self.scale_activation = gate()

    def forward(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each pixel."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return x.permute(self.dims)


class CNBlock(nn.Module):
    """ConvNeXt block: depthwise 7×7, LayerNorm, 4× MLP with GELU, layer scale, plus the input."""

    def __init__(self, dim: int, layer_scale: float, drop_path: float):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True), Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim),
            Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(drop_path, "row")

    def forward(self, x):
        return self.stochastic_depth(self.layer_scale * self.block(x)) + x


class DenseLayer(nn.Module):
    def __init__(self, cin: int, growth_rate: int, bn_size: int, drop_rate: float):
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth_rate), nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, features: list):
        out = self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))
        out = self.conv2(self.relu2(self.norm2(out)))
        return F.dropout(out, p=self.drop_rate, training=self.training) if self.drop_rate > 0 else out


class DenseBlock(nn.ModuleDict):
    """DenseNet block: each layer sees every channel before it and adds growth_rate more."""

    def __init__(self, num_layers: int, cin: int, bn_size: int, growth_rate: int, drop_rate: float):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", DenseLayer(cin + i * growth_rate, growth_rate, bn_size, drop_rate))

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseTransition(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm, self.relu = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class Fire(nn.Module):
    """SqueezeNet fire module: 1×1 squeeze, then 1×1 and 3×3 expands side by side."""

    def __init__(self, cin: int, squeeze: int, expand1x1: int, expand3x3: int):
        super().__init__()
        self.squeeze, self.squeeze_activation = nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True)
        self.expand1x1, self.expand1x1_activation = nn.Conv2d(squeeze, expand1x1, 1), nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def conv_bn_relu(cin, cout, k=1, stride=1, padding=0, eps=1e-5):
    """Conv2d (no bias) → BatchNorm2d → ReLU as a Sequential: torchvision's Conv2dNormActivation."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding, bias=False), nn.BatchNorm2d(cout, eps=eps),
                         nn.ReLU(inplace=True))


class RegNetBlock(nn.Module):
    """RegNet bottleneck: 1×1, grouped 3×3, squeeze-excitation (optional), 1×1, plus the input
    (projected when the shape changes), then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int, group_width: int, se_ratio: float):
        super().__init__()
        self.proj = None
        if cin != cout or stride != 1:
            self.proj = conv_bn_relu(cin, cout, 1, stride)[:2]
        grouped = nn.Sequential(nn.Conv2d(cout, cout, 3, stride, 1, groups=cout // group_width, bias=False),
                                nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        layers = OrderedDict(a=conv_bn_relu(cin, cout), b=grouped)
        se = int(round(se_ratio * cin))
        if se_ratio and se >= 1:
            layers["se"] = SqueezeExcitation(cout, se)
        layers["c"] = conv_bn_relu(cout, cout)[:2]
        self.f = nn.Sequential(layers)
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.activation((x if self.proj is None else self.proj(x)) + self.f(x))


def channel_shuffle(x, groups: int):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit: split (or copy, when striding) the channels, convolve, join, shuffle."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.stride, half = stride, cout // 2
        self.branch1 = nn.Sequential()
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.Conv2d(cin, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        self.branch2 = nn.Sequential(
            nn.Conv2d(cin if stride > 1 else half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class BasicConv2d(nn.Module):
    """GoogLeNet / Inception-v3 conv: no bias, BatchNorm (eps 0.001), ReLU."""

    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class GoogLeNetInception(nn.Module):
    """torchvision's GoogLeNet inception module (its 5×5 branch is a 3×3 conv)."""

    def __init__(self, cin, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(cin, ch1x1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, ch3x3red, 1), BasicConv2d(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(cin, ch5x5red, 1), BasicConv2d(ch5x5red, ch5x5, 3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(cin, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


# Inception-v3 modules A–E: each branch a list of convs (name, out, kernel, stride, padding); a
# tuple of two convs is a fork whose outputs are joined; "avg"/"max" is the pooling branch's pool.
_V3 = {
    "A": [[("branch1x1", 64, 1, 1, 0)], [("branch5x5_1", 48, 1, 1, 0), ("branch5x5_2", 64, 5, 1, 2)],
          [("branch3x3dbl_1", 64, 1, 1, 0), ("branch3x3dbl_2", 96, 3, 1, 1), ("branch3x3dbl_3", 96, 3, 1, 1)],
          ["avg", ("branch_pool", "c", 1, 1, 0)]],
    "B": [[("branch3x3", 384, 3, 2, 0)],
          [("branch3x3dbl_1", 64, 1, 1, 0), ("branch3x3dbl_2", 96, 3, 1, 1), ("branch3x3dbl_3", 96, 3, 2, 0)],
          ["max"]],
    "C": [[("branch1x1", 192, 1, 1, 0)],
          [("branch7x7_1", "c", 1, 1, 0), ("branch7x7_2", "c", (1, 7), 1, (0, 3)), ("branch7x7_3", 192, (7, 1), 1, (3, 0))],
          [("branch7x7dbl_1", "c", 1, 1, 0), ("branch7x7dbl_2", "c", (7, 1), 1, (3, 0)),
           ("branch7x7dbl_3", "c", (1, 7), 1, (0, 3)), ("branch7x7dbl_4", "c", (7, 1), 1, (3, 0)),
           ("branch7x7dbl_5", 192, (1, 7), 1, (0, 3))],
          ["avg", ("branch_pool", 192, 1, 1, 0)]],
    "D": [[("branch3x3_1", 192, 1, 1, 0), ("branch3x3_2", 320, 3, 2, 0)],
          [("branch7x7x3_1", 192, 1, 1, 0), ("branch7x7x3_2", 192, (1, 7), 1, (0, 3)),
           ("branch7x7x3_3", 192, (7, 1), 1, (3, 0)), ("branch7x7x3_4", 192, 3, 2, 0)],
          ["max"]],
    "E": [[("branch1x1", 320, 1, 1, 0)],
          [("branch3x3_1", 384, 1, 1, 0), (("branch3x3_2a", 384, (1, 3), 1, (0, 1)),
                                           ("branch3x3_2b", 384, (3, 1), 1, (1, 0)))],
          [("branch3x3dbl_1", 448, 1, 1, 0), ("branch3x3dbl_2", 384, 3, 1, 1),
           (("branch3x3dbl_3a", 384, (1, 3), 1, (0, 1)), ("branch3x3dbl_3b", 384, (3, 1), 1, (1, 0)))],
          ["avg", ("branch_pool", 192, 1, 1, 0)]],
}


class InceptionV3(nn.Module):
    """torchvision's Inception-v3 module of one variant (A–E); `channels` is A's pool width, C's 7×7 width."""

    def __init__(self, cin: int, variant: str, channels: int = 64):
        super().__init__()
        self.branches = _V3[variant]
        for branch in self.branches:
            c = cin
            for step in branch:
                for name, cout, k, s, p in (step if isinstance(step[0], tuple) else [step]) if step not in ("avg", "max") else []:
                    cout = channels if cout == "c" else cout
                    self.add_module(name, BasicConv2d(c, cout, k, s, p))
                c = cout if step not in ("avg", "max") else c

    def forward(self, x):
        outs = []
        for branch in self.branches:
            y = x
            for step in branch:
                if step == "avg":
                    y = F.avg_pool2d(y, kernel_size=3, stride=1, padding=1)
                elif step == "max":
                    y = F.max_pool2d(y, kernel_size=3, stride=2)
                elif isinstance(step[0], tuple):
                    y = torch.cat([self._modules[s[0]](y) for s in step], 1)
                else:
                    y = self._modules[step[0]](y)
            outs.append(y)
        return torch.cat(outs, 1)
