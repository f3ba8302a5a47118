"""Memory bombs: the estimate counts the dataset as held in memory; summary and the editor warn,
`train` refuses before allocating anything (issue 11, item 5)."""
from __future__ import annotations

import json

from cnnstudio.cli import main
from cnnstudio.core import Graph, Project, save_project
from cnnstudio.core.train.budget import machine_memory


def bomb(tmp_path):
    g = Graph()
    x = g.add("Input", shape=[1, 4096, 4096])
    x = g.add("AdaptiveAvgPool2d", x, output_size=1)
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=10)
    path = tmp_path / "bomb.cnnproj"
    save_project(Project("bomb", g, {"id": "mnist5k", "resize": 4096}, {"batch_size": 8}), path)
    return path


def test_summary_counts_the_dataset_and_warns_when_it_exceeds_the_machine(tmp_path, capsys):
    assert machine_memory() < 300 * 2 ** 30  # the test needs a machine smaller than the bomb
    path = bomb(tmp_path)
    main(["summary", str(path)])
    out = capsys.readouterr().out
    assert "dataset 312.5 GiB" in out  # 5,000 × 4096 × 4096 float32 ≈ 335 GB
    assert "warning" in out and "Training needs about 313.0 GiB" in out and "this machine has" in out
    main(["summary", str(path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["training_memory"]["dataset"] == 5000 * 4096 * 4096 * 4
    assert any(w["code"] == "memory" for w in doc["warnings"])


def test_train_refuses_a_memory_bomb_before_allocating(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", str(bomb(tmp_path)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Training needs about" in err and "not started" in err
    assert not out.exists()


def test_the_window_shows_the_memory_problem_instead_of_ready(qtbot, tmp_path):
    from cnnstudio.core import load_project
    from cnnstudio.gui.session import Session
    s = Session()
    s.set_project(load_project(bomb(tmp_path)))
    assert [p for p in s.analysis.problems if p.code == "memory" and "dataset" in p.message]
