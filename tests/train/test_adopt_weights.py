"""A run's best weights adopted as the project's starting weights ("start from" in the Training
dock): a plain copy, so choosing it in the window does not load torch on the UI thread."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from cnnstudio.core import save_project
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.runs import load_run

from .conftest import small_project


def test_adopting_a_runs_weights_copies_its_best_checkpoint_without_torch(tmp_path):
    project = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 1}), project)
    run = tmp_path / "tiny.runs" / "first"
    assert Trainer(small_project(training={"epochs": 1}), run).run()["status"] == "finished"
    code = ("import sys; from cnnstudio.core.train.transfer import adopt_run_weights; "
            f"print(adopt_run_weights({str(run)!r}, {str(project)!r})); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    name, torch_loaded = out.stdout.split()
    assert name == "tiny-first.safetensors" and torch_loaded == "False", out.stderr
    assert (tmp_path / name).read_bytes() == load_run(run).checkpoint("best").read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))  # written whole, then renamed


def test_a_run_without_a_checkpoint_is_one_message(tmp_path):
    from cnnstudio.core.train.transfer import adopt_run_weights
    with pytest.raises(ValueError, match="not a readable run folder"):
        adopt_run_weights(tmp_path / "nothing", tmp_path / "tiny.cnnproj")


def test_a_run_that_finished_no_epoch_says_so(tmp_path):
    from cnnstudio.core.train.transfer import adopt_run_weights
    run = tmp_path / "tiny.runs" / "stopped-early"
    assert Trainer(small_project(training={"epochs": 1}), run).run()["status"] == "finished"
    shutil.rmtree(run / "checkpoints")  # as a run stopped in its first epoch leaves it
    with pytest.raises(ValueError, match="has no checkpoint yet: let it finish an epoch first"):
        adopt_run_weights(run, tmp_path / "tiny.cnnproj")
