"""Writes the sample projects in this folder. Run: python sample_projects/build_samples.py

The ImageNet-sized samples reproduce torchvision's AlexNet, VGG-16, ResNet-18 and ResNet-34
exactly (tests/core/test_samples.py compares parameter counts and output shapes). ZFNet,
GoogLeNet and ResNet-50 follow their papers at 224×224 with a 5-class head, so they train on
the generated Shapes set anywhere, offline.
"""
from __future__ import annotations

from pathlib import Path

from cnnstudio.core import Graph, Project, save_project

HERE = Path(__file__).parent


def lenet5() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[1, 28, 28])
    x = g.add("Conv2d", x, id="c1", out_channels=6, kernel_size=5, padding=2, activation="relu")
    x = g.add("MaxPool2d", x, id="s2", kernel_size=2)
    x = g.add("Conv2d", x, id="c3", out_channels=16, kernel_size=5, activation="relu")
    x = g.add("MaxPool2d", x, id="s4", kernel_size=2)
    x = g.add("Flatten", x)
    x = g.add("Linear", x, id="f5", out_features=120, activation="relu")
    x = g.add("Linear", x, id="f6", out_features=84, activation="relu")
    g.add("Linear", x, id="output", out_features=10)
    return g


def cifar10_convnet() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    for stage, width in enumerate((32, 64), start=1):
        for i in (1, 2):
            x = g.add("Conv2d", x, id=f"conv{stage}_{i}", out_channels=width, kernel_size=3,
                      padding=1, bias=False)
            x = g.add("BatchNorm2d", x, id=f"bn{stage}_{i}")
            x = g.add("ReLU", x, id=f"relu{stage}_{i}")
        x = g.add("MaxPool2d", x, id=f"pool{stage}", kernel_size=2)
        x = g.add("Dropout2d", x, id=f"drop{stage}", p=0.1)
    x = g.add("Flatten", x)
    x = g.add("Linear", x, id="fc1", out_features=256, activation="relu")
    x = g.add("Dropout", x, id="drop3", p=0.5)
    g.add("Linear", x, id="output", out_features=10)
    return g


def alexnet() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    convs = [(64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False),
             (256, 3, 1, 1, False), (256, 3, 1, 1, True)]
    for i, (k, f, s, p, pool) in enumerate(convs, start=1):
        x = g.add("Conv2d", x, id=f"conv{i}", out_channels=k, kernel_size=f, stride=s, padding=p,
                  activation="relu")
        if pool:
            x = g.add("MaxPool2d", x, id=f"pool{i}", kernel_size=3, stride=2)
    x = g.add("AdaptiveAvgPool2d", x, id="avgpool", output_size=6)
    x = g.add("Flatten", x)
    x = g.add("Dropout", x, id="drop1")
    x = g.add("Linear", x, id="fc1", out_features=4096, activation="relu")
    x = g.add("Dropout", x, id="drop2")
    x = g.add("Linear", x, id="fc2", out_features=4096, activation="relu")
    g.add("Linear", x, id="output", out_features=1000)
    return g


def vgg16() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    for stage, (width, n) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1):
        for i in range(1, n + 1):
            x = g.add("Conv2d", x, id=f"conv{stage}_{i}", out_channels=width, kernel_size=3,
                      padding=1, activation="relu")
        x = g.add("MaxPool2d", x, id=f"pool{stage}", kernel_size=2)
    x = g.add("AdaptiveAvgPool2d", x, id="avgpool", output_size=7)
    x = g.add("Flatten", x)
    x = g.add("Linear", x, id="fc1", out_features=4096, activation="relu")
    x = g.add("Dropout", x, id="drop1")
    x = g.add("Linear", x, id="fc2", out_features=4096, activation="relu")
    x = g.add("Dropout", x, id="drop2")
    g.add("Linear", x, id="output", out_features=1000)
    return g


