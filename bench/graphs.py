"""Large test graphs for the benchmarks: ResNet-152 with every layer as its own block, for
images and, with the 1-D or 3-D blocks, for signals and volumes."""
from __future__ import annotations

from cnnstudio.core import Graph


INPUTS = {1: [12, 5000], 2: [3, 224, 224], 3: [1, 64, 128, 128]}  # ECG leads, an image, a CT volume


def resnet152_expanded(image: int = 224, dims: int = 2) -> Graph:
    """torchvision's ResNet-152 (60,192,808 parameters for images) as ~500 plain blocks;
    dims 1 or 3 makes the same network of Conv1d/Conv3d blocks for a signal or a volume."""
    g = Graph()
    shape = [3, image, image] if dims == 2 else INPUTS[dims]
    x = g.add("Input", shape=shape)
    nd = f"{dims}d"

    def add(type_, *args, **kw):  # "Conv2d" → "Conv1d" / "Conv3d" for the other shapes
        return g.add(type_.replace("2d", nd), *args, **kw)

    x = add("Conv2d", x, id="conv1", out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    x = add("BatchNorm2d", x, id="bn1")
    x = add("ReLU", x, id="relu1")
    x = add("MaxPool2d", x, id="maxpool", kernel_size=3, stride=2, padding=1)
    cin = 64
    for stage, (width, n) in enumerate(((64, 3), (128, 8), (256, 36), (512, 3)), start=1):
        for i in range(n):
            b = f"l{stage}_{i}_"
            stride = 2 if stage > 1 and i == 0 else 1
            y = add("Conv2d", x, id=b + "conv1", out_channels=width, kernel_size=1, bias=False)
            y = add("BatchNorm2d", y, id=b + "bn1")
            y = add("ReLU", y, id=b + "relu1")
            y = add("Conv2d", y, id=b + "conv2", out_channels=width, kernel_size=3, stride=stride,
                      padding=1, bias=False)
            y = add("BatchNorm2d", y, id=b + "bn2")
            y = add("ReLU", y, id=b + "relu2")
            y = add("Conv2d", y, id=b + "conv3", out_channels=4 * width, kernel_size=1, bias=False)
            y = add("BatchNorm2d", y, id=b + "bn3")
            short = x
            if stride != 1 or cin != 4 * width:
                short = add("Conv2d", x, id=b + "down", out_channels=4 * width, kernel_size=1,
                              stride=stride, bias=False)
                short = add("BatchNorm2d", short, id=b + "down_bn")
            s = add("Add", short, y, id=b + "add")
            x = add("ReLU", s, id=b + "out")
            cin = 4 * width
    x = add("AdaptiveAvgPool2d", x, id="avgpool")
    x = add("Flatten", x, id="flatten")
    add("Linear", x, id="fc", out_features=1000)
    return g
