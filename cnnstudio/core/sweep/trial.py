"""One trial: its parameters applied to the project, checked, and trained as an ordinary run
through the engine; pruning and the run's sweep record happen in a callback."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

from .apply import apply_params
from .launched import TrialEnded, record_sweep, train_launched
from .score import OBJECTIVE, metric_of
from .score import value as score

INVALID_KINDS = ("network", "head", "input")  # the engine's reasons that mean "this combination cannot be a network"


class SweepCallback:
    """Engine callback: records the trial in run.json, reports each epoch to Optuna and stops a
    trial its pruner gives up on (the engine ends the run after that epoch)."""

    def __init__(self, trial, record: dict, prune: bool, on_epoch):
        self.trial, self.record, self.prune, self.on_epoch = trial, record, prune, on_epoch
        self.pruned_at = None

    def on_fit_start(self, ctx):
        ctx.trainer.info["sweep"] = self.record

    def on_epoch_end(self, ctx):
        value = score(ctx.metrics)
        self.on_epoch(ctx.metrics)
        if not self.prune or value is None:
            return
        self.trial.report(value, ctx.epoch)
        if self.trial.should_prune():
            self.pruned_at = ctx.epoch
            ctx.trainer.info["sweep"] = {**self.record, "pruned_at": ctx.epoch}
            ctx.should_stop = True
            ctx.stop_reason = f"Pruned after epoch {ctx.epoch}: the experiment's other trials were clearly better here."


class Heartbeat:
    """Tells the storage this trial's process is alive, so another worker does not rerun it."""

    def __init__(self, storage, trial_id: int, every_s: float):
        self._stop = threading.Event()
        beat = getattr(storage, "record_heartbeat", None)

        def loop():
            while beat and not self._stop.wait(every_s):
                try:
                    beat(trial_id)
                except Exception:  # noqa: BLE001 - a missed beat is retried; the trial goes on
                    pass
        if beat:
            beat(trial_id)
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()


class DatasetCache:
    """The dataset a worker's last trial trained on, kept: the next trial with the same data
    settings (a sweep over the network or the optimiser) starts on it instead of loading or
    generating it again (Shapes, 1,200 images: 15 % of a three-epoch trial's time)."""

    def __init__(self):
        self.key, self.dataset = None, None

    @staticmethod
    def _key(project) -> str:
        return json.dumps([project.dataset, project.training.get("device")], sort_keys=True, default=str)

    def get(self, project):
        if self.dataset is None or self._key(project) != self.key:
            self.key, self.dataset = None, None  # let it go before the trial loads its own
            return None
        return replace(self.dataset, spec=dict(self.dataset.spec))  # a trial's own copy: the engine sets its task

    def keep(self, project, trainer) -> None:
        dataset = getattr(trainer, "dataset", None)
        if dataset is not None and (trainer.info.get("data_path") or {}).get("path") == "memory":  # not streamed
            self.key, self.dataset = self._key(project), dataset


def suggest(trial, dims) -> dict:
    out = {}
    for d in dims:
        if d.choices is not None:
            out[d.name] = trial.suggest_categorical(d.name, list(d.choices))
        elif d.is_int:
            out[d.name] = trial.suggest_int(d.name, d.low, d.high, log=d.log)
        else:
            out[d.name] = trial.suggest_float(d.name, d.low, d.high, log=d.log)
    return out


def run_trial(study, trial, project, dims, settings, runs: Path, control, send, data: DatasetCache | None = None) -> dict:
    """Train `trial` and tell Optuna how it went. → the finished-trial message."""
    from ..analysis import analyze
    from ..train.callbacks import default_callbacks
    from ..train.engine import Trainer
    from ..train.runs import new_run_dir

    from .study import HEARTBEAT_S
    params = suggest(trial, dims)
    trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid()})
    beat = Heartbeat(study._storage, trial._trial_id, HEARTBEAT_S)
    msg = {"trial": trial.number, "params": params, "run": None, "epochs": 0}
    try:
        candidate = apply_params(project, params)
        analysis = analyze(candidate.graph)
        costs = {"params": analysis.total("params") if analysis.ok else None,
                 "macs": analysis.total("macs") if analysis.ok else None}
        for k, v in costs.items():
            if v is not None:
                trial.set_user_attr(k, v)
        if not analysis.ok:
            return _tell(study, trial, msg, "pruned", reason="invalid: " + analysis.errors[0].message)
        old = trial.user_attrs.get("run")  # a rerun continues its run folder, when it is on this machine
        resume = bool(old) and (Path(old) / "run.json").is_file()
        run_dir = Path(old) if resume else new_run_dir(runs, f"{settings['study']}-trial{trial.number}")
        trial.set_user_attr("run", str(run_dir))
        msg["run"] = str(run_dir)
        send({"type": "started", **msg, "resumed": resume})
        record = {"study": settings["study"], "trial": trial.number, "params": params}
        prune = settings["prune"] != "none" and len(settings["objectives"]) == 1
        on_epoch = lambda row: send({"type": "epoch", "trial": trial.number, "epochs_total": epochs, **row})  # noqa: E731
        epochs = settings.get("epochs") or candidate.training.get("epochs", 10)
        if settings.get("nproc", 1) > 1:
            return _run_launched(study, trial, msg, candidate, run_dir, resume, settings, record, prune, control,
                                 on_epoch, costs)
        cb = SweepCallback(trial, record, prune, on_epoch)
        overrides = {"cpu_threads": 1, "report_hz": 0.2}
        if settings.get("epochs"):
            overrides["epochs"] = settings["epochs"]
        path = settings.get("project_path")
        trainer = Trainer(candidate, run_dir, overrides=overrides, resume=resume,
                          callbacks=default_callbacks() + [cb], control=control,
                          project_path=path if path and Path(path).is_file() else None,
                          dataset=data.get(candidate) if data else None)
        t0 = time.perf_counter()
        result = trainer.run()
        if data:
            data.keep(candidate, trainer)
        msg.update(epochs=result["epochs_done"], seconds=round(time.perf_counter() - t0, 2))
        trial.set_user_attr("epochs", result["epochs_done"])
        if result["status"] == "stopped":
            return _tell(study, trial, msg, "interrupted", reason=result["message"])
        if result["status"] != "finished":
            state = "pruned" if result.get("kind") in INVALID_KINDS else "failed"
            return _tell(study, trial, msg, state, reason=("invalid: " if state == "pruned" else "") + result["message"])
        if cb.pruned_at is not None:
            return _tell(study, trial, msg, "pruned", reason=f"pruned at epoch {cb.pruned_at}")
        best = _best(trial, msg, trainer.history)
        if best is None and OBJECTIVE in settings["objectives"]:
            return _tell(study, trial, msg, "failed", reason="no validation score: the dataset has no validation split")
        costs[OBJECTIVE], costs["latency"] = best, None
        if "latency" in settings["objectives"]:
            costs["latency"] = latency_ms(trainer)
            trial.set_user_attr("latency", costs["latency"])
        return _tell(study, trial, msg, "complete", values=[costs[o] for o in settings["objectives"]])
    except TrialEnded:
        _tell(study, trial, msg, "interrupted", reason="interrupted: its worker was ended")
        raise
    except BaseException:
        if trial.number is not None:
            _tell(study, trial, msg, "failed", reason="the worker stopped")
        raise
    finally:
        beat.stop()


