"""One way of counting (docs/costs.md): a composite block counts what its inner layers count as
blocks of their own; PyTorch-module blocks are measured by the same rules; layer defaults are
PyTorch's, and files written before a default changed keep their meaning."""
import inspect
import json

import pytest
import torch
import torchvision

from cnnstudio.core import CATALOGUE, Graph, analyze
from cnnstudio.core.blocks.torch_module import measure
from cnnstudio.core.project import dumps_project, parse_project

from .costs_reference import cnnstudio_macs


def total_macs(build, shape) -> int:
    g = Graph()
    x = g.add("Input", shape=shape)
    build(g, x)
    a = analyze(g)
    assert a.ok, [p.message for p in a.errors]
    return a.total("macs")


def cba(g, x, out, k, stride=1, padding=0, groups=1, act="relu"):
    return g.add("ConvBNAct", x, out_channels=out, kernel_size=k, stride=stride, padding=padding, groups=groups,
                 activation=act)


def inception_a(g, x):  # torchvision's InceptionA, pool branch 8 wide
    b1 = cba(g, x, 64, 1)
    b5 = cba(g, cba(g, x, 48, 1), 64, 5, padding=2)
    b3 = cba(g, cba(g, cba(g, x, 64, 1), 96, 3, padding=1), 96, 3, padding=1)
    bp = cba(g, g.add("AvgPool2d", x, kernel_size=3, stride=1, padding=1), 8, 1)
    g.add("Concat", b1, b5, b3, bp)


def inception_b(g, x):
    b3 = cba(g, x, 384, 3, stride=2)
    bd = cba(g, cba(g, cba(g, x, 64, 1), 96, 3, padding=1), 96, 3, stride=2)
    g.add("Concat", b3, bd, g.add("MaxPool2d", x, kernel_size=3, stride=2))


def regnet(g, x):  # 16 channels, groups of 8, no squeeze-excitation
    y = cba(g, cba(g, cba(g, x, 16, 1), 16, 3, padding=1, groups=2), 16, 1, act="none")
    g.add("ReLU", g.add("Add", x, y))


def residual(g, x):
    g.add("ReLU", g.add("Add", x, cba(g, cba(g, x, 16, 3, padding=1), 16, 3, padding=1, act="none")))


def convnext(g, x):  # the per-pixel linear layers as 1×1 convs: the same MACs
    y = g.add("Conv2d", x, out_channels=16, kernel_size=7, padding=3, groups=16)
    y = g.add("Conv2d", g.add("LayerNorm2d", y), out_channels=64, kernel_size=1, activation="gelu")
    g.add("Add", x, g.add("LayerScale", g.add("Conv2d", y, out_channels=16, kernel_size=1)))


def transition(g, x):
    y = g.add("Conv2d", g.add("BatchNorm2d", x), out_channels=3, kernel_size=1, bias=False, activation="none")
    g.add("AvgPool2d", y, kernel_size=2)


