"""torch.nn modules the compiler needs beyond torch.nn itself. Imports torch: load lazily."""
from __future__ import annotations

import torch
import torch.nn as nn


class Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Mul(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, dim=1)


def _conv_bn(cin, cout, k, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: two 3×3 conv + BN, projection shortcut when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(cin, cout, 3, stride)
        self.conv2, self.bn2 = _conv_bn(cout, cout, 3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(*_conv_bn(cin, cout, 1, stride))
                           if stride != 1 or cin != cout else None)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (v1.5): 1×1 → 3×3 (stride, groups) → 1×1, inner width cout/4
    unless given (ResNeXt, Wide ResNet)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, groups: int = 1, width: int = 0):
        super().__init__()
        w = width or cout // 4
        self.conv1, self.bn1 = _conv_bn(cin, w, 1)
        self.conv2, self.bn2 = _conv_bn(w, w, 3, stride, groups)
        self.conv3, self.bn3 = _conv_bn(w, cout, 1)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(*_conv_bn(cin, cout, 1, stride))
                           if stride != 1 or cin != cout else None)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


def _conv_relu(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.ReLU(inplace=True))


class Inception(nn.Module):
    """GoogLeNet inception module (conv + ReLU branches, as in the paper)."""

    def __init__(self, cin, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = _conv_relu(cin, ch1x1, 1)
        self.branch2 = nn.Sequential(_conv_relu(cin, ch3x3red, 1), _conv_relu(ch3x3red, ch3x3, 3))
        self.branch3 = nn.Sequential(_conv_relu(cin, ch5x5red, 1), _conv_relu(ch5x5red, ch5x5, 5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), _conv_relu(cin, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class DeformConv(nn.Module):
    """torchvision's DeformConv2d with its own offset predictor: a conv with the same window
    giving (dy, dx) per tap and output pixel (then a mask through a sigmoid when modulated).
    The predictor starts at zero, so training starts from a plain convolution."""

    def __init__(self, cin, cout, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 offset_groups=1, modulated=False, bias=True):
        from torchvision.ops import DeformConv2d
        super().__init__()
        kh, kw = kernel_size
        self.n_offsets = offset_groups * 2 * kh * kw
        n_out = offset_groups * (3 if modulated else 2) * kh * kw
        self.offset = nn.Conv2d(cin, n_out, kernel_size, stride, padding, dilation, bias=True)
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)
        self.modulated = modulated
        self.conv = DeformConv2d(cin, cout, kernel_size, stride, padding, dilation, groups, bias)

    def offsets_and_mask(self, x):
        o = self.offset(x)
        if not self.modulated:
            return o, None
        return o[:, :self.n_offsets], torch.sigmoid(o[:, self.n_offsets:])

    def forward(self, x):
        offset, mask = self.offsets_and_mask(x)
        return self.conv(x, offset, mask)


class ChannelSlice(nn.Module):
    def __init__(self, start: int, end: int):
        super().__init__()
        self.start, self.end = start, end

    def forward(self, x):
        return x[:, self.start:self.end]


class LayerScale(nn.Module):
    """x · γ, one learned γ per channel ([C, 1, 1] for images, as torchvision's ConvNeXt)."""

    def __init__(self, channels: int, dims: int = 2, init: float = 1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,) + (1,) * dims, float(init)))

    def forward(self, x):
        return x * self.gamma


class MaxUnpool(nn.MaxUnpool2d):
    """nn.MaxUnpool2d that restores a fixed size (its MaxPool2d's input) when given one, as
    forward's `output_size` does: an odd-sized map pooled by 2 comes back at its own size."""

    def __init__(self, kernel_size, stride=None, padding=0, output_size=None):
        super().__init__(kernel_size, stride, padding)
        self.output_size = output_size

    def forward(self, x, indices):
        # the size worked out here and the aten op called directly: F.max_unpool2d's own size
        # check fails under torch.jit.trace (it compares traced sizes as tensors)
        k, s, p = self.kernel_size, self.stride, self.padding
        size = self.output_size or [(x.shape[-2] - 1) * s[0] - 2 * p[0] + k[0],
                                    (x.shape[-1] - 1) * s[1] - 2 * p[1] + k[1]]
        return torch.ops.aten.max_unpool2d(x, indices, size)