def resnet(blocks_per_stage, kind="basic", classes=1000, image=224) -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, image, image])
    x = g.add("Conv2d", x, id="conv1", out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    x = g.add("BatchNorm2d", x, id="bn1")
    x = g.add("ReLU", x, id="relu")
    x = g.add("MaxPool2d", x, id="maxpool", kernel_size=3, stride=2, padding=1)
    widths = (64, 128, 256, 512) if kind == "basic" else (256, 512, 1024, 2048)
    for stage, (width, n) in enumerate(zip(widths, blocks_per_stage), start=1):
        for i in range(n):
            stride = 2 if stage > 1 and i == 0 else 1
            x = g.add("ResidualBlock", x, id=f"layer{stage}_{i}", out_channels=width, stride=stride, kind=kind)
    x = g.add("AdaptiveAvgPool2d", x, id="avgpool", output_size=1)
    x = g.add("Flatten", x)
    g.add("Linear", x, id="fc", out_features=classes)
    return g


def mini_inception() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    x = g.add("Conv2d", x, id="stem", out_channels=64, kernel_size=3, padding=1, activation="relu")
    x = g.add("InceptionBlock", x, id="inception3a", ch1x1=32, ch3x3red=48, ch3x3=64, ch5x5red=8,
              ch5x5=16, pool_proj=16)
    x = g.add("InceptionBlock", x, id="inception3b", ch1x1=64, ch3x3red=64, ch3x3=96, ch5x5red=16,
              ch5x5=48, pool_proj=32)
    x = g.add("MaxPool2d", x, id="pool", kernel_size=2)
    x = g.add("AdaptiveAvgPool2d", x, id="gap", output_size=1)
    x = g.add("Flatten", x)
    g.add("Linear", x, id="output", out_features=10)
    return g


def binary_classifier() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    x = g.add("Conv2d", x, out_channels=16, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x)
    x = g.add("Conv2d", x, out_channels=32, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x)
    x = g.add("Flatten", x)
    x = g.add("Linear", x, out_features=64, activation="relu")
    g.add("Linear", x, id="output", out_features=1, activation="sigmoid")
    return g


def shape_localizer() -> Graph:
    """Regresses one box (centre x, centre y, width, height), each as a fraction of the image."""
    g = Graph()
    x = g.add("Input", shape=[3, 64, 64])
    for width in (16, 32, 64):
        x = g.add("Conv2d", x, out_channels=width, kernel_size=3, padding=1, activation="relu")
        x = g.add("MaxPool2d", x)
    x = g.add("Flatten", x)
    x = g.add("Linear", x, out_features=128, activation="relu")
    g.add("Linear", x, id="box", out_features=4, activation="sigmoid")
    return g


def zfnet(classes: int = 5) -> Graph:
    """Zeiler & Fergus (2013): AlexNet with a 7×7 stride-2 first layer (and stride 2 in the
    second), the change their visualisations suggested; here with a 5-class head for Shapes."""
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    x = g.add("Conv2d", x, id="conv1", out_channels=96, kernel_size=7, stride=2, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="pool1", kernel_size=3, stride=2, padding=1)
    x = g.add("Conv2d", x, id="conv2", out_channels=256, kernel_size=5, stride=2, activation="relu")
    x = g.add("MaxPool2d", x, id="pool2", kernel_size=3, stride=2, padding=1)
    for i, k in ((3, 384), (4, 384), (5, 256)):
        x = g.add("Conv2d", x, id=f"conv{i}", out_channels=k, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="pool5", kernel_size=3, stride=2)
    x = g.add("Flatten", x)
    x = g.add("Dropout", x, id="drop1")
    x = g.add("Linear", x, id="fc6", out_features=4096, activation="relu")
    x = g.add("Dropout", x, id="drop2")
    x = g.add("Linear", x, id="fc7", out_features=4096, activation="relu")
    g.add("Linear", x, id="output", out_features=classes)
    return g


GOOGLENET = {  # the paper's table 1: ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def googlenet(classes: int = 5) -> Graph:
    """The full GoogLeNet (Szegedy et al., 2014): stem, nine inception modules, global
    average pooling (auxiliary classifiers left out); a 5-class head for Shapes."""
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    x = g.add("Conv2d", x, id="conv1", out_channels=64, kernel_size=7, stride=2, padding=3, activation="relu")
    x = g.add("MaxPool2d", x, id="pool1", kernel_size=3, stride=2, ceil_mode=True)
    x = g.add("Conv2d", x, id="conv2_reduce", out_channels=64, kernel_size=1, activation="relu")
    x = g.add("Conv2d", x, id="conv2", out_channels=192, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="pool2", kernel_size=3, stride=2, ceil_mode=True)
    keys = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")
    for name, widths in GOOGLENET.items():
        if name in ("4a", "5a"):
            x = g.add("MaxPool2d", x, id=f"pool{name[0]}", kernel_size=3, stride=2, ceil_mode=True)
        x = g.add("InceptionBlock", x, id=f"inception{name}", **dict(zip(keys, widths)))
    x = g.add("AdaptiveAvgPool2d", x, id="avgpool", output_size=1)
    x = g.add("Dropout", g.add("Flatten", x), id="drop", p=0.4)
    g.add("Linear", x, id="output", out_features=classes)
    return g


def signal_classifier() -> Graph:
    """A 1-D CNN for waveforms: three Conv1d stages, global average pooling, a linear head."""
    g = Graph()
    x = g.add("Input", shape=[1, 128])
    for i, (k, f) in enumerate(((16, 7), (32, 5), (64, 3)), start=1):
        x = g.add("Conv1d", x, id=f"conv{i}", out_channels=k, kernel_size=f, padding="same", bias=False)
        x = g.add("BatchNorm1d", x, id=f"bn{i}")
        x = g.add("ReLU", x, id=f"relu{i}")
        if i < 3:
            x = g.add("MaxPool1d", x, id=f"pool{i}", kernel_size=2)
    x = g.add("Flatten", g.add("AdaptiveAvgPool1d", x, id="gap", output_size=1))
    g.add("Linear", x, id="output", out_features=6)
    return g


def volume_classifier() -> Graph:
    """A 3-D CNN for voxel grids: two Conv3d stages with 3-D max pooling, then two linear layers."""
    g = Graph()
    x = g.add("Input", shape=[1, 16, 16, 16])
    for i, k in enumerate((8, 16), start=1):
        x = g.add("Conv3d", x, id=f"conv{i}", out_channels=k, kernel_size=3, padding=1, activation="relu")
        x = g.add("BatchNorm3d", x, id=f"bn{i}")
        x = g.add("MaxPool3d", x, id=f"pool{i}", kernel_size=2)
    x = g.add("Dropout3d", x, id="drop3d", p=0.1)
    x = g.add("Linear", g.add("Flatten", x), id="fc1", out_features=64, activation="relu")
    g.add("Linear", x, id="output", out_features=5)
    return g


def deformable_net() -> Graph:
    """A plain conv stem, then deformable convolutions (the last one modulated, DCNv2)."""
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    x = g.add("Conv2d", x, id="conv1", out_channels=16, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="pool1", kernel_size=2)
    x = g.add("DeformConv2d", x, id="dconv2", out_channels=32, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="pool2", kernel_size=2)
    x = g.add("DeformConv2d", x, id="dconv3", out_channels=64, kernel_size=3, padding=1, modulated=True,
              activation="relu")
    x = g.add("Flatten", g.add("AdaptiveAvgPool2d", x, id="gap", output_size=1))
    g.add("Linear", x, id="output", out_features=5)
    return g


def multilabel_net() -> Graph:
    """Which shapes are in the picture? One sigmoid per class (softmax would make them compete)."""
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    for i, k in enumerate((32, 64, 64), start=1):
        x = g.add("Conv2d", x, id=f"conv{i}", out_channels=k, kernel_size=3, padding=1, activation="relu")
        if i < 3:
            x = g.add("MaxPool2d", x, id=f"pool{i}", kernel_size=2)
    x = g.add("Flatten", g.add("AdaptiveAvgPool2d", x, id="gap", output_size=1))
    g.add("Linear", x, id="output", out_features=5, activation="sigmoid")
    return g


def encoder_decoder() -> Graph:
    """A small U-Net-shaped encoder–decoder: downsample twice, come back up with a transposed
    convolution and an upsampling, join the skip connection, then classify the result."""
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    e1 = g.add("Conv2d", x, id="enc1", out_channels=16, kernel_size=3, padding=1, activation="relu")
    e2 = g.add("Conv2d", g.add("MaxPool2d", e1, id="down1"), id="enc2", out_channels=32, kernel_size=3,
               padding=1, activation="relu")
    b = g.add("Conv2d", g.add("MaxPool2d", e2, id="down2"), id="bottleneck", out_channels=64, kernel_size=3,
              padding=1, activation="relu")
    d2 = g.add("ConvTranspose2d", b, id="up2", out_channels=32, kernel_size=2, stride=2, activation="relu")
    d2 = g.add("Conv2d", g.add("Concat", d2, e2, id="skip2"), id="dec2", out_channels=32, kernel_size=3,
               padding=1, activation="relu")
    d1 = g.add("Upsample", d2, id="up1", scale_factor=2.0, mode="bilinear")
    d1 = g.add("Conv2d", g.add("Concat", d1, e1, id="skip1"), id="dec1", out_channels=16, kernel_size=3,
               padding=1, activation="relu")
    x = g.add("Flatten", g.add("AdaptiveAvgPool2d", d1, id="gap", output_size=1))
    g.add("Linear", x, id="output", out_features=5)
    return g


def segnet() -> Graph:
    """SegNet's encoder–decoder in small: each MaxPool2d's indices go to the MaxUnpool2d that
    mirrors it (the unpool's second input), which puts the decoder's values back where the
    maxima were. A 1×1 convolution gives a score map per class at full resolution (a
    segmentation-style head); their averages classify the image."""
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    e1 = g.add("Conv2d", x, id="enc1", out_channels=16, kernel_size=3, padding=1, activation="relu")
    p1 = g.add("MaxPool2d", e1, id="pool1")
    e2 = g.add("Conv2d", p1, id="enc2", out_channels=32, kernel_size=3, padding=1, activation="relu")
    p2 = g.add("MaxPool2d", e2, id="pool2")
    b = g.add("Conv2d", p2, id="bottleneck", out_channels=32, kernel_size=3, padding=1, activation="relu")
    d2 = g.add("Conv2d", g.add("MaxUnpool2d", b, p2, id="unpool2"), id="dec2", out_channels=16, kernel_size=3,
               padding=1, activation="relu")
    d1 = g.add("Conv2d", g.add("MaxUnpool2d", d2, p1, id="unpool1"), id="dec1", out_channels=16, kernel_size=3,
               padding=1, activation="relu")
    maps = g.add("Conv2d", d1, id="class_maps", out_channels=5, kernel_size=1)
    g.add("Flatten", g.add("AdaptiveAvgPool2d", maps, id="gap", output_size=1), id="output")
    return g


TRAIN = {"epochs": 8, "batch_size": 64, "optimizer": "adam", "lr": 0.001}
SAMPLES = {
    # ≥ 97 % validation accuracy on MNIST 5k in 5 epochs on a CPU (seeds 0-2: 97.6, 97.1, 97.3 %)
    "lenet5": ("LeNet-5 (MNIST)", lenet5, {"id": "mnist5k"},
               {"epochs": 5, "batch_size": 16, "optimizer": "adam", "lr": 0.003, "schedule": "cosine"}),
    "cifar10_convnet": ("Small CIFAR-10 convnet", cifar10_convnet, {"id": "cifar10"},
                        {**TRAIN, "epochs": 20, "batch_size": 128, "schedule": "onecycle", "lr": 0.003}),
    "alexnet": ("AlexNet (torchvision)", alexnet, {}, {}),
    "vgg16": ("VGG-16 (torchvision)", vgg16, {}, {}),
    "resnet18": ("ResNet-18 (torchvision)", lambda: resnet((2, 2, 2, 2)), {}, {}),
    "resnet34": ("ResNet-34 (torchvision)", lambda: resnet((3, 4, 6, 3)), {}, {}),
    "mini_inception": ("Mini Inception (CIFAR-10)", mini_inception, {"id": "cifar10"}, TRAIN),
    "binary_classifier": ("Circle or square? (sigmoid head)", binary_classifier,
                          {"id": "shapes", "classes": ["circle", "square"], "image_size": 32},
                          {**TRAIN, "epochs": 5}),
    "shape_localizer": ("Shape localizer (box regression)", shape_localizer,
                        {"id": "shapes", "task": "box", "image_size": 64},
                        {**TRAIN, "epochs": 10}),
    "zfnet": ("ZFNet (Shapes, 224 px)", zfnet, {"id": "shapes", "image_size": 224, "count": 2000},
              {**TRAIN, "epochs": 5, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9}),
    "googlenet": ("GoogLeNet (Shapes, 224 px)", googlenet, {"id": "shapes", "image_size": 224, "count": 2000},
                  {**TRAIN, "epochs": 5, "batch_size": 32}),
    "resnet50": ("ResNet-50 (Shapes, 224 px)", lambda: resnet((3, 4, 6, 3), "bottleneck", classes=5),
                 {"id": "shapes", "image_size": 224, "count": 2000}, {**TRAIN, "epochs": 5, "batch_size": 32}),
    "signal_classifier": ("1-D CNN (signals)", signal_classifier, {"id": "signals"}, {**TRAIN, "epochs": 10}),
    "volume_classifier": ("3-D CNN (volumes)", volume_classifier, {"id": "volumes"}, {**TRAIN, "epochs": 10}),
    "deformable_net": ("Deformable convolutions (Shapes)", deformable_net, {"id": "shapes"}, TRAIN),
    "multilabel_net": ("Multi-label shapes (sigmoid head)", multilabel_net, {"id": "multi_shapes"},
                       {**TRAIN, "epochs": 10}),
    "encoder_decoder": ("Encoder–decoder (Shapes)", encoder_decoder, {"id": "shapes"}, TRAIN),
    "segnet": ("SegNet-style encoder–decoder (Shapes)", segnet, {"id": "shapes"}, TRAIN),
}


def main() -> None:
    for stem, (name, build, dataset, training) in SAMPLES.items():
        save_project(Project(name=name, graph=build(), dataset=dataset, training=training),
                     HERE / f"{stem}.cnnproj")
        print(f"wrote {stem}.cnnproj")


if __name__ == "__main__":
    main()
