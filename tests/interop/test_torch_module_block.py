"""A layer CNN Studio has no block for comes in as one PyTorch-module block: the smallest
module around it, exact, trainable, its weights in the project's file; opened where its package
is missing, it is an error pinned to that block saying what to install, not a traceback."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from cnnstudio.cli import main
from cnnstudio.core import load_project
from cnnstudio.core.project.weights import read_state_dict

ODD = textwrap.dedent('''
    import torch
    import torch.nn as nn


    class Shift(nn.Module):
        """Rolls the image one pixel right and scales each channel: no block does that."""

        def __init__(self, c):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(c, 1, 1))

        def forward(self, x):
            return torch.roll(x, 1, dims=3) * self.scale


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn, self.act = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()
            self.shift = Shift(8)
            self.fc = nn.Linear(8, 3)

        def forward(self, x):
            x = self.shift(self.act(self.bn(self.conv(x))))
            return self.fc(x.mean((2, 3)))


    def net():
        return Net()
''')


@pytest.fixture
def oddnets(tmp_path, monkeypatch):
    (tmp_path / "oddnets.py").write_text(ODD)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_unmappable_layer_is_one_torch_module_block_that_trains(oddnets, capsys):
    assert main(["import", "oddnets:net", "--input-shape", "3,16,16", "--dataset", "shapes", "-o", "odd.cnnproj",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["max_abs_difference"] <= 1e-5
    project = load_project(oddnets / "odd.cnnproj")
    kept = [n for n in project.graph.nodes.values() if n.type == "TorchModule"]
    assert len(kept) == 1 and kept[0].params["path"] == "shift" and kept[0].params["class_name"] == "oddnets.Shift"
    assert [n.type for n in project.graph.nodes.values()][1] == "ConvBNAct"  # the rest is blocks
    assert main(["train", "odd.cnnproj", "--epochs", "1", "--batch-size", "32", "--out", "run"]) == 0
    trained = read_state_dict(next((oddnets / "run").rglob("weights.safetensors")))
    scale = trained[f"{kept[0].id}.scale"]
    assert scale.shape == (8, 1, 1) and not bool((scale == 1).all())  # its parameter learned


def test_without_its_package_the_block_says_what_to_install(oddnets, capsys):
    assert main(["import", "oddnets:net", "--input-shape", "3,16,16", "-o", "odd.cnnproj"]) == 0
    (oddnets / "oddnets.py").unlink()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and p != str(oddnets))}
    done = subprocess.run([sys.executable, "-m", "cnnstudio", "summary", "odd.cnnproj"], cwd=oddnets, env=env,
                          capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "needs the Python package 'oddnets'" in out and "pip install oddnets" in out and "shift" in out
    assert "Traceback" not in out


def test_a_project_naming_pythons_own_functions_runs_nothing(tmp_path):
    """A hostile file: `os:abort` as a module source is refused when checked and when compiled."""
    from cnnstudio.core import analyze
    from cnnstudio.core.project import parse_project
    from cnnstudio.core.build.compiler import CompileError, compile_graph
    doc = {"format": "cnnstudio.project", "version": 1, "name": "x", "graph": {"nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [3, 8, 8]}},
        {"id": "m", "type": "TorchModule", "params": {"source": "os:abort", "path": "", "class_name": "x.Y"}}],
        "edges": [["in", "m"]]}}
    graph = parse_project(doc).graph
    errors = analyze(graph).errors
    assert [e.node for e in errors] == ["m"] and "import it again" in errors[0].message
    doc["graph"]["nodes"][1]["params"]["io"] = [{"in": [[3, 8, 8]], "out": [3, 8, 8], "params": 0, "buffers": 0,
                                                 "macs": 0}]
    graph = parse_project(doc).graph
    assert analyze(graph).ok
    with pytest.raises(CompileError, match="not a package of models"):
        compile_graph(graph)
