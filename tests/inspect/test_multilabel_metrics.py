"""Multi-label runs are judged by one set of metrics, defined once (core/train/metrics.py):
mAP, mean F1 and exact match. The same run shows the same names and figures in
`cnnstudio evaluate --json`, the report and the Inspect panels; training records them per
epoch; old runs that recorded "accuracy" still open (issue 20, item 11)."""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from cnnstudio.cli import main
from cnnstudio.core import Graph, Project
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.metrics import (f1_from_counts, label, mean_ap, multilabel_metrics, score_key,
                                          summary_text)
from cnnstudio.core.train.objective import Objective
from cnnstudio.core.train.runs import read_metrics

from .test_panels import open_window

# 4 samples × 3 classes, worked by hand below
PROBS = np.array([[0.9, 0.2, 0.6], [0.4, 0.8, 0.3], [0.7, 0.6, 0.1], [0.2, 0.1, 0.7]])
TRUTH = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 0, 0]])


def test_the_definitions_on_a_hand_worked_example():
    m = multilabel_metrics(PROBS, TRUTH, ["a", "b", "c"])
    a, b, c = m["per_class"]
    # a: predicted rows 0, 2; true rows 0, 1 → TP 1, FP 1, FN 1: precision = recall = F1 = 1/2
    assert (a["precision"], a["recall"], a["f1"]) == (0.5, 0.5, 0.5)
    # b: predicted rows 1, 2, true rows 1, 2 → all right
    assert (b["precision"], b["recall"], b["f1"]) == (1.0, 1.0, 1.0)
    # c: predicted rows 0, 3; true row 0 → TP 1, FP 1, FN 0: P 1/2, R 1, F1 2/3
    assert (c["precision"], c["recall"]) == (0.5, 1.0) and c["f1"] == pytest.approx(2 / 3)
    assert m["mean_f1"] == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    # AP: a ranked 0.9 (hit) 0.7 (miss) 0.4 (hit) → (1 + 2/3) / 2; b ranked 0.8, 0.6 both hits → 1;
    # c ranked 0.7 (miss) 0.6 (hit) → 1/2
    assert (a["ap"], b["ap"], c["ap"]) == pytest.approx(((1 + 2 / 3) / 2, 1.0, 0.5))
    assert m["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 1 + 0.5) / 3)
    # exact match: row 0 all right; row 1 (a missed), row 2 (a wrong), row 3 (c wrong) → 1 of 4
    assert m["exact_match"] == 0.25
    assert multilabel_metrics(PROBS, TRUTH, "abc", threshold=0.35)["exact_match"] == 0.5  # row 1 right too
    assert f1_from_counts([0, 2], [0, 1], [3, 1]).tolist() == [0.0, pytest.approx(4 / 6)]
    assert summary_text(m) == f"mAP {m['mAP']:.1%}, mean F1 {m['mean_f1']:.1%}, exact match 25.0%"


def test_training_measures_what_the_module_defines():
    """The engine's on-device sums (several batches) give the figures multilabel_metrics gives."""
    g = torch.Generator().manual_seed(3)
    logits, y = torch.randn(50, 4, generator=g), (torch.rand(50, 4, generator=g) > 0.6).float()
    obj = Objective("multilabel", 4)
    tally = obj.new_sums("cpu")
    for i in range(0, 50, 16):
        obj.accumulate(tally, logits[i:i + 16], y[i:i + 16], obj.loss(logits[i:i + 16], y[i:i + 16]))
    row = obj.finish(tally, "val")
    m = multilabel_metrics(torch.sigmoid(logits).numpy(), y.numpy(), "abcd")
    assert set(row) == {"val_loss", "val_mAP", "val_mean_f1", "val_exact_match"}
    assert (row["val_mAP"], row["val_mean_f1"], row["val_exact_match"]) == pytest.approx(
        (m["mAP"], m["mean_f1"], m["exact_match"]))
    assert mean_ap(logits.numpy(), y.numpy()) == pytest.approx(m["mAP"])  # ranking by logit = by probability


@pytest.fixture(scope="module")
def ml_run(tmp_path_factory):
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    x = g.add("Conv2d", x, id="c1", out_channels=6, kernel_size=3, padding=1, activation="relu")
    g.add("Linear", g.add("Flatten", g.add("MaxPool2d", x, kernel_size=4)), id="head", out_features=5,
          activation="sigmoid")
    project = Project("ml", g, {"id": "multi_shapes", "count": 160, "image_size": 16},
                      {"epochs": 2, "batch_size": 32, "optimizer": "adam", "lr": 0.003, "cpu_threads": 1})
    run = tmp_path_factory.mktemp("ml") / "run"
    assert Trainer(project, run, callbacks=[]).run()["status"] == "finished"
    return run


def test_history_and_best_use_the_new_names(ml_run):
    rows = read_metrics(ml_run)
    assert all({"train_mAP", "val_mAP", "val_mean_f1", "val_exact_match"} <= set(r) for r in rows)
    assert not any("val_accuracy" in r for r in rows)
    info = json.loads((ml_run / "run.json").read_text())
    assert info["best"]["metric"] == "val_mAP"
    assert info["best"]["value"] == max(r["val_mAP"] for r in rows)


def _pct(v):
    return f"{v:.1%}"


def test_evaluate_report_and_panels_show_the_same_figures(ml_run, qtbot, tmp_path, capsys):
    assert main(["evaluate", str(ml_run), "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    r = ev["runs"][0]
    assert set(ev["definitions"]) == {"mAP", "mean_f1", "exact_match"} and ev["split"] == "test"
    expected = f"mAP {_pct(r['mAP'])}, mean F1 {_pct(r['mean_f1'])}, exact match {_pct(r['exact_match'])}"

    assert main(["evaluate", str(ml_run)]) == 0  # the table: a row per class, aligned columns
    text = capsys.readouterr().out.splitlines()
    head = next(i for i, line in enumerate(text) if line.split()[:2] == ["class", "precision"])
    for c, line in zip(r["per_class"], text[head + 1:head + 6]):
        assert line.split() == [c["class"], _pct(c["precision"]), _pct(c["recall"]), _pct(c["f1"]),
                                _pct(c["ap"]), str(c["support"])]
        assert len(line) == len(text[head])  # columns line up under the header
    assert any(line.startswith("mean F1: ") for line in text)  # defined where it is read

    out = tmp_path / "r.html"
    assert main(["report", str(ml_run), "-o", str(out)]) == 0
    html = out.read_text()
    assert html.count(expected) == 2  # predictions section and the per-class section
    table = re.search(r"<section id=\"confusion\">.*?<table>(.*?)</table>", html, re.S).group(1)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    assert cells[0] == ["class", "precision", "recall", "F1", "AP", "samples"]
    assert [row[0] for row in cells[1:]] == [c["class"] for c in r["per_class"]] + ["mean"]
    assert cells[-1][3:5] == [_pct(r["mean_f1"]), _pct(r["mAP"])]
    assert "exact match: the share of samples with every label right" in html
    assert "validation mAP" in html and "accuracy" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S)

    session, state, panels = open_window(qtbot, ml_run)
    assert expected in panels["predictions"].status.text()
    assert "exact match" in panels["predictions"].status.toolTip()
    conf = panels["confusion"]
    assert expected in conf.status.text() and conf.top.currentWidget() is conf.table
    t = conf.table
    assert t.rowCount() == 6 and [t.horizontalHeaderItem(i).text() for i in range(6)] == \
        ["class", "precision", "recall", "F1", "AP", "samples"]
    for i, c in enumerate(r["per_class"]):
        assert [t.item(i, k).text() for k in range(6)] == [c["class"], _pct(c["precision"]), _pct(c["recall"]),
                                                          _pct(c["f1"]), _pct(c["ap"]), str(c["support"])]
    assert (t.cell_text(5, "class"), t.cell_text(5, "F1"), t.cell_text(5, "AP")) == \
        ("mean", _pct(r["mean_f1"]), _pct(r["mAP"]))
    # a class clicked: the samples it got wrong
    rect = t.visualItemRect(t.item(0, 0))
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    p = state.inspection.predictions
    wrong = set(np.flatnonzero((p.probs[:, 0] >= 0.5) != (p.targets[:, 0] > 0.5)).tolist())
    assert f"{len(wrong)} samples with {r['per_class'][0]['class']} wrong" in conf.status.text()
    assert set(conf.gallery.indices.tolist()) == wrong
    # the threshold set in Predictions is the table's too
    panels["predictions"].threshold.setValue(0.3)
    m = multilabel_metrics(state.inspection.predictions.probs, state.inspection.predictions.targets,
                           state.inspection.classes, 0.3)
    assert f"at threshold 0.3: {summary_text(m)}" in conf.status.text()
    assert t.cell_text(5, "F1") == _pct(m["mean_f1"])


def test_an_old_run_with_accuracy_in_its_history_still_opens(ml_run, tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(ml_run, old)
    rows = [{"epoch": r["epoch"], "train_loss": r["train_loss"], "train_accuracy": 0.7, "val_loss": r["val_loss"],
             "val_accuracy": 0.75 + r["epoch"] / 100} for r in read_metrics(ml_run)]
    (old / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    info = json.loads((old / "run.json").read_text())
    info["best"] = {"epoch": 2, "metric": "val_accuracy", "value": 0.77}
    (old / "run.json").write_text(json.dumps(info))
    assert score_key(rows) == "val_accuracy" and label("val_accuracy", "multilabel") == "validation label accuracy"
    out = tmp_path / "old.html"
    assert main(["report", str(old), "-o", str(out)]) == 0
    html = out.read_text()
    assert "validation label accuracy 77.0%" in html and "<img src=\"data:image/svg+xml" in html


def test_the_scores_kept_for_map_hold_no_autograd_graph():
    """A training batch's outputs are kept until the epoch's end for mAP: without their graph
    (each batch's activations would otherwise stay in memory all epoch)."""
    import torch
    from cnnstudio.core.train.objective import Objective
    obj = Objective("multilabel", 3)
    w = torch.randn(4, 3, requires_grad=True)
    out = torch.randn(5, 4) @ w
    tally = obj.new_sums("cpu")
    obj.accumulate(tally, out, (torch.rand(5, 3) > 0.5).float(), obj.loss(out, torch.zeros(5, 3)))
    assert all(o.grad_fn is None and not o.requires_grad for o, _ in tally.scores)
