"""The median pruner stops a trial that is clearly worse than the others at the same epoch:
the run ends early, says why, and the study records it as pruned."""
from __future__ import annotations

import json
import threading

from cnnstudio.core import save_project
from cnnstudio.core.sweep import study as st
from cnnstudio.core.sweep.setup import new_study
from cnnstudio.core.sweep.space import parse_vary
from cnnstudio.core.sweep.worker import WorkerControl, loop

from .conftest import tiny_project


def test_a_clearly_worse_trial_is_pruned_after_its_first_epoch(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    project = tiny_project(optimizer="adam", lr=0.01, epochs=4)
    project.dataset["count"] = 600
    save_project(project, path)
    url, name, _ = new_study(path, [parse_vary("lr=0.01,0.000001")], trials=3, sampler="random", prune="median")
    study, _, _ = st.load(st.open_storage(url), name)
    for lr in (0.01, 0.01, 0.000001):  # two good trials set the median; the third cannot learn
        study.enqueue_trial({"lr": lr})
    done = []
    loop(url, name, WorkerControl(threading.Event(), watch_parent=False),
         lambda m: done.append(m) if m["type"] == "done" else None)
    assert [d["state"] for d in done] == ["complete", "complete", "pruned"]
    assert [d["epochs"] for d in done] == [4, 4, 1]  # the bad one stopped after one epoch
    assert done[2]["reason"] == "pruned at epoch 1"
    run = json.loads((tmp_path / "tiny.runs").glob(f"*trial2/run.json").__next__().read_text())
    assert run["status"] == "finished" and run["epochs_done"] == 1 and run["sweep"]["pruned_at"] == 1
    assert run["message"].startswith("Pruned after epoch 1")


def test_a_trial_that_fails_is_recorded_with_its_reason_and_the_study_goes_on(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(tiny_project(epochs=2, momentum=0.99), path)
    url, name, _ = new_study(path, [parse_vary("lr=100,0.05"), parse_vary("c1.activation=none,relu")],
                             sampler="random", trials=2, prune="none")
    study, _, _ = st.load(st.open_storage(url), name)
    study.enqueue_trial({"lr": 100, "c1.activation": "none"})  # a linear net at lr 100: the loss goes NaN
    study.enqueue_trial({"lr": 0.05, "c1.activation": "relu"})
    done = []
    loop(url, name, WorkerControl(threading.Event(), watch_parent=False),
         lambda m: done.append(m) if m["type"] == "done" else None)
    assert [d["state"] for d in done] == ["failed", "complete"]
    assert "NaN" in done[0]["reason"] and "lower the learning rate" in done[0]["reason"]
