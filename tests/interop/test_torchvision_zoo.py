"""Every convolutional classification model in torchvision imports exactly: the same parameter
total (the block formulas, the compiled module and `import --list` alike), the same MACs as
docs/costs.md's fvcore code counts, and the same outputs (eval, fp32); and
its PyTorch code export (`export --format pytorch`) reloads with the same outputs.

The models are built with torch's initialisers switched off and given random values directly
(torchvision's own initialisation of 3 billion parameters would take minutes); BatchNorm
statistics are random too, so a wrong eps, a missing layer or a swapped tensor shows up in the
outputs."""
import math
from unittest import mock

import pytest
import torch
import torchvision

from cnnstudio.core import analyze
from cnnstudio.core.interop import InteropError, import_model
from cnnstudio.core.interop import zoo
from cnnstudio.core.interop.importer import import_module
from cnnstudio.core.build.pytorch_source import to_pytorch_source
from cnnstudio.core.interop.weights import meta_model

from ..core.costs_reference import cnnstudio_macs

CONV_MODELS = zoo.model_names()
# the smallest input each family accepts, to keep the forward passes cheap
SIZE = {"inception_v3": 75, "googlenet": 32, "alexnet": 64, "squeezenet1_0": 40, "squeezenet1_1": 40}


def random_model(name: str) -> torch.nn.Module:
    no_init = {f: (lambda t, *a, **k: t) for f in dir(torch.nn.init) if f.endswith("_") and not f.startswith("_")}
    with mock.patch.multiple(torch.nn.init, **no_init):
        model = torchvision.models.get_model(name, weights=None, **zoo.BUILD_OPTIONS.get(name, {}))
    pool = torch.rand(1 << 20, generator=torch.Generator().manual_seed(0))  # copied, not drawn: fast
    with torch.no_grad():
        for i, (key, t) in enumerate(model.state_dict().items()):
            if key.endswith("num_batches_tracked"):
                t.zero_()
                continue
            flat = t.view(-1)
            for start in range(0, flat.numel(), pool.numel()):
                piece = flat[start:start + pool.numel()]
                offset = (i * 7919 + start // pool.numel() * 104729) % (pool.numel() - piece.numel() + 1)
                piece.copy_(pool[offset:offset + piece.numel()])
            if key.endswith("running_var") or key.endswith("layer_scale") or (t.dim() == 1 and key.endswith("weight")):
                t.add_(0.5)  # 0.5 … 1.5
            elif t.dim() > 1:  # keeps activations of order one through a hundred layers
                t.sub_(0.5).mul_(2 * math.sqrt(3.0 / t[0].numel()))
            else:
                t.sub_(0.5).mul_(0.2)
    return model.eval()


def test_every_convolutional_model_is_listed_and_transformers_are_not():
    everything = torchvision.models.list_models(module=torchvision.models)
    refused = set(everything) - set(CONV_MODELS)
    assert refused == {n for n in everything if n.startswith(("vit_", "swin_", "maxvit"))}
    assert {"convnext_tiny", "inception_v3", "resnet50", "efficientnet_b0"} <= set(CONV_MODELS)
    assert len(CONV_MODELS) == 68


@pytest.mark.parametrize("name", CONV_MODELS)
def test_torchvision_model_imports_exactly(name):
    torch.set_num_threads(1)
    model = random_model(name)
    size = SIZE.get(name, 32)
    imported = import_module(model, (3, size, size), name)
    total = sum(p.numel() for p in model.parameters())
    analysis = analyze(imported.graph)
    assert analysis.ok
    assert imported.source_params == total
    assert analysis.total("params") == total  # the block formulas count what PyTorch has
    assert zoo.info(name)["params"] == total  # what `import --list` shows is what the import gives
    net = meta_model(imported.graph)
    net.load_state_dict(imported.weights, strict=True, assign=True)
    assert sum(p.numel() for p in net.parameters()) == total
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = model(x), net.eval()(x)
    assert torch.isfinite(expected).all() and expected.abs().max() > 1e-3
    assert (expected - got).abs().max().item() <= 1e-5
    # MACs: the figure docs/costs.md's fvcore code gives for torchvision's own model
    assert analysis.total("macs") == cnnstudio_macs(model, x)
    # every block out as code: the generated file needs only torch and takes the weights as they are
    namespace = {}
    exec(compile(to_pytorch_source(imported.graph), f"{name}.py", "exec"), namespace)  # noqa: S102
    assert "cnnstudio" not in namespace and "torchvision" not in namespace
    with torch.device("meta"):
        code = namespace["Net"]()
    code.load_state_dict(net.state_dict(), strict=True, assign=True)
    if total <= 60_000_000:  # the giants run the same classes; a second forward of 0.6 billion weights is slow
        with torch.no_grad():
            assert (expected - code.eval()(x)).abs().max().item() <= 1e-5


@pytest.mark.parametrize("name", ["vit_b_16", "swin_t", "maxvit_t"])
def test_transformers_are_refused_with_a_reason(name):
    with pytest.raises(InteropError, match="transformer"):
        import_model(f"torchvision:{name}")


def test_folded_blocks_keep_a_resnet50_readable():
    imported = import_model("torchvision:resnet50", input_shape=(3, 64, 64))
    types = [n.type for n in imported.graph.nodes.values()]
    assert len(types) <= 24 and types.count("ResidualBlock") == 16
    assert types[:3] == ["Input", "ConvBNAct", "MaxPool2d"]