def _run_launched(study, trial, msg, candidate, run_dir, resume, settings, record, prune, control, on_epoch, costs):
    """The trial in settings["nproc"] processes (launched.py); told to Optuna as run_trial tells its own."""
    from ..train.runs import read_metrics
    pruned_at = []

    def epoch(row):  # what SweepCallback does in process, from rank 0's message
        on_epoch(row)
        value = score(row)
        if prune and value is not None:
            trial.report(value, row["epoch"])
            if trial.should_prune():
                pruned_at.append(row["epoch"])
        return bool(pruned_at)
    t0 = time.perf_counter()
    result = train_launched(candidate, run_dir, resume, settings, control, epoch)
    pruned_at = pruned_at[0] if pruned_at else None
    record_sweep(run_dir, {**record, **({"pruned_at": pruned_at} if pruned_at is not None else {})})
    msg.update(epochs=result.get("epochs_done", 0), seconds=round(time.perf_counter() - t0, 2))
    trial.set_user_attr("epochs", msg["epochs"])
    if pruned_at is not None and not control.stop_requested():
        return _tell(study, trial, msg, "pruned", reason=f"pruned at epoch {pruned_at}")
    if result["status"] == "stopped":
        return _tell(study, trial, msg, "interrupted", reason=result["message"])
    if result["status"] != "finished":
        state = "pruned" if result.get("kind") in INVALID_KINDS else "failed"
        return _tell(study, trial, msg, state, reason=("invalid: " if state == "pruned" else "") + result["message"])
    best = _best(trial, msg, read_metrics(run_dir))
    if best is None and OBJECTIVE in settings["objectives"]:
        return _tell(study, trial, msg, "failed", reason="no validation score: the dataset has no validation split")
    costs[OBJECTIVE], costs["latency"] = best, None  # --nproc refuses the latency objective (setup.py)
    return _tell(study, trial, msg, "complete", values=[costs[o] for o in settings["objectives"]])


def _best(trial, msg, history):
    """The trial's best validation score; what it is (accuracy, mAP, IoU) kept with the trial."""
    metric = metric_of(history)
    if metric:
        trial.set_user_attr("metric", metric)
        msg["metric"] = metric
    return max((score(r) for r in history if score(r) is not None), default=None)


def latency_ms(trainer, repeats: int = 20) -> float:
    """Milliseconds for one image through the trained network on its device (median of `repeats`)."""
    import torch
    net, x = trainer.net.eval(), trainer.dataset.val.head(1)[0] if len(trainer.dataset.val) else trainer.dataset.train.head(1)[0]
    times = []
    with torch.no_grad():
        for _ in range(repeats + 3):
            t = time.perf_counter()
            net(x)
            if x.is_cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
    return round(sorted(times[3:])[repeats // 2] * 1000, 4)


def _tell(study, trial, msg, state, values=None, reason=None) -> dict:
    from optuna.trial import TrialState
    if reason:
        trial.set_user_attr("reason", reason)
    optuna_state = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED}.get(state, TrialState.FAIL)
    study.tell(trial, values if state == "complete" else None, state=optuna_state, skip_if_finished=True)
    if state == "interrupted":  # run again on resume, continuing its run folder
        from optuna.storages import RetryHeartbeatStaleTrialCallback
        RetryHeartbeatStaleTrialCallback(max_retry=None, inherit_intermediate_values=True)(
            study, study._storage.get_trial(trial._trial_id))
    return {"type": "done", **msg, "state": state, "values": values, "reason": reason}
