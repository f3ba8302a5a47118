"""Every block × representative parameters: builds, runs forward, and PyTorch agrees with
the formulas on output shape, trainable parameters, non-trainable state and MACs (docs/costs.md)."""
import pytest
import torch

from cnnstudio.core import CATALOGUE, Graph, analyze
from cnnstudio.core.build.compiler import compile_graph

from .costs_reference import cnnstudio_macs

# (block type, params, input shape[s]); merges get several inputs
CASES = [
    ("Conv2d", {}, [3, 16, 16]),
    ("Conv2d", {"out_channels": 10, "kernel_size": 5, "padding": 2}, [3, 32, 32]),
    ("Conv2d", {"kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 0]}, [4, 17, 15]),
    ("Conv2d", {"kernel_size": 4, "padding": "same", "dilation": 2}, [2, 9, 11]),
    ("Conv2d", {"kernel_size": 3, "padding": "valid", "stride": 3}, [2, 10, 10]),
    ("Conv2d", {"out_channels": 8, "groups": 4, "bias": False}, [4, 8, 8]),
    ("Conv2d", {"out_channels": 6, "groups": 6, "kernel_size": 3}, [6, 5, 5]),
    ("Conv2d", {"padding": 2, "padding_mode": "reflect", "activation": "relu"}, [1, 6, 6]),
    ("Conv2d", {"padding": "same", "padding_mode": "circular", "kernel_size": 5}, [1, 7, 7]),
    ("Conv2d", {"padding": 1, "padding_mode": "replicate", "activation": "softmax"}, [3, 4, 4]),
    ("MaxPool2d", {}, [3, 8, 8]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 7, 9]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, [1, 8, 8]),
    ("MaxPool2d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [1, 5, 5]),
    ("AvgPool2d", {"kernel_size": [2, 3], "stride": 1}, [2, 5, 6]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [2, 6, 6]),
    ("AdaptiveAvgPool2d", {}, [5, 7, 7]),
    ("AdaptiveAvgPool2d", {"output_size": [3, 2]}, [5, 7, 9]),
    ("AdaptiveAvgPool2d", {"output_size": 6}, [2, 4, 4]),
    ("BatchNorm2d", {}, [6, 4, 4]),
    ("BatchNorm2d", {"affine": False}, [3, 2, 2]),
    ("BatchNorm2d", {"track_running_stats": False}, [3, 2, 2]),
    ("Dropout", {"p": 0.2}, [3, 4, 4]),
    ("Dropout", {}, [20]),
    ("Dropout2d", {"p": 0.3}, [3, 4, 4]),
    ("Flatten", {}, [3, 4, 5]),
    ("Flatten", {}, [7]),
    ("Linear", {}, [12]),
    ("Linear", {"out_features": 3, "bias": False, "activation": "sigmoid"}, [5]),
    ("ReLU", {}, [3, 4, 4]),
    ("LeakyReLU", {"negative_slope": 0.2}, [3, 4, 4]),
    ("ELU", {"alpha": 0.5}, [8]),
    ("GELU", {}, [8]),
    ("SiLU", {}, [2, 3, 3]),
    ("Sigmoid", {}, [8]),
    ("Tanh", {}, [2, 3, 3]),
    ("Softmax", {}, [10]),
    ("Softmax", {}, [4, 2, 2]),
    ("Add", {}, [[3, 4, 4], [3, 4, 4]]),
    ("Add", {}, [[6], [6], [6]]),
    ("Concat", {}, [[3, 4, 4], [5, 4, 4]]),
    ("Concat", {}, [[3], [4], [1]]),
    ("ResidualBlock", {"out_channels": 8}, [8, 8, 8]),
    ("ResidualBlock", {"out_channels": 16, "stride": 2}, [8, 9, 9]),
    ("ResidualBlock", {"out_channels": 16, "kind": "bottleneck"}, [16, 6, 6]),
    ("ResidualBlock", {"out_channels": 32, "stride": 2, "kind": "bottleneck"}, [8, 7, 7]),
    ("InceptionBlock", {}, [16, 8, 8]),
    ("Custom", {}, [3, 5, 5]),  # no inner layers: passes its input through
    ("Custom", {"name": "ConvBN", "repeat": 2, "graph": {
        "nodes": [{"id": "in", "type": "Input", "params": {"shape": [1, 4, 4]}},
                  {"id": "c", "type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 3, "stride": 2}},
                  {"id": "bn", "type": "BatchNorm2d", "params": {}}],
        "edges": [["in", "c"], ["c", "bn"]]}, "expose": {"k": [["c", "kernel_size"]]}, "values": {"k": 1}},
     [3, 9, 9]),
    ("InceptionBlock", {"ch1x1": 4, "ch3x3red": 2, "ch3x3": 3, "ch5x5red": 2, "ch5x5": 5, "pool_proj": 1},
     [3, 5, 5]),
    ("Input", {"shape": [3, 10, 12]}, None),
    ("Input", {"shape": [2, 30]}, None),
    ("Input", {"shape": [1, 4, 5, 6]}, None),
    # 1-D signals [C, L]
    ("Conv1d", {}, [3, 20]),
    ("Conv1d", {"out_channels": 8, "kernel_size": 5, "stride": 2, "padding": 2, "groups": 2}, [4, 31]),
    ("Conv1d", {"kernel_size": [4], "padding": "same", "dilation": 3, "padding_mode": "reflect"}, [2, 17]),
    ("Conv1d", {"kernel_size": 7, "padding": "valid", "bias": False, "activation": "relu"}, [1, 7]),
    ("Conv1d", {"padding": 2, "padding_mode": "circular", "stride": 3}, [2, 9]),
    ("MaxPool1d", {}, [3, 11]),
    ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [2, 10]),
    ("AvgPool1d", {"kernel_size": [4], "stride": 1}, [2, 9]),
    ("AvgPool1d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, [1, 8]),
    ("AdaptiveAvgPool1d", {}, [5, 13]),
    ("AdaptiveAvgPool1d", {"output_size": 4}, [2, 9]),
    ("BatchNorm1d", {}, [6, 10]),
    ("BatchNorm1d", {"affine": False}, [12]),
    ("BatchNorm1d", {"track_running_stats": False}, [3, 4]),
    ("Dropout1d", {"p": 0.3}, [3, 8]),
    # 3-D volumes [C, D, H, W]
    ("Conv3d", {}, [2, 5, 6, 7]),
    ("Conv3d", {"out_channels": 6, "kernel_size": [3, 1, 3], "stride": [1, 2, 2], "padding": [1, 0, 1]},
     [3, 4, 9, 8]),
    ("Conv3d", {"kernel_size": 2, "padding": "same", "dilation": 2, "groups": 2, "out_channels": 4}, [2, 5, 5, 5]),
    ("Conv3d", {"padding": 1, "padding_mode": "replicate", "activation": "tanh"}, [1, 3, 3, 3]),
    ("MaxPool3d", {}, [2, 4, 6, 6]),
    ("MaxPool3d", {"kernel_size": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]}, [1, 3, 7, 7]),
    ("AvgPool3d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, [2, 6, 7, 8]),
    ("AdaptiveAvgPool3d", {}, [4, 3, 5, 5]),
    ("AdaptiveAvgPool3d", {"output_size": [2, 3, 1]}, [2, 5, 7, 4]),
    ("BatchNorm3d", {}, [3, 2, 3, 3]),
    ("Dropout3d", {}, [3, 2, 2, 2]),
    ("Flatten", {}, [3, 10]),
    ("Flatten", {}, [2, 3, 4, 5]),
    ("Add", {}, [[3, 10], [3, 10]]),
    ("Concat", {}, [[2, 3, 4, 4], [5, 3, 4, 4]]),
    # learned and fixed upsampling
    ("ConvTranspose2d", {}, [4, 5, 5]),
    ("ConvTranspose2d", {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, [3, 4, 6]),
    ("ConvTranspose2d", {"out_channels": 6, "kernel_size": [3, 4], "stride": [1, 3], "dilation": 2, "groups": 3,
                         "bias": False, "activation": "sigmoid"}, [3, 5, 4]),
    ("ConvTranspose2d", {"kernel_size": 1, "stride": 3, "output_padding": [2, 1]}, [2, 3, 3]),
    ("Upsample", {}, [3, 4, 5]),
    ("Upsample", {"scale_factor": 1.5, "mode": "linear"}, [2, 7]),
    ("Upsample", {"scale_factor": 3, "mode": "bicubic"}, [1, 3, 4]),
    ("Upsample", {"scale_factor": 0.5, "mode": "bilinear"}, [2, 9, 6]),
    ("Upsample", {"mode": "trilinear"}, [1, 2, 3, 4]),
    ("Upsample", {"scale_factor": 2.5}, [2, 3, 2, 2]),
    # deformable
    ("DeformConv2d", {}, [3, 8, 8]),
    ("DeformConv2d", {"out_channels": 4, "kernel_size": [3, 5], "stride": 2, "padding": [1, 2], "groups": 2,
                      "offset_groups": 2, "bias": False}, [4, 9, 10]),
    ("DeformConv2d", {"modulated": True, "dilation": 2, "padding": 2, "activation": "relu"}, [2, 7, 7]),
    ("DeformConv2d", {"kernel_size": 1, "padding": 0, "modulated": True, "offset_groups": 3}, [3, 4, 4]),
    # the model zoo's blocks
    ("ResidualBlock", {"out_channels": 32, "stride": 2, "kind": "bottleneck", "groups": 4, "width": 16}, [8, 7, 7]),
    ("InceptionBlock", {"ch1x1": 4, "ch3x3red": 2, "ch3x3": 3, "ch5x5red": 2, "ch5x5": 5, "pool_proj": 1,
                        "kind": "torchvision"}, [3, 5, 5]),
    ("ReLU6", {}, [3, 4, 4]),
    ("Hardswish", {}, [8]),
    ("Hardsigmoid", {}, [2, 3, 3]),
    ("Identity", {}, [3, 4, 4]),
    ("Mul", {}, [[3, 4, 4], [3, 4, 4]]),
    ("Mul", {}, [[5], [5]]),
    ("LayerNorm2d", {"eps": 1e-5}, [6, 3, 3]),
    ("GroupNorm", {"num_groups": 3}, [6, 4, 4]),
    ("GroupNorm", {"num_groups": 2, "affine": False}, [4, 3, 3]),
    ("ChannelShuffle", {"groups": 3}, [6, 4, 4]),
    ("ChannelSlice", {"start": 1, "end": 4}, [6, 4, 4]),
    ("ChannelSlice", {"start": 0, "end": 3}, [5]),
    ("LayerScale", {"init": 0.5}, [4, 3, 3]),
    # MaxUnpool2d: the shape is its MaxPool2d's input (graph_for pools it first, then unpools)
    ("MaxUnpool2d", {}, [4, 8, 8]),
    ("MaxUnpool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "output_size": [9, 7]}, [2, 9, 7]),
    ("Pad2d", {"left": 0, "right": 1, "top": 2, "bottom": 0}, [3, 5, 4]),
    ("Pad2d", {"left": 1, "right": 1, "top": 1, "bottom": 2, "mode": "replicate"}, [2, 3, 3]),
    ("LocalResponseNorm", {}, [8, 5, 5]),
    ("LocalResponseNorm", {"size": 3, "alpha": 2e-4, "beta": 0.5, "k": 2.0}, [6, 4]),
    ("TorchModule", {"source": "torchvision:resnet18", "path": "layer2.0",
                     "class_name": "torchvision.models.resnet.BasicBlock"}, [64, 8, 8]),
    ("StochasticDepth", {"p": 0.2}, [3, 4, 4]),
    ("ConvBNAct", {}, [3, 8, 8]),
    ("ConvBNAct", {"out_channels": 8, "kernel_size": [1, 3], "stride": 2, "padding": [0, 1], "groups": 2,
                   "bias": True, "activation": "hardswish"}, [4, 9, 7]),
    ("InvertedResidual", {"out_channels": 8, "expanded": 8}, [8, 6, 6]),
    ("InvertedResidual", {"out_channels": 12, "kernel_size": 5, "stride": 2, "expanded": 24,
                          "activation": "hardswish", "se_channels": 8, "se_gate": "hardsigmoid"}, [8, 9, 9]),
    ("InvertedResidual", {"out_channels": 8, "expanded": 32, "activation": "silu", "se_channels": 2,
                          "se_activation": "silu", "drop_path": 0.1}, [8, 5, 5]),
    ("FusedMBConv", {"out_channels": 8, "expanded": 32}, [8, 6, 6]),
    ("FusedMBConv", {"out_channels": 12, "stride": 2, "expanded": 8}, [8, 6, 6]),
    ("ShuffleUnit", {"out_channels": 8}, [8, 6, 6]),
    ("ShuffleUnit", {"out_channels": 16, "stride": 2}, [6, 7, 7]),
    ("DenseBlock", {"num_layers": 3, "growth_rate": 4, "bn_size": 2}, [5, 6, 6]),
    ("DenseTransition", {"out_channels": 3}, [6, 5, 5]),
    ("FireBlock", {"squeeze": 3, "expand1x1": 4, "expand3x3": 5}, [6, 5, 5]),
    ("RegNetBlock", {"out_channels": 16, "stride": 2, "group_width": 8, "se_ratio": 0.25}, [8, 7, 7]),
    ("RegNetBlock", {"out_channels": 8, "group_width": 4}, [8, 5, 5]),
    ("ConvNeXtBlock", {}, [8, 9, 9]),
    ("InceptionV3Block", {"variant": "A", "channels": 8}, [16, 5, 5]),
    ("InceptionV3Block", {"variant": "B"}, [16, 7, 7]),
    ("InceptionV3Block", {"variant": "C", "channels": 8}, [16, 5, 5]),
    ("InceptionV3Block", {"variant": "D"}, [16, 8, 8]),
    ("InceptionV3Block", {"variant": "E"}, [16, 3, 3]),
]

def graph_for(type_, params, in_shape):
    """Input(s) → the block under test; merges get one Input and shape-adapting branches."""
    g = Graph()
    if type_ == "Input":
        g.add("Input", id="block", **params)
        return g
    if type_ == "MaxUnpool2d":  # values through a 1×1 conv, indices from the MaxPool2d they mirror
        window = {k: v for k, v in params.items() if k != "output_size"}
        pool = g.add("MaxPool2d", g.add("Input", id="input", shape=in_shape), id="pool", **window)
        g.add(type_, g.add("Conv2d", pool, id="values", out_channels=in_shape[0], kernel_size=1), pool,
              id="block", **params)
        return g
    shapes = in_shape if isinstance(in_shape[0], list) else [in_shape]
    first = shapes[0]
    x = g.add("Input", id="input", shape=first if len(first) > 1 else [first[0], 1, 1])
    sources = []
    for i, s in enumerate(shapes):
        if len(s) > 1:
            conv = f"Conv{len(s) - 1}d"
            src = g.add(conv, x, id=f"branch{i}", out_channels=s[0], kernel_size=1) if i else x
        else:
            flat = g.add("Flatten", x, id=f"flat{i}")
            src = g.add("Linear", flat, id=f"branch{i}", out_features=s[0])
        sources.append(src)
    g.add(type_, *sources, id="block", **params)
    return g


def test_cases_cover_the_whole_catalogue():
    assert {c[0] for c in CASES} == set(CATALOGUE)


@pytest.mark.parametrize("type_,params,in_shape", CASES, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_block_matches_pytorch(type_, params, in_shape):
    g = graph_for(type_, params, in_shape)
    analysis = analyze(g)
    assert analysis.ok, [p.message for p in analysis.errors]
    model = compile_graph(g, analysis).eval()
    in_shape0 = analysis.info[analysis.order[0]].shape
    with torch.no_grad():
        outs = model(torch.randn(2, *in_shape0), return_all=True)
    info = analysis.info["block"]
    assert tuple(outs["block"].shape[1:]) == info.shape
    module = getattr(model, model.node_names["block"])
    assert sum(p.numel() for p in module.parameters()) == info.out.params
    float_buffers = sum(b.numel() for b in module.buffers() if b.dtype.is_floating_point)
    assert float_buffers == info.out.buffers
    assert torch.isfinite(outs["block"]).all()
    # MACs: what docs/costs.md's fvcore code counts for the torch module, one sample
    if type_ != "Input":
        inputs = tuple(outs[s][:1] for s in g.inputs_of("block"))
        if type_ == "MaxUnpool2d":  # its second input is where the pool's maxima were (any will do here)
            inputs = (inputs[0], torch.zeros_like(inputs[0], dtype=torch.long))
        assert info.out.macs == cnnstudio_macs(module, inputs)
    # the whole model's total equals the summed formulas
    assert sum(p.numel() for p in model.parameters()) == analysis.total("params")


def test_activation_option_is_applied():
    g = Graph()
    x = g.add("Input", shape=[1, 4, 4])
    g.add("Conv2d", x, id="c", out_channels=2, activation="sigmoid")
    model = compile_graph(g).eval()
    x = torch.randn(3, 1, 4, 4)
    with torch.no_grad():
        assert torch.allclose(model(x), torch.sigmoid(model.c(x)))


def test_concat_follows_edge_order():
    g = Graph()
    x = g.add("Input", shape=[1, 2, 2])
    a = g.add("Conv2d", x, id="a", out_channels=1, kernel_size=1)
    b = g.add("Conv2d", x, id="b", out_channels=2, kernel_size=1)
    g.add("Concat", b, a, id="cat")
    model = compile_graph(g).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 1, 2, 2), return_all=True)
    assert torch.equal(outs["cat"][:, :2], outs["b"]) and torch.equal(outs["cat"][:, 2:], outs["a"])


def test_submodules_are_named_by_node_id():
    g = Graph()
    x = g.add("Input", shape=[1, 8, 8])
    x = g.add("Conv2d", x, id="conv1")
    g.add("Conv2d", x, id="forward")  # would clash with nn.Module.forward
    model = compile_graph(g)
    assert isinstance(model.conv1, torch.nn.Conv2d)
    assert "conv1.weight" in model.state_dict()
    assert model.node_names["forward"] != "forward" and hasattr(model, model.node_names["forward"])
