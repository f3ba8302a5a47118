"""Items 4, 6, 7, 10: user code that exits or hangs, hostile ONNX files and weights files."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import cnnstudio
from cnnstudio.cli import main

SAMPLES = Path(cnnstudio.__file__).resolve().parents[1] / "sample_projects"


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "usernet.py").write_text(textwrap.dedent("""
        import sys, time, torch.nn as nn
        def net():
            return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
        def bye():
            sys.exit(5)
        def forever():
            while True:
                time.sleep(0.1)
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_factory_calling_sys_exit_is_a_message(user_module, capsys):
    assert main(["import", "usernet:bye", "--input-shape", "1,8,8", "-o", "b.cnnproj"]) == 2
    assert "your code called sys.exit(5)" in capsys.readouterr().err
    assert not list(user_module.glob("b.*"))


def test_factory_that_never_returns_times_out(user_module, capsys):
    assert main(["import", "usernet:forever", "--input-shape", "1,8,8", "-o", "f.cnnproj", "--timeout", "3"]) == 2
    assert "did not finish in 3 s" in capsys.readouterr().err
    assert not list(user_module.glob("f.*"))


def _weights(tmp_path, kind):
    import torch
    from safetensors.torch import save_file
    sys.path.insert(0, str(tmp_path))
    import usernet
    sd = usernet.net().state_dict()
    if kind == "sparse":
        torch.save({k: v.to_sparse() if v.dim() == 2 else v for k, v in sd.items()}, tmp_path / "w.pt")
    elif kind == "meta":
        torch.save({k: v.to("meta") for k, v in sd.items()}, tmp_path / "w.pt")
    else:
        sd["0.weight"][0, 0, 0, 0] = float("nan")
        save_file(sd, tmp_path / "nan.safetensors")
        return tmp_path / "nan.safetensors"
    return tmp_path / "w.pt"


@pytest.mark.parametrize("kind,words", [("sparse", "sparse tensor"), ("meta", "no data"), ("nan", "NaN")])
def test_weights_files_that_cannot_be_used(user_module, capsys, kind, words):
    w = _weights(user_module, kind)
    code = main(["import", "torchvision:squeezenet1_1", "-o", "w.cnnproj", "--weights", str(w)])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err
    assert not (user_module / "w.cnnproj").exists() and not (user_module / "w.safetensors.cnnproj").exists()


@pytest.fixture(scope="module")
def lenet_onnx(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx")
    assert main(["export", str(SAMPLES / "lenet5.cnnproj"), "-o", str(d / "lenet.onnx")]) == 0
    return d / "lenet.onnx"


def _mutate(model, how):
    from onnx import helper
    g = model.graph
    conv = next(n for n in g.node if n.op_type == "Conv")
    attr = {a.name: a for a in conv.attribute}
    del model.metadata_props[:]  # a plain ONNX file: mapped op by op
    if how == "unknown op":
        conv.op_type = "FancyConv"
    elif how == "cycle":
        g.node[0].input[0] = g.node[-1].output[0]
    elif how == "dangling output":
        g.output[0].name = "nowhere"
    elif how == "missing weight":
        g.initializer.remove(next(i for i in g.initializer if i.name == conv.input[1]))
    elif how == "string stride":
        attr["strides"].CopyFrom(helper.make_attribute("strides", "two"))
    elif how == "stride 0":
        attr["strides"].CopyFrom(helper.make_attribute("strides", [0, 0]))
    elif how == "pads wrong length":
        attr["pads"].CopyFrom(helper.make_attribute("pads", [1, 1, 1]))
    elif how == "3-D weight":
        w = next(i for i in g.initializer if i.name == conv.input[1])
        w.dims[:] = list(w.dims[:3])
    elif how == "huge dims":
        g.input[0].type.tensor_type.shape.dim[2].dim_value = 10 ** 12
    elif how == "deep metadata":
        e = model.metadata_props.add()
        e.key, e.value = "cnnstudio.project", "[" * 1_000_000 + "]" * 1_000_000
    return model


HOW = ["unknown op", "cycle", "dangling output", "missing weight", "string stride", "stride 0",
       "pads wrong length", "3-D weight", "huge dims", "deep metadata"]


@pytest.mark.parametrize("how", HOW)
def test_hostile_onnx_is_one_line(lenet_onnx, tmp_path, capsys, how):
    import onnx
    model = _mutate(onnx.load(str(lenet_onnx)), how)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(model.SerializeToString())
    code = main(["import", str(bad), "-o", str(tmp_path / "x.cnnproj")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx"]
