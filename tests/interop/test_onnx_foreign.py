"""ONNX files written by torch.onnx.export (the legacy exporter at opset 17 and the dynamo one
at 18) of ResNet-18, MobileNetV3, ShuffleNetV2 and ConvNeXt-Tiny import exactly and readably:
outputs equal onnxruntime's, and the exporters' flat operators fold back into the blocks the
model was made of (BatchNorm, which both exporters fold into the convolutions, is restored
inside the composites). The models get random weights and BatchNorm statistics, as trained
ones have: zero biases would be dropped by the exporter and hide mistakes."""
import logging
import warnings

import pytest
import torch
import torchvision

from cnnstudio.core.interop import import_model, verify

# model → (block the exported operators must fold back into, most blocks the import may have: about
# as many as importing the torchvision model itself gives, 14, 19, 23, 31 and 23)
CASES = {"resnet18": ("ResidualBlock", 16), "mobilenet_v3_small": ("InvertedResidual", 20),
         "shufflenet_v2_x0_5": ("ShuffleUnit", 25), "convnext_tiny": ("ConvNeXtBlock", 32),
         "efficientnet_b0": ("InvertedResidual", 24)}


def trained_like(name):
    torch.manual_seed(0)
    model = torchvision.models.get_model(name).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
    return model


# EfficientNet (SiLU written as x · sigmoid(x)) once: the exporters write it alike
RUNS = [(d, n) for n in CASES for d in (False, True) if not (d and n == "efficientnet_b0")]


@pytest.mark.parametrize("dynamo,name", RUNS, ids=[f"{n}-{'dynamo' if d else 'legacy'}" for d, n in RUNS])
def test_foreign_onnx_imports_exactly_and_folded(name, dynamo, tmp_path):
    torch.set_num_threads(1)
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            torch.onnx.export(trained_like(name), (torch.randn(1, 3, 32, 32),), str(path), dynamo=dynamo,
                              opset_version=18 if dynamo else 17, input_names=["input"])
        finally:
            logging.disable(logging.NOTSET)
    imported = import_model(str(path))
    types = [n.type for n in imported.graph.nodes.values()]
    block, most = CASES[name]
    own = [n.type for n in import_model(f"torchvision:{name}", input_shape=(3, 32, 32)).graph.nodes.values()]
    assert types.count(block) == own.count(block) and len(types) <= most, types  # every one folded back
    reference = imported.reference(torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    assert verify(imported, (3, 32, 32)) <= 1e-5 * max(1.0, reference.abs().max().item())


@pytest.mark.parametrize("dynamo", [False, True], ids=["legacy", "dynamo"])
def test_tensorflow_same_padding_from_onnx_is_pad2d(dynamo, tmp_path):
    """timm's Conv2dSame and MaxPool2dSame pad from the input's size: the exporters write Pad
    operators (the legacy one with the size arithmetic around them); they come back as Pad2d."""
    from timm.layers import create_conv2d, create_pool2d

    torch.manual_seed(0)
    model = torch.nn.Sequential(create_conv2d(3, 8, 3, stride=2, padding="same"), torch.nn.ReLU(),
                                create_pool2d("max", 3, stride=2, padding="same")).eval()
    path = tmp_path / "same.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            torch.onnx.export(model, (torch.randn(1, 3, 33, 32),), str(path), dynamo=dynamo,
                              opset_version=18 if dynamo else 17, input_names=["input"])
        finally:
            logging.disable(logging.NOTSET)
    imported = import_model(str(path))
    assert [n.type for n in imported.graph.nodes.values()].count("Pad2d") == 2
    assert verify(imported, (3, 33, 32)) <= 1e-5


def test_unequal_padding_inside_onnx_conv_and_pool_is_a_pad2d_before_them(tmp_path):
    """Converters from TensorFlow write SAME padding into the Conv's and MaxPool's own pads."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1]),
             helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 2, 1])]
    graph = helper.make_graph(nodes, "same", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5, 4])], [w])
    path = tmp_path / "same.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    imported = import_model(str(path))
    assert [n.type for n in imported.graph.nodes.values()] == ["Input", "Pad2d", "Conv2d", "Pad2d", "MaxPool2d"]
    assert verify(imported, (3, 16, 16)) <= 1e-5
