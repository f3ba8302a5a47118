"""Data-parallel training through torchrun, on the CPU with gloo: 2 processes, tiny net and data.

A 2-process run is the same computation as a 1-process run with the same global batch and seed
(each rank takes half of every batch; DDP averages the gradients), so weights and curves must
agree to float precision; and it must resume with another number of processes.
"""
from __future__ import annotations

import json
import sys

import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.core import load_project
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.pointer import checkpoint_file
from cnnstudio.core.train.runs import load_weights, read_metrics

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="torchrun's process groups are POSIX here")


class Snapshot:
    """Keeps a copy of the weights after each epoch."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, ctx):
        self.weights[ctx.epoch] = {k: v.detach().clone() for k, v in ctx.model.state_dict().items()}


def assert_same_weights(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=f"weights differ in {k}")


def test_two_processes_match_one_and_resume_with_one(project_file, tmp_path, capsys):
    run2 = tmp_path / "two"
    code = main(["train", str(project_file), "--nproc", "2", "--out", str(run2), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Starting 2 training processes" in err and "Data-parallel on 2 processes (gloo)" in err
    assert "16 images per process" in err and "used as set" in err  # the lr note, not a silent rescale
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [r["epoch"] for r in rows[:-1]] == [1, 2] and rows[-1]["status"] == "finished"
    # one run folder, written by rank 0 alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.cnnproj", "two"]
    info = json.loads((run2 / "run.json").read_text())
    assert info["status"] == "finished" and info["world_size"] == 2 and info["backend"] == "gloo"
    assert len(info["devices"]) == 2 and all("cpu" in d for d in info["devices"])
    assert not (run2 / ".lock").exists()

    # the same project in one process, in this process: same weights, same curve
    snap = Snapshot()
    one = Trainer(load_project(project_file), tmp_path / "one", overrides={"epochs": 3}, callbacks=[snap]).run()
    assert one["status"] == "finished"
    assert_same_weights(load_weights(checkpoint_file(run2, "last")), snap.weights[2])
    curve2, curve1 = read_metrics(run2), read_metrics(tmp_path / "one")[:2]
    for a, b in zip(curve2, curve1):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key

    # resume the 2-process run with 1 process: epoch 3 continues exactly where the 3-epoch run went
    resumed = Trainer(load_project(run2 / "project.cnnproj"), run2, resume=True, overrides={"epochs": 3},
                      callbacks=[]).run()
    assert resumed["status"] == "finished", resumed["message"]
    assert [m["epoch"] for m in read_metrics(run2)] == [1, 2, 3]
    assert_same_weights(load_weights(checkpoint_file(run2, "last")), snap.weights[3])
    info = json.loads((run2 / "run.json").read_text())
    assert info["world_size"] == 1 and info["resumed"][-1]["world_size"] == 1 and "devices" not in info


def test_nproc_must_be_a_count(project_file, tmp_path, capsys):
    assert main(["train", str(project_file), "--nproc", "0"]) == 2
    assert "--nproc must be 1 or more" in capsys.readouterr().err


def test_each_rank_takes_its_own_equal_share_of_every_batch(monkeypatch):
    from cnnstudio.core.train.distributed import Dist
    batch = torch.randperm(100)[:32]
    shares = []
    for rank in range(4):
        monkeypatch.setenv("WORLD_SIZE", "4")
        monkeypatch.setenv("RANK", str(rank))
        d = Dist()
        shares.append(d.shard(batch))
        assert d.lead == (rank == 0)
    assert [len(s) for s in shares] == [8, 8, 8, 8]
    assert torch.equal(torch.cat(shares), batch)  # together: the whole batch, each image once
    ranges = []
    for rank in range(4):
        monkeypatch.setenv("RANK", str(rank))
        ranges.extend(Dist().val_range(10))
    assert ranges == list(range(10))


def test_a_refused_run_says_why_as_one_process_would(tmp_path, capsys):
    from cnnstudio.core import save_project

    from .conftest import small_project
    path = tmp_path / "five.cnnproj"
    save_project(small_project(classes=5), path)  # 5 outputs for 3 classes
    assert main(["train", str(path), "--nproc", "2", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "The head fc1 gives 5 outputs, but the dataset has 3 classes" in err and "rank" not in err
