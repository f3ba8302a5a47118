"""`cnnstudio summary`: the table for every sample, torchvision's totals, JSON, exit codes."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnstudio.cli import main

SAMPLES = Path(__file__).parents[2] / "sample_projects"


def summary(capsys, *args):
    code = main(["summary", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.cnnproj")), ids=lambda p: p.stem)
def test_every_sample_summarises_cleanly(path, capsys):
    code, out, err = summary(capsys, str(path))
    assert code == 0, out
    assert "Total parameters:" in out and "error" not in out


@pytest.mark.parametrize("stem,ctor", [("alexnet", "alexnet"), ("vgg16", "vgg16"),
                                       ("resnet18", "resnet18"), ("resnet34", "resnet34")])
def test_torchvision_samples_equal_torchvision(stem, ctor, capsys):
    import torch
    import torchvision.models as tvm
    from cnnstudio.core import load_project
    from cnnstudio.core.build.compiler import compile_graph

    code, out, _ = summary(capsys, str(SAMPLES / f"{stem}.cnnproj"), "--json")
    doc = json.loads(out)
    with torch.device("meta"):
        ref = getattr(tvm, ctor)()
        ours = compile_graph(load_project(SAMPLES / f"{stem}.cnnproj").graph)
    assert doc["total_params"] == doc["trainable_params"] == sum(p.numel() for p in ref.parameters())
    assert doc["buffers"] == sum(b.numel() for b in ref.buffers() if b.dtype.is_floating_point)
    x = torch.empty(1, 3, 224, 224, device="meta")
    assert ref(x).shape == ours(x).shape == (1, 1000)
    assert doc["layers"][-1]["output_shape"] == [1000]


def test_json_has_layers_totals_and_errors(capsys, tmp_path):
    code, out, _ = summary(capsys, str(SAMPLES / "lenet5.cnnproj"), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["errors"] == []
    assert [l["id"] for l in doc["layers"]][:2] == ["input1", "c1"]
    c1 = doc["layers"][1]
    assert (c1["type"], c1["output_shape"], c1["params"], c1["macs"]) == ("Conv2d", [6, 28, 28], 156, 117600)
    assert doc["total_params"] == doc["trainable_params"] == 61706


def test_errors_exit_1_and_are_listed(capsys, tmp_path):
    doc = json.loads((SAMPLES / "lenet5.cnnproj").read_text())
    # the user deleted the Flatten and wired the pooling straight into the first Linear
    doc["graph"]["nodes"] = [n for n in doc["graph"]["nodes"] if n["id"] != "flatten1"]
    doc["graph"]["edges"] = [e for e in doc["graph"]["edges"] if "flatten1" not in e] + [["s4", "f5"]]
    bad = tmp_path / "bad.cnnproj"
    bad.write_text(json.dumps(doc))
    code, out, _ = summary(capsys, str(bad))
    assert code == 1
    assert "f5 (Linear) needs a flat input [N] but gets [16, 5, 5]" in out and "Insert Flatten" in out
    code, out, _ = summary(capsys, str(bad), "--json")
    errors = json.loads(out)["errors"]
    assert code == 1 and {e["node"] for e in errors} >= {"f5"}


def test_unreadable_file_exits_2_with_message(capsys, tmp_path):
    bad = tmp_path / "cut.cnnproj"
    bad.write_text('{"format": "cnnstudio.project", "vers')
    code, out, err = summary(capsys, str(bad))
    assert code == 2 and out == "" and "cut off" in err


def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "cnnstudio", "summary", str(SAMPLES / "resnet18.cnnproj")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "11,689,512" in result.stdout


def test_memory_estimate_uses_the_projects_batch_size_and_rejects_bad_ones(capsys):
    code, out, _ = summary(capsys, str(SAMPLES / "cifar10_convnet.cnnproj"))
    assert code == 0 and "at batch 128" in out  # the project trains with batch 128
    code, out, _ = summary(capsys, str(SAMPLES / "lenet5.cnnproj"), "--batch-size", "8")
    assert "at batch 8" in out
    code, out, err = summary(capsys, str(SAMPLES / "lenet5.cnnproj"), "--batch-size", "-5")
    assert code == 2 and out == "" and "batch size must be a whole number ≥ 1" in err