@pytest.mark.parametrize("block,params,shape,parts", [
    ("InceptionV3Block", {"variant": "A", "channels": 8}, [16, 5, 5], inception_a),
    ("InceptionV3Block", {"variant": "B"}, [16, 7, 7], inception_b),
    ("RegNetBlock", {"out_channels": 16, "group_width": 8}, [16, 6, 6], regnet),
    ("ResidualBlock", {"out_channels": 16}, [16, 6, 6], residual),
    ("ConvNeXtBlock", {}, [16, 5, 5], convnext),
    ("DenseTransition", {"out_channels": 3}, [6, 5, 5], transition),  # an odd size: the pooling floors
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_composite_counts_what_its_parts_count_as_blocks(block, params, shape, parts):
    assert total_macs(lambda g, x: g.add(block, x, **params), shape) == total_macs(parts, shape)


@pytest.mark.parametrize("module,shape", [
    (torchvision.models.mnasnet0_5(), [3, 32, 32]),  # its global pooling is x.mean([2, 3])
    (torchvision.models.resnet18().layer2[0], [64, 8, 8]),
    (torchvision.ops.SqueezeExcitation(8, 2), [8, 5, 5]),
    (torch.nn.Sequential(torch.nn.MaxPool2d(3, 2, 1), torch.nn.GroupNorm(2, 8), torch.nn.LayerNorm(4),
                         torch.nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.AdaptiveAvgPool2d(3),
                         torch.nn.BatchNorm2d(8, affine=False), torch.nn.BatchNorm2d(8, track_running_stats=False),
                         torch.nn.LocalResponseNorm(3), torch.nn.Upsample(scale_factor=2)), [8, 7, 8]),
    (torch.nn.Sequential(torch.nn.AvgPool1d(3), torch.nn.Upsample(scale_factor=2, mode="linear"),
                         torch.nn.AdaptiveAvgPool1d(2)), [4, 9]),
], ids=["mnasnet0_5", "BasicBlock", "SqueezeExcitation", "image_layers", "signal_layers"])
def test_a_pytorch_module_block_counts_by_the_same_rules(module, shape):
    assert measure(module, [shape])["macs"] == cnnstudio_macs(module, torch.randn(1, *shape))


# what PyTorch itself leaves without a usable default, or a block of ours with no PyTorch class
NO_DEFAULT = {("Upsample", "scale_factor")}
TORCH_CLASS = {"DeformConv2d": torchvision.ops.DeformConv2d, "StochasticDepth": torchvision.ops.StochasticDepth,
               "LayerNorm2d": torch.nn.LayerNorm}


def test_layer_defaults_are_pytorchs():
    compared = 0
    for type_, spec in CATALOGUE.items():
        cls = TORCH_CLASS.get(type_, getattr(torch.nn, type_, None))
        if cls is None:
            continue
        signature = inspect.signature(cls.__init__).parameters
        for p in spec.params:
            default = signature[p.name].default if p.name in signature else inspect.Parameter.empty
            if default is inspect.Parameter.empty or (type_, p.name) in NO_DEFAULT:
                continue
            theirs = list(default) if isinstance(default, tuple) else default
            assert p.default == theirs, f"{type_}.{p.name}: {p.default!r}, PyTorch's {default!r}"
            compared += 1
    assert compared >= 60


def test_a_deformable_conv_left_at_its_defaults_is_torchvisions():
    g = Graph()
    g.add("DeformConv2d", g.add("Input", shape=[3, 9, 9]), id="d")
    assert analyze(g).info["d"].shape == (16, 7, 7)
    from cnnstudio.core.build.compiler import compile_graph
    built = compile_graph(g).d.conv
    assert built.padding == torchvision.ops.DeformConv2d(3, 16, 3).padding == (0, 0)


def omitted_nodes():
    """Blocks whose file leaves out the values whose defaults used to differ from PyTorch's."""
    return [{"id": "in", "type": "Input", "params": {"shape": [3, 8, 8]}},
            {"id": "d", "type": "DeformConv2d", "params": {"out_channels": 4}},
            {"id": "up", "type": "ConvTranspose2d"},
            {"id": "ln", "type": "LayerNorm2d", "params": {}}]


def test_a_file_that_leaves_a_value_out_gets_pytorchs_default_and_is_saved_with_every_value():
    edges = [["in", "d"], ["d", "up"], ["up", "ln"]]
    doc = {"format": "cnnstudio.project", "version": 1, "name": "hand-written",
           "graph": {"nodes": omitted_nodes(), "edges": edges}}
    p = parse_project(doc).graph.nodes
    assert (p["d"].params["padding"], p["up"].params["stride"], p["ln"].params["eps"]) == (0, 1, 1e-5)
    import torch.nn as nn
    assert nn.ConvTranspose2d(4, 16, 2).stride == (p["up"].params["stride"],) * 2
    saved = json.loads(dumps_project(parse_project(doc)))
    assert saved["version"] == 1
    kept = {n["id"]: n["params"] for n in saved["graph"]["nodes"]}
    assert (kept["d"]["padding"], kept["up"]["stride"], kept["ln"]["eps"]) == (0, 1, 1e-5)  # written out
