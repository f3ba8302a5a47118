"""The engine on CPU with tiny data: runs, resume, faults, tasks, schedules."""
from __future__ import annotations

import errno
import json
import threading

import pytest
import torch

from cnnstudio.core.train.config import ConfigError, parse_config
from cnnstudio.core.train.callbacks import Control
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.optim import Schedule
from cnnstudio.core.train.pointer import last_files, read_pointer
from cnnstudio.core.train.runs import load_run, read_metrics

from .conftest import small_project


def train(project, run_dir, **kw):
    return Trainer(project, run_dir, callbacks=kw.pop("callbacks", []), **kw).run()


def test_run_folder_has_everything_to_inspect_and_resume(tmp_path):
    result = train(small_project(), tmp_path / "run")
    assert result["status"] == "finished", result["message"]
    run = load_run(tmp_path / "run")
    assert [m["epoch"] for m in run.metrics] == [1, 2]
    assert {"train_loss", "val_loss", "val_accuracy", "lr", "seconds", "images_per_s"} <= set(run.metrics[0])
    assert run.info["status"] == "finished" and run.info["classes"] == ["circle", "square", "cross"]
    assert run.info["seed"] == 0 and "torch" in run.info["versions"] and run.info["device"].startswith("cpu")
    pointer = read_pointer(tmp_path / "run")
    assert pointer["last"] == 2 and pointer["best"] in (1, 2)
    assert all(p.exists() for p in last_files(tmp_path / "run").values())
    model, ds = run.model("best"), run.dataset()
    assert not model.training
    probs = model(ds.val.images[:5])
    assert probs.shape == (5, 3)
    acc = (model(ds.val.images).argmax(1) == ds.val.labels).float().mean().item()
    assert acc == pytest.approx(run.metrics[run.info["best"]["epoch"] - 1]["val_accuracy"], abs=1e-6)


def _stop_at(epoch, batch):
    event = threading.Event()

    class Stopper:
        def on_batch_end(self, ctx):
            if ctx.epoch == epoch and ctx.batch == batch:
                event.set()
    return event, Stopper()


def test_stop_then_resume_continues_exactly(tmp_path):
    p = small_project(training={"epochs": 3, "optimizer": "adam", "lr": 0.003, "schedule": "cosine"})
    straight = train(p, tmp_path / "a")
    assert straight["status"] == "finished"
    event, stopper = _stop_at(2, 2)
    stopped = train(p, tmp_path / "b", control=Control(stop=event), callbacks=[stopper])
    assert stopped["status"] == "stopped" and "checkpoint of epoch 1 is kept" in stopped["message"]
    assert [m["epoch"] for m in read_metrics(tmp_path / "b")] == [1]
    state_b1 = json.loads(last_files(tmp_path / "b")["state"].read_text())
    assert state_b1["epoch"] == 1
    seen = {}

    class Peek:  # the optimizer state right after resuming equals the checkpoint's
        def on_fit_start(self, ctx):
            seen["state"] = {k: v["exp_avg"].clone() for k, v in ctx.optimizer.state_dict()["state"].items()}
    resumed = train(p, tmp_path / "b", resume=True, callbacks=[Peek()])
    assert resumed["status"] == "finished", resumed["message"]
    from safetensors.torch import load_file
    saved = load_file(str(last_files(tmp_path / "a")["optimizer"]))
    assert len(seen["state"]) > 0
    a, b = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert [m["epoch"] for m in b] == [1, 2, 3]  # a continuous curve: no gap, no repeat
    for ma, mb in zip(a, b):
        assert ma["train_loss"] == pytest.approx(mb["train_loss"], rel=1e-5)
        assert ma["lr"] == pytest.approx(mb["lr"])
    wa = load_run(tmp_path / "a").model("last").state_dict()
    wb = load_run(tmp_path / "b").model("last").state_dict()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    sb = load_file(str(last_files(tmp_path / "b")["optimizer"]))
    assert saved.keys() == sb.keys() and all(torch.allclose(saved[k], sb[k], atol=1e-6) for k in saved)
    assert load_run(tmp_path / "b").info["resumed"][0]["at_epoch"] == 1


def test_nan_stops_cleanly_and_keeps_the_last_good_checkpoint(tmp_path):
    class Poison:
        def on_batch_end(self, ctx):
            if ctx.epoch == 2 and ctx.batch == 1:
                with torch.no_grad():
                    next(ctx.model.parameters()).fill_(float("nan"))
    result = train(small_project(), tmp_path / "run", callbacks=[Poison()])
    assert result["status"] == "failed" and result["kind"] == "nan"
    assert "NaN" in result["message"] and "epoch 2" in result["message"] and "learning rate" in result["message"]
    assert "checkpoint of epoch 1 is kept" in result["message"]
    run = load_run(tmp_path / "run")
    assert run.status == "failed" and [m["epoch"] for m in run.metrics] == [1]
    assert all(torch.isfinite(t).all() for t in run.model("last").state_dict().values())
    assert read_pointer(tmp_path / "run")["last"] == 1


