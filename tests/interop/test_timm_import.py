"""timm, the largest collection of CNNs people use, imports exactly and readably: the same
parameters and outputs as timm's model, its BatchNorm+activation layers, channel slices and
layer scales mapped to blocks, its residual, inverted-residual and ConvNeXt blocks folded, and
no no-op blocks left. Small inputs (32 px), no weights downloaded."""
import pytest
import torch

from cnnstudio.core import analyze
from cnnstudio.core.interop import import_model, verify

timm = pytest.importorskip("timm")

MODELS = ["resnet50", "efficientnet_b0", "mobilenetv3_large_100", "regnety_016", "rexnet_100", "cspresnet50",
          "dpn68", "convnext_atto", "ghostnet_100", "dla34"]
# the composite each family's blocks fold into (ReXNet, CSPNet, DPN and GhostNet have none of ours)
FOLDED = {"resnet50": "ResidualBlock", "efficientnet_b0": "InvertedResidual", "mobilenetv3_large_100":
          "InvertedResidual", "regnety_016": "RegNetBlock", "convnext_atto": "ConvNeXtBlock", "dla34": "ResidualBlock"}


@pytest.mark.parametrize("name", MODELS)
def test_timm_model_imports_exactly_and_folded(name):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    imported = import_model(f"timm:{name}", input_shape=(3, 32, 32))
    total = sum(p.numel() for p in timm.create_model(name).parameters())
    analysis = analyze(imported.graph)
    assert analysis.ok and imported.source_params == total and analysis.total("params") == total
    types = [n.type for n in imported.graph.nodes.values()]
    assert "TorchModule" not in types and "Identity" not in types
    # Conv → BatchNorm → activation never stays three blocks
    g = imported.graph
    assert not any(n.type == "BatchNorm2d" and [g.nodes[s].type for s in g.inputs_of(nid)] == ["Conv2d"]
                   for nid, n in g.nodes.items())
    if name in FOLDED:
        assert FOLDED[name] in types
    assert verify(imported, (3, 32, 32)) <= 1e-5


def test_a_foreign_resnet50_lands_in_at_most_30_blocks():
    imported = import_model("timm:resnet50", input_shape=(3, 32, 32))
    types = [n.type for n in imported.graph.nodes.values()]
    assert len(types) <= 30 and types.count("ResidualBlock") == 16
    assert any("change nothing" in n for n in imported.notes)  # its 32 Identity layers, said so
