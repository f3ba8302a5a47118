"""A worker: one process that takes the study's next trial, trains it, and repeats until the
study has its trials. `cnnstudio sweep` starts K of them; `--join` starts more, anywhere."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

POLL_S = 0.5  # while the last trials run elsewhere: how often to look for one to rerun


class WorkerControl:
    """The engine's stop request: the sweep asked, or (`watch_parent`) the sweep that started this
    worker is gone (killed), so no trial trains on unwatched."""

    def __init__(self, stop, watch_parent: bool = True, wake=None):
        self.stop, self.parent = stop, os.getppid() if watch_parent else None
        self.wake = wake  # set by each worker of this sweep when it has told a trial's end

    def stop_requested(self) -> bool:
        return self.stop.is_set() or (self.parent is not None and os.getppid() != self.parent)

    def pause_requested(self) -> bool:
        return False


def main(url: str, name: str, queue, stop, runs_here: str | None = None, wake=None) -> None:
    """Process entry (spawned): Ctrl-C belongs to the sweep, which sets `stop`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    send = queue.put
    try:
        loop(url, name, WorkerControl(stop, wake=wake), send, runs_here)
    except Exception as e:  # noqa: BLE001 - the sweep prints it; the study keeps what is done
        send({"type": "error", "message": f"{e.__class__.__name__}: {e}"})


def loop(url, name, control, send, runs_here=None) -> None:
    import torch
    from optuna.storages import fail_stale_trials

    from ..project import parse_project

    from . import study as st
    from .trial import DatasetCache, run_trial
    torch.set_num_threads(1)
    storage = st.open_storage(url)
    study, settings, dims = st.load(storage, name)
    project = parse_project(settings["project"], f"study {name}")
    runs = Path(runs_here or settings["runs"])
    data = DatasetCache()
    wake = getattr(control, "wake", None)
    while not control.stop_requested():
        if wake is not None:
            wake.clear()  # before counting: a trial that ends after the count wakes the wait below
        st.fail_dead_local(study)
        fail_stale_trials(study)
        with st.slot_lock(storage, url):
            count = st.tally(study)
            trial = study.ask() if count["waiting"] or count["done"] + count["running"] < settings["trials"] else None
        if trial is None:
            if not count["running"]:
                return
            # The last trials run elsewhere: look again when this sweep's other worker ends one (the
            # sweep ends with its last worker: no poll's delay), or after POLL_S to rerun one whose
            # worker (maybe on another machine) died.
            wake.wait(POLL_S) if wake is not None else time.sleep(POLL_S)
            continue
        send(run_trial(study, trial, project, dims, settings, runs, control, send, data))
        if wake is not None:
            wake.set()