def test_out_of_memory_says_so_and_suggests_a_batch_size(tmp_path):
    class Oom:
        def on_batch_end(self, ctx):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    result = train(small_project(), tmp_path / "run", callbacks=[Oom()])
    assert result["status"] == "failed" and result["kind"] == "oom"
    assert "Out of memory at batch size 32" in result["message"] and "Try batch size 16" in result["message"]


def test_full_disk_is_a_clear_message_and_loses_nothing(tmp_path, monkeypatch):
    from cnnstudio.core.train import runs
    real = runs.atomic_write
    calls = {"n": 0}

    def flaky(path, write):
        if str(path).endswith(".safetensors"):
            calls["n"] += 1
            if calls["n"] > 2:  # epoch 1's checkpoint is written, epoch 2's hits a full disk
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, write)
    monkeypatch.setattr(runs, "atomic_write", flaky)
    result = train(small_project(), tmp_path / "run")
    assert result["status"] == "failed" and "disk is full" in result["message"]
    assert "checkpoint of epoch 1 is kept" in result["message"]
    assert read_pointer(tmp_path / "run")["last"] == 1
    assert not [p for p in (tmp_path / "run/checkpoints").iterdir() if p.name.endswith(".tmp")]


def test_preflight_catches_a_head_that_does_not_match(tmp_path):
    result = train(small_project(classes=7), tmp_path / "run")
    assert result["status"] == "failed" and result["kind"] == "head"
    assert "gives 7 outputs" in result["message"] and "3 classes" in result["message"]
    assert result["fix"]["params"] == {"out_features": 3}
    result = train(small_project(size=28), tmp_path / "run2")
    assert result["kind"] == "input" and "[3, 28, 28]" in result["message"] and "[3, 16, 16]" in result["message"]


def test_preflight_checks_labels_against_outputs_on_a_real_batch(tmp_path):
    from cnnstudio.core.data import load_dataset
    from .conftest import SMALL_SHAPES
    ds = load_dataset(SMALL_SHAPES)
    ds.train.labels[0] = 5  # a label the 3-way head cannot produce
    result = train(small_project(), tmp_path / "run", dataset=ds)
    assert result["kind"] == "head" and "label is 5" in result["message"]


def test_overfit_one_batch():
    from cnnstudio.core.train import setup
    t = Trainer(small_project(), "/nonexistent", callbacks=[])
    t.__dict__.update(setup.prepare(t.project, {}, None, lambda m: None))
    r = setup.overfit_one_batch(t, steps=80)
    assert r["ok"] and r["last_loss"] < 0.2 * r["first_loss"]


def test_binary_head_with_sigmoid_and_box_task(tmp_path):
    ds = {"id": "shapes", "image_size": 16, "count": 200, "classes": ["circle", "square"]}
    result = train(small_project(dataset=ds, classes=1, head_activation="sigmoid"), tmp_path / "bin")
    assert result["status"] == "finished", result["message"]
    run = load_run(tmp_path / "bin")
    assert run.info["task"] == "binary" and run.info["fused_activation"] == "sigmoid"
    out = run.model()(run.dataset().val.images[:8])
    assert ((out >= 0) & (out <= 1)).all()  # the saved model keeps its sigmoid
    box = {"id": "shapes", "image_size": 16, "count": 200, "task": "box", "augment": {"flip": True, "translation": 0.1}}
    result = train(small_project(dataset=box, classes=4, training={"optimizer": "adam", "lr": 0.003}), tmp_path / "box")
    assert result["status"] == "finished", result["message"]
    m = read_metrics(tmp_path / "box")
    assert "val_iou" in m[-1] and 0 <= m[-1]["val_iou"] <= 1 and "val_accuracy" not in m[-1]


