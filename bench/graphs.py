"""Large test graphs for the benchmarks: ResNet-152 with every layer as its own block."""
from __future__ import annotations

from cnnstudio.core import Graph


def resnet152_expanded(image: int = 224) -> Graph:
    """torchvision's ResNet-152 (60,192,808 parameters) as ~500 plain blocks."""
    g = Graph()
    x = g.add("Input", shape=[3, image, image])
    x = g.add("Conv2d", x, id="conv1", out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    x = g.add("BatchNorm2d", x, id="bn1")
    x = g.add("ReLU", x, id="relu1")
    x = g.add("MaxPool2d", x, id="maxpool", kernel_size=3, stride=2, padding=1)
    cin = 64
    for stage, (width, n) in enumerate(((64, 3), (128, 8), (256, 36), (512, 3)), start=1):
        for i in range(n):
            b = f"l{stage}_{i}_"
            stride = 2 if stage > 1 and i == 0 else 1
            y = g.add("Conv2d", x, id=b + "conv1", out_channels=width, kernel_size=1, bias=False)
            y = g.add("BatchNorm2d", y, id=b + "bn1")
            y = g.add("ReLU", y, id=b + "relu1")
            y = g.add("Conv2d", y, id=b + "conv2", out_channels=width, kernel_size=3, stride=stride,
                      padding=1, bias=False)
            y = g.add("BatchNorm2d", y, id=b + "bn2")
            y = g.add("ReLU", y, id=b + "relu2")
            y = g.add("Conv2d", y, id=b + "conv3", out_channels=4 * width, kernel_size=1, bias=False)
            y = g.add("BatchNorm2d", y, id=b + "bn3")
            short = x
            if stride != 1 or cin != 4 * width:
                short = g.add("Conv2d", x, id=b + "down", out_channels=4 * width, kernel_size=1,
                              stride=stride, bias=False)
                short = g.add("BatchNorm2d", short, id=b + "down_bn")
            s = g.add("Add", short, y, id=b + "add")
            x = g.add("ReLU", s, id=b + "out")
            cin = 4 * width
    x = g.add("AdaptiveAvgPool2d", x, id="avgpool")
    x = g.add("Flatten", x, id="flatten")
    g.add("Linear", x, id="fc", out_features=1000)
    return g
