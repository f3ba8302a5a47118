"""Export in every format, checked after writing; ONNX round trips (our own files come back
block for block, any file operator by operator); bad files are refused by name."""
import json

import onnx
import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.core import Graph, Project, analyze, load_project, save_project
from cnnstudio.core.interop import InteropError, import_model, verify
from cnnstudio.core.interop.weights import meta_model, save_weights


def small_net() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    x = g.add("ConvBNAct", x, out_channels=8, stride=2)
    x = g.add("ResidualBlock", x, out_channels=8)
    a = g.add("InvertedResidual", x, out_channels=8, expanded=16, activation="hardswish", se_channels=4,
              se_gate="hardsigmoid")
    b = g.add("Conv2d", x, out_channels=4, kernel_size=1, activation="relu")
    x = g.add("Concat", a, b)
    x = g.add("BatchNorm2d", x)
    x = g.add("Flatten", g.add("AdaptiveAvgPool2d", x))
    g.add("Linear", x, out_features=5)
    return g


@pytest.fixture
def project_with_weights(tmp_path):
    graph = small_net()
    torch.manual_seed(3)
    net = meta_model(graph).to_empty(device="cpu")
    with torch.no_grad():
        for k, t in net.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if "running_var" in k else torch.randn_like(t) * 0.3)
            else:
                t.zero_()
    save_weights(net.state_dict(), tmp_path / "small.safetensors")
    path = tmp_path / "small.cnnproj"
    save_project(Project("small", graph, weights="small.safetensors"), path)
    return path, net.eval()


def test_onnx_export_is_checked_and_imports_back_as_designed(project_with_weights, tmp_path, capsys):
    path, net = project_with_weights
    assert main(["export", str(path), "--format", "onnx", "-o", str(tmp_path / "small.onnx")]) == 0
    out = capsys.readouterr().out
    assert "onnxruntime" in out and "max |difference|" in out and "small.safetensors" in out
    model = onnx.load(str(tmp_path / "small.onnx"))
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # a dynamic batch axis
    back = import_model(str(tmp_path / "small.onnx"))
    original = load_project(path).graph
    assert [(n.id, n.type, n.params) for n in back.graph.nodes.values()] == \
           [(n.id, n.type, n.params) for n in original.nodes.values()]
    assert back.graph.edges == original.edges
    ours = meta_model(back.graph)
    ours.load_state_dict(back.weights, assign=True)
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        assert (ours.eval()(x) - net(x)).abs().max() <= 1e-5
    assert verify(back) <= 1e-4  # against onnxruntime on the file


def test_any_onnx_file_maps_operator_by_operator(project_with_weights, tmp_path):
    path, net = project_with_weights
    assert main(["export", str(path), "-o", str(tmp_path / "small.onnx")]) == 0
    model = onnx.load(str(tmp_path / "small.onnx"))
    del model.metadata_props[:]  # as if another tool wrote it
    onnx.save(model, str(tmp_path / "plain.onnx"))
    imported = import_model(str(tmp_path / "plain.onnx"))
    types = [n.type for n in imported.graph.nodes.values()]
    # conv + BN + act folded, and the composites found again from their operators
    assert types == [n.type for n in small_net().nodes.values()]
    assert analyze(imported.graph).total("params") == sum(p.numel() for p in net.parameters())
    assert verify(imported) <= 1e-4
    assert main(["import", str(tmp_path / "plain.onnx"), "-o", str(tmp_path / "plain.cnnproj")]) == 0
    assert load_project(tmp_path / "plain.cnnproj").weights == "plain.safetensors"


def test_unmappable_onnx_is_refused_by_operator_and_nothing_is_written(tmp_path, capsys):
    from onnx import TensorProto, helper
    node = helper.make_node("Einsum", ["x", "x"], ["y"], name="mystery", equation="bchw,bchw->bchw")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    assert main(["import", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.cnnproj")]) == 2
    err = capsys.readouterr().err
    assert "Einsum" in err and "mystery" in err and "Traceback" not in err
    assert not (tmp_path / "m.cnnproj").exists()
    (tmp_path / "old.onnx").write_bytes(b"not onnx at all")
    assert main(["import", str(tmp_path / "old.onnx"), "-o", str(tmp_path / "m.cnnproj")]) == 2
    assert "not a readable ONNX file" in capsys.readouterr().err


@pytest.mark.parametrize("fmt,suffix", [("torchscript", ".pt"), ("exported-program", ".pt2")])
def test_torchscript_and_exported_program_give_the_same_outputs(project_with_weights, tmp_path, fmt, suffix, capsys):
    path, net = project_with_weights
    out = tmp_path / f"m{suffix}"
    assert main(["export", str(path), "--format", fmt, "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["max_abs_difference"] <= 1e-5
    x = torch.randn(3, 3, 16, 16)
    loaded = torch.jit.load(str(out)) if fmt == "torchscript" else torch.export.load(str(out)).module()
    with torch.no_grad():
        assert (loaded(x) - net(x)).abs().max() <= 1e-5


def test_pytorch_export_writes_code_weights_and_a_loading_example(tmp_path, capsys):
    g = Graph()
    x = g.add("Input", shape=[3, 8, 8])
    x = g.add("ConvBNAct", x, out_channels=4, activation="relu6")
    g.add("Linear", g.add("Flatten", x), out_features=2)
    save_project(Project("p", g), tmp_path / "p.cnnproj")
    # no weights anywhere: a fresh initialisation, and the output says so
    assert main(["export", str(tmp_path / "p.cnnproj"), "--format", "onnx", "-o", str(tmp_path / "p.onnx")]) == 0
    assert "fresh initialisation" in capsys.readouterr().out
    net = meta_model(g).to_empty(device="cpu")
    for t in net.state_dict().values():
        t.copy_(torch.rand_like(t.float()).to(t.dtype) + 0.5)
    save_weights(net.state_dict(), tmp_path / "p.safetensors")
    save_project(Project("p", g, weights="p.safetensors"), tmp_path / "p.cnnproj")
    assert main(["export", str(tmp_path / "p.cnnproj"), "--format", "pytorch", "-o", str(tmp_path / "m.py")]) == 0
    source = (tmp_path / "m.py").read_text()
    assert "load_file('m.safetensors')" in source and "import cnnstudio" not in source
    namespace = {}
    exec(compile(source, "m.py", "exec"), namespace)  # the generated file, as a user would run it
    from safetensors.torch import load_file
    model = namespace["Net"]()
    model.load_state_dict(load_file(str(tmp_path / "m.safetensors")))
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(model.eval()(x), net.eval()(x), atol=1e-6)


def test_a_file_from_torchs_default_onnx_exporter_imports(tmp_path):
    """torch.onnx.export's default (dynamo) exporter: fused BatchNorm, ReduceMean, Reshape."""
    import warnings
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.BatchNorm2d(6), torch.nn.Hardswish(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(6, 4)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, 10, 10),), str(tmp_path / "m.onnx"), dynamo=True)
    imported = import_model(str(tmp_path / "m.onnx"))
    assert [n.type for n in imported.graph.nodes.values()] == \
        ["Input", "Conv2d", "AdaptiveAvgPool2d", "Flatten", "Linear"]  # BatchNorm fused into the conv
    assert any(n.params.get("activation") == "hardswish" for n in imported.graph.nodes.values())
    x = torch.randn(3, 3, 10, 10)
    ours = meta_model(imported.graph)
    ours.load_state_dict(imported.weights, assign=True)
    with torch.no_grad():
        assert (ours.eval()(x) - model(x)).abs().max() <= 1e-5