def test_schedules_and_settings():
    cfg = parse_config({"epochs": 10, "lr": 0.1, "schedule": "one-cycle"})
    s = Schedule(cfg, 100)
    lrs = [s.lr_at(1 + i // 100, i) for i in range(1000)]
    assert lrs[0] == pytest.approx(0.1 / 25) and max(lrs) == pytest.approx(0.1, rel=1e-3) and lrs[-1] < 1e-3
    s = Schedule(parse_config({"epochs": 4, "lr": 0.1, "schedule": "step", "step_size": 2}), 10)
    assert [s.lr_at(e, 0) for e in (1, 2, 3, 4)] == pytest.approx([0.1, 0.1, 0.01, 0.01])
    s = Schedule(parse_config({"lr": 0.1, "schedule": "plateau", "plateau_patience": 1}), 10)
    for v in (1.0, 0.9, 0.95, 0.95):
        s.epoch_end(v)
    assert s.lr_at(5, 0) == pytest.approx(0.01)
    with pytest.raises(ConfigError, match="batch_size"):
        parse_config({"batch_size": 0})
    with pytest.raises(ConfigError, match="nesterov"):
        parse_config({"optimizer": "adam", "nesterov": True})
    with pytest.raises(ConfigError, match="optimizer"):
        parse_config({"optimizer": "lbfgs"})


def test_early_stopping_ends_the_run(tmp_path):
    result = train(small_project(training={"epochs": 30, "lr": 1e-7, "early_stopping": {"patience": 2, "min_delta": 0.01}}), tmp_path / "r")
    assert result["status"] == "finished" and "early" in result["message"]
    assert len(read_metrics(tmp_path / "r")) == 3  # best at epoch 1, then 2 epochs without improving


def test_a_failing_epoch_timeline_never_costs_the_run(tmp_path, monkeypatch):
    from cnnstudio.core.train import timeline

    def disk_full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(timeline, "snapshot", disk_full)  # the real default callback, failing
    result = Trainer(small_project(), tmp_path / "run").run()
    assert result["status"] == "finished", result["message"]
    notes = load_run(tmp_path / "run").info["notes"]
    assert any("TimelineCallback was switched off" in n and "No space left" in n for n in notes), notes


@pytest.mark.parametrize("optimizer, extra", [("sgd", {"nesterov": True, "momentum": 0.9}), ("rmsprop", {"lr": 0.001}),
                                              ("adamw", {"weight_decay": 0.01, "lr": 0.003}),
                                              ("adam", {"schedule": "plateau", "lr": 0.003}),
                                              ("adagrad", {"lr": 0.05}), ("adadelta", {"lr": 1.0})])
def test_every_optimizer_learns(tmp_path, optimizer, extra):
    training = {"epochs": 3, "optimizer": optimizer, **extra}
    result = train(small_project(training=training), tmp_path / "r")
    assert result["status"] == "finished", result["message"]
    m = read_metrics(tmp_path / "r")
    assert m[-1]["train_loss"] < m[0]["train_loss"]
    assert load_run(tmp_path / "r").info["training"]["optimizer"] == optimizer


def test_mixed_precision_on_cpu_trains_in_fp32_and_says_so(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = train(small_project(training={"epochs": 1, "precision": "fp16"}), tmp_path / "r")
    info = load_run(tmp_path / "r").info
    assert result["status"] == "finished" and info["precision"] == "fp32" and not info["channels_last"]
    assert any("needs a CUDA GPU" in n for n in info["notes"])


def test_a_checkpoint_cut_off_mid_write_is_refused_not_resumed_wrongly(tmp_path):
    """The weights of epoch 2 were written, then the process died before the state said so."""
    import shutil
    train(small_project(training={"epochs": 1}), tmp_path / "one")
    train(small_project(training={"epochs": 2}), tmp_path / "two")
    run = tmp_path / "one"
    shutil.copy(last_files(tmp_path / "two")["weights"], last_files(run)["weights"])
    result = train(small_project(training={"epochs": 3}), run, resume=True)
    assert result["status"] == "failed" and result["kind"] == "checkpoint"
    assert "cut off while being written" in result["message"] and "best weights and curves are kept" in result["message"]
    assert read_metrics(run)  # nothing lost


def test_one_writer_per_run_folder(tmp_path):
    import os
    import subprocess
    import sys
    run = tmp_path / "run"
    assert train(small_project(training={"epochs": 1}), run)["status"] == "finished"
    assert not (run / ".lock").exists()  # released when the run ends
    code = (f"import time; from cnnstudio.core.train.lock import lock_run; lock_run({str(run)!r}); "
            "print('locked', flush=True); time.sleep(30)")
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "locked"  # another live process is training it
        before = (run / "run.json").read_text()
        result = train(small_project(training={"epochs": 2}), run, resume=True)
        assert result["status"] == "failed" and result["kind"] == "busy"
        assert f"being trained by another process (pid {other.pid})" in result["message"]
        assert (run / "run.json").read_text() == before and (run / ".lock").read_text() == str(other.pid)
    finally:
        other.kill()
        other.wait()
    # that process is gone (killed): the system let its lock go and the resume proceeds
    result = train(small_project(training={"epochs": 2}), run, resume=True)
    assert result["status"] == "finished", result["message"]
    assert [m["epoch"] for m in read_metrics(run)] == [1, 2] and not (run / ".lock").exists()
