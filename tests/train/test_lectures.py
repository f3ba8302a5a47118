"""Training options from the lectures: multi-label heads and their metrics, label smoothing,
the L1 penalty, test-time augmentation and ensembles (`cnnstudio evaluate`)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnstudio.cli import main
from cnnstudio.core import Graph, analyze
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.evaluate import evaluate_runs, views
from cnnstudio.core.train.head import find_head, head_problem
from cnnstudio.core.train.metrics import average_precision, multilabel_metrics
from cnnstudio.core.train.objective import Objective
from cnnstudio.core.train.runs import load_run, read_metrics

from .conftest import SMALL_SHAPES, small_project


def test_multilabel_metrics_equal_a_hand_computation():
    probs = np.array([[0.9, 0.2], [0.6, 0.7], [0.4, 0.1], [0.3, 0.8], [0.7, 0.4]])
    truth = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 1]])
    m = multilabel_metrics(probs, truth, ["a", "b"], threshold=0.5)
    a, b = m["per_class"]
    # class a predicted for rows 0, 1, 4 (≥ 0.5); true for 0, 2, 4: TP 2, FP 1, FN 1
    assert (a["precision"], a["recall"], a["f1"], a["support"]) == (2 / 3, 2 / 3, 2 / 3, 3)
    # class b predicted for rows 1, 3; true for 1, 3, 4: TP 2, FP 0, FN 1
    assert (b["precision"], b["recall"]) == (1.0, 2 / 3) and b["f1"] == pytest.approx(0.8)
    # AP of a: ranked 0.9 (hit), 0.7 (hit), 0.6 (miss), 0.4 (hit), 0.3 → (1 + 1 + 3/4) / 3
    assert a["ap"] == pytest.approx((1 + 1 + 0.75) / 3)
    # AP of b: ranked 0.8 (hit), 0.7 (hit), 0.4 (hit) → 1
    assert b["ap"] == pytest.approx(1.0) and m["mAP"] == pytest.approx(((1 + 1 + 0.75) / 3 + 1) / 2)
    assert m["exact_match"] == pytest.approx(2 / 5)  # rows 0 and 3 are right on both classes
    assert multilabel_metrics(probs, truth, ["a", "b"], threshold=0.85)["per_class"][0]["recall"] == 1 / 3
    # tied scores share one threshold: both items count at precision 1/2
    assert average_precision(np.array([0.5, 0.5]), np.array([1, 0])) == pytest.approx(0.5)


def multilabel_net(activation="sigmoid", outputs=5) -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    x = g.add("Conv2d", x, out_channels=8, kernel_size=3, padding=1, activation="relu")
    x = g.add("Flatten", g.add("MaxPool2d", x, kernel_size=4))
    g.add("Linear", x, id="head", out_features=outputs, activation=activation)
    return g


def test_a_softmax_head_on_a_multilabel_dataset_is_refused_with_a_fix():
    g = multilabel_net("softmax")
    msg, fix = head_problem(find_head(g, analyze(g)), 5, "multilabel")
    assert "softmax will not work" in msg and fix == {"node": "head", "params": {"activation": "sigmoid"}}
    g = multilabel_net(outputs=3)
    msg, fix = head_problem(find_head(g, analyze(g)), 5, "multilabel")
    assert "5 labels" in msg and fix["params"] == {"out_features": 5}


def test_multilabel_head_trains_with_binary_cross_entropy_per_class(tmp_path):
    project = small_project({"id": "multi_shapes", "image_size": 16, "count": 160},
                            {"epochs": 2, "optimizer": "adam", "lr": 0.003})
    project.graph = multilabel_net()
    result = Trainer(project, tmp_path / "ml", callbacks=[]).run()
    assert result["status"] == "finished", result["message"]
    info = load_run(tmp_path / "ml").info
    assert info["task"] == "multilabel" and info["loss"] == "bce_with_logits" and info["fused_activation"] == "sigmoid"
    m = read_metrics(tmp_path / "ml")
    assert m[-1]["train_loss"] < m[0]["train_loss"] and 0 <= m[-1]["val_mAP"] <= 1


def test_label_smoothing_and_l1_penalty():
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    smooth = Objective("classify", 4, label_smoothing=0.2).loss(out, y)
    target = torch.full((6, 4), 0.2 / 4)
    target[torch.arange(6), y] += 0.8
    assert smooth == pytest.approx(float(-(target * F.log_softmax(out, 1)).sum(1).mean()), rel=1e-5)
    yb = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    ob = torch.randn(2, 2)
    assert Objective("multilabel", 2, label_smoothing=0.1).loss(ob, yb) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(ob, torch.tensor([[0.95, 0.05], [0.05, 0.95]]))), rel=1e-5)


def test_l1_penalty_drives_weights_towards_zero(tmp_path):
    norms = {}
    for l1 in (0.0, 0.01):
        project = small_project(training={"epochs": 2, "optimizer": "sgd", "lr": 0.05, "l1": l1, "seed": 1})
        assert Trainer(project, tmp_path / f"r{l1}", callbacks=[]).run()["status"] == "finished"
        net = load_run(tmp_path / f"r{l1}").model("last")
        norms[l1] = sum(float(p.detach().abs().sum()) for p in net.parameters() if p.dim() > 1)
    assert norms[0.01] < 0.8 * norms[0.0]


def test_tta_views_are_flips_and_ten_crops():
    x = torch.arange(2 * 3 * 16 * 16, dtype=torch.float32).reshape(2, 3, 16, 16)
    a, b = views(x, "flip")
    assert torch.equal(a, x) and torch.equal(b, x.flip(-1))
    ten = views(x, "tencrop")
    assert len(ten) == 10 and all(v.shape == x.shape for v in ten)
    assert torch.equal(ten[4], x) and torch.equal(ten[9], x.flip(-1))  # the centre crop is the image
    assert torch.equal(ten[3][..., :-2, :-2], x[..., 2:, 2:])  # bottom-right corner: shifted by 2
    assert len({v.sum().item() for v in ten[:5]}) == 5
    signal = torch.randn(2, 1, 40)
    assert [v.shape for v in views(signal, "tencrop")] == [signal.shape] * 10
    volume = torch.randn(1, 1, 4, 8, 8)
    assert torch.equal(views(volume, "tencrop")[4], volume)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ensemble")
    for seed in (1, 2):
        project = small_project(SMALL_SHAPES, {"epochs": 1, "seed": seed})
        assert Trainer(project, root / f"seed{seed}", callbacks=[]).run()["status"] == "finished"
    return [root / "seed1", root / "seed2"]


def test_tta_and_ensemble_equal_a_hand_average(two_runs):
    result = evaluate_runs(two_runs, tta="flip")
    ds = load_run(two_runs[0]).dataset()
    x, y = ds.test.images, ds.test.labels.numpy()
    hand = []
    with torch.no_grad():
        for d in two_runs:
            net = load_run(d).model()
            hand.append(((torch.softmax(net(x), 1) + torch.softmax(net(x.flip(-1)), 1)) / 2).numpy())
    for mine, theirs, row in zip(result["probs"], hand, result["runs"]):
        assert np.allclose(mine, theirs, atol=1e-6)
        assert row["accuracy"] == pytest.approx((theirs.argmax(1) == y).mean())
    mean = (hand[0] + hand[1]) / 2
    assert np.allclose(result["ensemble_probs"], mean, atol=1e-6)
    assert result["ensemble"]["accuracy"] == pytest.approx((mean.argmax(1) == y).mean())


def test_evaluate_command_shows_each_run_and_the_ensemble(two_runs, capsys, tmp_path):
    assert main(["evaluate", *map(str, two_runs), "--tta", "tencrop"]) == 0
    out = capsys.readouterr().out
    assert "test-time augmentation: ten crops" in out and "seed1" in out and "ensemble of 2 runs" in out
    assert main(["evaluate", str(two_runs[0]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tta"] == "none" and len(doc["runs"]) == 1 and "ensemble" not in doc
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "not a training run" in capsys.readouterr().err
