"""`cnnstudio import` from the command line: a user's own nn.Module (refused with the line when
it branches on tensor values), weights files, torchvision's published weights from the cache,
and transfer learning end to end: import with weights → fit to a dataset → train the head with
the backbone frozen → unfreeze → fine-tune."""
import json
import textwrap
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import load_file

from cnnstudio.cli import main
from cnnstudio.core import load_project
from cnnstudio.core.train.runs import load_run

FACTORIES = textwrap.dedent('''
    import torch
    import torch.nn as nn

    class Good(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.bn = nn.BatchNorm2d(8)
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            x = torch.relu(self.bn(self.conv(x)))
            x = x.mean([2, 3])
            return self.fc(x)

    class Branchy(Good):
        def forward(self, x):
            x = self.conv(x)
            if x.sum() > 0:
                x = x * 2
            return self.fc(x.mean([2, 3]))

    class Sorting(Good):
        def forward(self, x):
            x, _ = torch.sort(self.conv(x), dim=1)
            return self.fc(x.mean([2, 3]))

    def good():
        return Good()

    def branchy():
        return Branchy()

    def sorting():
        return Sorting()
''')


@pytest.fixture
def factories(tmp_path, monkeypatch):
    (tmp_path / "mynets.py").write_text(FACTORIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_python_factory_imports_and_matches(factories, capsys):
    assert main(["import", "mynets:good", "--input-shape", "3,12,12", "-o", "good.cnnproj", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["params"] == result["source_params"] == 8 * 27 + 8 + 16 + 36
    assert result["max_abs_difference"] <= 1e-5
    types = [n.type for n in load_project(factories / "good.cnnproj").graph.nodes.values()]
    assert types == ["Input", "ConvBNAct", "AdaptiveAvgPool2d", "Flatten", "Linear"]


def test_control_flow_is_refused_with_the_line_named(factories, capsys):
    assert main(["import", "mynets:branchy", "--input-shape", "3,12,12", "-o", "b.cnnproj"]) == 2
    err = capsys.readouterr().err
    assert "mynets.py, line 20" in err and "if x.sum() > 0:" in err and "control flow" in err
    assert "Traceback" not in err and not (factories / "b.cnnproj").exists()
    assert main(["import", "mynets:sorting", "--input-shape", "3,12,12", "-o", "s.cnnproj"]) == 2
    err = capsys.readouterr().err
    assert "`sort`" in err and "mynets.py, line 26" in err and not (factories / "s.cnnproj").exists()


def test_pretrained_weights_come_from_torchvisions_cache_or_say_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    args = ["import", "torchvision:squeezenet1_1", "--weights", "pretrained", "-o", str(tmp_path / "s.cnnproj")]
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "offline" in err and "hub/checkpoints" in err and "--weights FILE" in err
    assert not (tmp_path / "s.cnnproj").exists()
    # the file torchvision would download, already in its cache
    weights = torchvision.models.get_model_weights("squeezenet1_1").DEFAULT
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True, exist_ok=True)  # the failed download made it
    model = torchvision.models.squeezenet1_1()
    torch.save(model.state_dict(), cache / weights.url.rsplit("/", 1)[1])
    assert main(args) == 0
    saved = load_file(str(tmp_path / "s.safetensors"))
    assert torch.equal(saved["features_0.weight"], model.features[0].weight)


def test_transfer_learning_end_to_end_from_the_command_line(tmp_path, capsys):
    source = torchvision.models.resnet18()
    torch.save(source.state_dict(), tmp_path / "resnet18.pth")
    project = tmp_path / "shapes.cnnproj"
    assert main(["import", "torchvision:resnet18", "--weights", str(tmp_path / "resnet18.pth"), "-o", str(project),
                 "--dataset", "shapes", "--freeze"]) == 0
    out = capsys.readouterr().out
    assert "head fc replaced: 1000 → 5 outputs" in out and "frozen" in out
    doc = json.loads(project.read_text())
    doc["dataset"].update(count=96, val_fraction=0.25)  # a small run for the test
    project.write_text(json.dumps(doc))
    frozen = [n.id for n in load_project(project).graph.nodes.values() if n.frozen]
    assert "fc" not in frozen and "layer4_1" in frozen and "conv1" in frozen
    start = load_file(str(tmp_path / "shapes.safetensors"))

    common = ["--epochs", "1", "--batch-size", "24", "--device", "cpu", "--lr", "0.01"]
    assert main(["train", str(project), *common, "--out", str(tmp_path / "head")]) == 0
    head = load_file(str(load_run(tmp_path / "head").checkpoint("last")))
    for key in ("conv1.0.weight", "conv1.1.running_mean", "layer4_1.conv2.weight", "layer4_1.bn2.running_var"):
        assert torch.equal(head[key], start[key]), key  # frozen: weights and BatchNorm statistics kept
    assert not torch.equal(head["fc.weight"][:5], source.fc.weight[:5])  # a new head, trained

    assert main(["train", str(project), *common, "--unfreeze", "--backbone-lr-factor", "0.1",
                 "--init-from", str(tmp_path / "head"), "--out", str(tmp_path / "tune")]) == 0
    tuned = load_file(str(load_run(tmp_path / "tune").checkpoint("last")))
    assert not torch.equal(tuned["layer4_1.conv2.weight"], head["layer4_1.conv2.weight"])  # fine-tuned
    info = json.loads((tmp_path / "tune" / "run.json").read_text())
    assert info["training"]["backbone_lr_factor"] == 0.1
    assert any("head" in note and "started from" in note for note in info["notes"])
    # run.json names the weights each run started from (the run table's "started from")
    started = Path(info["started_from"]).parts
    assert started[started.index("checkpoints") - 1] == "head"
    assert json.loads((tmp_path / "head" / "run.json").read_text())["started_from"] == "shapes.safetensors"


def test_weights_of_another_model_are_refused_in_one_line_that_says_what_to_do(tmp_path, capsys):
    wrong = tmp_path / "lenet.pth"
    torch.save({"c1.weight": torch.zeros(6, 1, 5, 5), "conv1.weight": torch.zeros(3, 3, 3, 3)}, wrong)
    out = tmp_path / "x.cnnproj"
    assert main(["import", "torchvision:resnet18", "--weights", str(wrong), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not this model's" in err and "same architecture" in err
    assert "tensors the model does not have: 1 (e.g. c1.weight)" in err
    assert "conv1.weight [3, 3, 3, 3] (the model's is [64, 3, 7, 7])" in err
    assert not out.exists()
