"""`cnnstudio export`: the generated file needs only torch, takes the compiled model's
weights unchanged (strict state_dict) and computes exactly the same outputs."""
import importlib.util
import os
from pathlib import Path

import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.core import Graph, load_project
from cnnstudio.core.build.compiler import compile_graph

SAMPLES = Path(__file__).parents[2] / "sample_projects"


def every_kind_of_block() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    a = g.add("Conv2d", x, out_channels=8, padding="same", activation="leaky_relu")
    b = g.add("Conv2d", x, out_channels=8, kernel_size=[3, 1], padding=[1, 0], padding_mode="reflect",
              activation="gelu")
    s = g.add("Add", a, b)
    s = g.add("BatchNorm2d", s)
    s = g.add("ResidualBlock", s, out_channels=16, stride=2, kind="bottleneck")
    s = g.add("InceptionBlock", s, ch1x1=4, ch3x3red=4, ch3x3=4, ch5x5red=2, ch5x5=4, pool_proj=4)
    c = g.add("Concat", s, g.add("AvgPool2d", g.add("Conv2d", x, out_channels=2, stride=2, padding=1),
                                 kernel_size=3, stride=1, padding=1, ceil_mode=True))
    c = g.add("Dropout2d", g.add("ELU", c, alpha=0.5))
    c = g.add("MaxPool2d", g.add("LocalResponseNorm", c, size=3, k=2.0), kernel_size=3, stride=2, padding=1)
    f = g.add("Flatten", g.add("AdaptiveAvgPool2d", c, output_size=[2, 1]))
    f = g.add("Linear", g.add("Dropout", f), out_features=12, activation="silu")
    for t in ("ReLU", "Tanh", "Sigmoid", "SiLU", "GELU", "LeakyReLU"):
        f = g.add(t, f)
    g.add("Softmax", g.add("Linear", f, out_features=5, activation="tanh"))
    return g


def load_generated(path: Path):
    spec = importlib.util.spec_from_file_location("generated_model", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check_same_model(graph, path, shape):
    torch.manual_seed(0)
    ours = compile_graph(graph).eval()
    theirs = load_generated(path).Net().eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-6)


def test_every_kind_of_block_exports_exactly(tmp_path):
    from cnnstudio.core.build.pytorch_source import to_pytorch_source
    g = every_kind_of_block()
    out = tmp_path / "model.py"
    out.write_text(to_pytorch_source(g))
    check_same_model(g, out, (3, 16, 16))


def signal_volume_and_decoder_graphs():
    sig = Graph()
    x = sig.add("Input", shape=[2, 40])
    a = sig.add("Conv1d", x, out_channels=6, kernel_size=5, padding="same", activation="relu")
    a = sig.add("MaxPool1d", sig.add("BatchNorm1d", a), kernel_size=3, stride=2, padding=1)
    a = sig.add("AvgPool1d", sig.add("Dropout1d", a), kernel_size=[2])
    a = sig.add("Upsample", sig.add("AdaptiveAvgPool1d", a, output_size=4), mode="linear", scale_factor=1.5)
    sig.add("BatchNorm1d", sig.add("Linear", sig.add("Flatten", a), out_features=3))
    vol = Graph()
    x = vol.add("Input", shape=[1, 6, 8, 8])
    v = vol.add("Conv3d", x, out_channels=4, kernel_size=[1, 3, 3], padding=[0, 1, 1], padding_mode="replicate")
    v = vol.add("MaxPool3d", vol.add("BatchNorm3d", vol.add("Dropout3d", v)), kernel_size=2)
    v = vol.add("AvgPool3d", vol.add("Upsample", v, mode="trilinear"), kernel_size=3, stride=1, ceil_mode=True)
    vol.add("Linear", vol.add("Flatten", vol.add("AdaptiveAvgPool3d", v, output_size=[1, 2, 2])), out_features=2)
    dec = Graph()
    x = dec.add("Input", shape=[3, 12, 12])
    d = dec.add("DeformConv2d", x, out_channels=8, modulated=True, offset_groups=3, activation="relu")
    d = dec.add("ConvTranspose2d", dec.add("MaxPool2d", d), out_channels=4, kernel_size=3, stride=2, padding=1,
                output_padding=1, activation="relu")
    dec.add("Upsample", dec.add("DeformConv2d", d, out_channels=2, kernel_size=[3, 1], padding=[1, 0]),
            scale_factor=0.5, mode="bicubic")
    return [(sig, (2, 40)), (vol, (1, 6, 8, 8)), (dec, (3, 12, 12))]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["signal", "volume", "deformable-decoder"])
def test_1d_3d_transposed_and_deformable_blocks_export_exactly(which, tmp_path):
    from cnnstudio.core.build.pytorch_source import to_pytorch_source
    g, shape = signal_volume_and_decoder_graphs()[which]
    out = tmp_path / "model.py"
    out.write_text(to_pytorch_source(g))
    torch.manual_seed(0)
    ours = compile_graph(g).eval()
    with torch.no_grad():  # offsets away from zero, so the deformable sampling really matters
        for name, t in ours.named_parameters():
            if ".offset." in name:
                t.normal_(0, 0.3)
    theirs = load_generated(out).Net().eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)


@pytest.mark.parametrize("stem", ["lenet5", "mini_inception", "resnet18"])
def test_samples_export_from_the_command_line(stem, tmp_path, capsys):
    out = tmp_path / f"{stem}.py"
    assert main(["export", str(SAMPLES / f"{stem}.cnnproj"), "-o", str(out)]) == 0
    assert "import cnnstudio" not in out.read_text()
    # no run and no project weights: a fresh initialisation, said so, written beside the code
    assert "weights from a fresh initialisation" in capsys.readouterr().out
    assert out.with_suffix(".safetensors").exists() and "# Loading the weights" in out.read_text()
    graph = load_project(SAMPLES / f"{stem}.cnnproj").graph
    shape = graph.nodes[next(iter(graph.nodes))].params["shape"]
    check_same_model(graph, out, shape)


def test_a_network_with_errors_is_not_exported(tmp_path, capsys):
    bad = tmp_path / "bad.cnnproj"
    bad.write_text((SAMPLES / "lenet5.cnnproj").read_text().replace('"kernel_size": 5, "stride": 1, "padding": 2',
                                                                    '"kernel_size": 50, "stride": 1, "padding": 2'))
    out = tmp_path / "m.py"
    assert main(["export", str(bad), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "kernel 50×50 is larger than the 28×28 input" in err
    assert "\n  c1 (Conv2d): kernel 50×50" in err  # the block named once, not "c1: c1 (Conv2d): ..."
    assert not out.exists()


def test_class_name_must_be_a_python_name(tmp_path, capsys):
    for bad in ("class", "my-net", "2net"):
        assert main(["export", str(SAMPLES / "lenet5.cnnproj"), "-o", str(tmp_path / "m.py"), "--class-name", bad]) == 2
        assert "not a valid Python name" in capsys.readouterr().err
    assert not (tmp_path / "m.py").exists()


def test_names_from_the_file_never_become_code(tmp_path):
    from cnnstudio.core.build.pytorch_source import to_pytorch_source
    g = Graph()
    x = g.add("Input", shape=[1, 8, 8])
    g.add("Conv2d", x, id="conv²", out_channels=2)
    evil = 'x"""\nopen("PWNED", "w").write("1")\n"""'
    out = tmp_path / "m.py"
    out.write_text(to_pytorch_source(g, title=evil))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        net = load_generated(out).Net()
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()
    assert any(name.startswith("conv_") for name, _ in net.named_children())
