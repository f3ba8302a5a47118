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
# as many as importing the torchvision model itself gives, 14, 19, 23 and 31)
CASES = {"resnet18": ("ResidualBlock", 16), "mobilenet_v3_small": ("InvertedResidual", 20),
         "shufflenet_v2_x0_5": ("ShuffleUnit", 25), "convnext_tiny": ("ConvNeXtBlock", 32)}


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


@pytest.mark.parametrize("dynamo", [False, True], ids=["legacy", "dynamo"])
@pytest.mark.parametrize("name", list(CASES))
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
