"""A worker keeps its last trial's dataset: trials with the same data settings load it once,
and train exactly as a trial that loads its own; a trial that varies the data loads it anew."""
from __future__ import annotations

import json
import threading

import cnnstudio.core.data as data
from cnnstudio.core import load_project, save_project
from cnnstudio.core.sweep.apply import apply_params
from cnnstudio.core.sweep.setup import new_study
from cnnstudio.core.sweep.space import parse_vary
from cnnstudio.core.sweep.worker import WorkerControl, loop
from cnnstudio.core.train.engine import Trainer

from .conftest import tiny_project


def test_trials_on_the_same_data_load_it_once_and_train_alike(tmp_path, monkeypatch):
    path = tmp_path / "tiny.cnnproj"
    save_project(tiny_project(epochs=2), path)
    url, name, _ = new_study(path, [parse_vary("lr=0.05,0.2"), parse_vary("augment.flip=false,true")],
                             sampler="grid", seed=0, prune="none")
    loads, real = [], data.load_dataset
    monkeypatch.setattr(data, "load_dataset", lambda spec, **kw: loads.append(spec) or real(spec, **kw))
    done = []
    loop(url, name, WorkerControl(threading.Event(), watch_parent=False),
         lambda m: done.append(m) if m["type"] == "done" else None)
    assert [d["state"] for d in done] == ["complete"] * 4
    flips = [d["params"]["augment.flip"] for d in done]
    assert len(loads) == 1 + sum(a != b for a, b in zip(flips, flips[1:]))  # anew only when the data changes
    kept = [d for d, before in zip(done[1:], flips) if d["params"]["augment.flip"] == before]
    assert kept  # the grid's order (seed 0) has two trials in a row on the same data
    last = kept[-1]  # trained on the dataset the trial before kept: as it would on its own
    fresh = Trainer(apply_params(load_project(path), last["params"]), tmp_path / "fresh",
                    overrides={"cpu_threads": 1, "report_hz": 0.2}, project_path=path)
    assert fresh.run()["status"] == "finished"
    rows = [json.loads(line) for line in open(f"{last['run']}/metrics.jsonl")]
    assert [(r["train_loss"], r["val_accuracy"]) for r in rows] == [(r["train_loss"], r["val_accuracy"]) for r in fresh.history]
