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


def test_tensorflow_same_padding_maps_to_pad_and_layer():
    """tf_* models pad in forward for the input size ('SAME'): at the imported size that is a
    Conv2d with its padding, or a Pad2d (odd pixel bottom/right) then the layer, never a
    PyTorch-module block; max pooling pads with edge copies, which give TensorFlow's maxima."""
    from timm.layers import AvgPool2dSame, create_conv2d, create_pool2d

    from cnnstudio.core.interop.importer import import_module

    torch.manual_seed(0)
    model = torch.nn.Sequential(create_conv2d(3, 8, 3, stride=2, padding="same"), torch.nn.ReLU(),
                                create_pool2d("max", 3, stride=2, padding="same"),
                                create_conv2d(8, 8, 4, stride=1, padding="same"), AvgPool2dSame(2, 2)).eval()
    for shape, padded in (((3, 33, 32), 4), ((3, 33, 33), 2)):  # at 33×33 the first conv and the pool pad evenly
        imported = import_module(model, shape, "same")
        types = [n.type for n in imported.graph.nodes.values()]
        assert "TorchModule" not in types and types.count("Pad2d") == padded, types
        assert verify(imported, shape) <= 1e-5
    tf = import_model("timm:tf_efficientnet_b0", input_shape=(3, 32, 32))
    types = [n.type for n in tf.graph.nodes.values()]
    assert "TorchModule" not in types and "Pad2d" in types and "InvertedResidual" in types
    assert verify(tf, (3, 32, 32)) <= 1e-5


class _Padded(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.pad(x, (1, 0, 2, 1))


def test_padding_upsampling_and_unpadded_averages_map_to_blocks():
    """Layers real models use between the convolutions (HRNet's Upsample, NASNet's ZeroPad2d,
    ResNet-D's AvgPool2d that leaves padding out of the mean but has none) are blocks, exactly."""
    from cnnstudio.core.interop.importer import import_module

    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d((0, 1, 1, 2)), nn.Conv2d(3, 4, 3), nn.ReplicationPad2d(1), _Padded(),
                          nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False), nn.Upsample(scale_factor=2.0),
                          nn.Upsample(scale_factor=2, mode="bilinear")).eval()
    imported = import_module(model, (3, 11, 10), "between")
    types = [n.type for n in imported.graph.nodes.values()]
    assert types == ["Input", "Pad2d", "Conv2d", "Pad2d", "Pad2d", "AvgPool2d", "Upsample", "Upsample"]
    assert verify(imported, (3, 11, 10)) <= 1e-5


class _Branches(torch.nn.Module):
    """MobileOne's reparameterisable block: branches summed into `out = 0`."""

    def __init__(self):
        super().__init__()
        self.convs = torch.nn.ModuleList(torch.nn.Conv2d(3, 4, 3, padding=1) for _ in range(2))
        self.scale = None

    def forward(self, x):
        out = 0
        for conv in self.convs:
            out += conv(x)
        return out + (self.scale(x) if self.scale is not None else 0)


def test_a_sum_started_from_zero_is_the_sum_of_its_branches():
    from cnnstudio.core.interop.importer import import_module

    torch.manual_seed(0)
    imported = import_module(_Branches().eval(), (3, 8, 8), "branches")
    assert [n.type for n in imported.graph.nodes.values()] == ["Input", "Conv2d", "Conv2d", "Add"]
    assert verify(imported, (3, 8, 8)) <= 1e-5


def test_a_group_norm_without_bias_is_not_taken_for_one_with():
    """PoolFormerV2's GroupNorm1NoBias subclasses GroupNorm but has no shift: it stays itself."""
    imported = import_model("timm:poolformerv2_s12", input_shape=(3, 64, 64))
    assert "GroupNorm" not in [n.type for n in imported.graph.nodes.values()]
    assert verify(imported, (3, 64, 64)) <= 1e-5


def test_timms_own_layer_norm_and_gelu_on_channels_last_data_fold_into_convnext_blocks():
    """convnext_tiny runs timm's LayerNorm and GELU (subclasses) between permutes."""
    imported = import_model("timm:convnext_tiny", input_shape=(3, 32, 32))
    types = [n.type for n in imported.graph.nodes.values()]
    assert "TorchModule" not in types and types.count("ConvNeXtBlock") == 18
    assert verify(imported, (3, 32, 32)) <= 1e-5


def test_a_block_with_a_fixed_filter_is_checked_with_that_filter():
    """timm's BlurPool2d keeps its blur filter in a buffer no state dict holds: the check of the
    import must build it as compiling does (it read uninitialised memory: 0.28 off)."""
    torch.manual_seed(0)
    imported = import_model("timm:resnetblur18", input_shape=(3, 32, 32))
    assert "TorchModule" in [n.type for n in imported.graph.nodes.values()]
    assert verify(imported, (3, 32, 32)) <= 1e-5
