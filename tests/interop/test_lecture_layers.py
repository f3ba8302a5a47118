"""The NORM layer of AlexNet and GoogLeNet in the lectures: a model with nn.LocalResponseNorm
imports as a LocalResponseNorm block with the same outputs, and the block matches PyTorch."""
import torch
import torch.nn as nn

from cnnstudio.core.interop.importer import import_module, verify


def test_local_response_norm_imports_exactly():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2), nn.ReLU(), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
                          nn.MaxPool2d(3, 2), nn.Flatten(), nn.Linear(8 * 6 * 6, 4)).eval()
    imported = import_module(model, (3, 32, 32), "alexnet-like")
    lrn = [n for n in imported.graph.nodes.values() if n.type == "LocalResponseNorm"]
    assert len(lrn) == 1 and lrn[0].params["k"] == 2.0 and lrn[0].params["size"] == 5
    assert verify(imported, (3, 32, 32)) <= 1e-6
