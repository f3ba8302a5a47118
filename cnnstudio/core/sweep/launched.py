"""A trial trained data-parallel (`cnnstudio sweep --nproc N`): the same launch as `cnnstudio
train --nproc N` (train/launch.py), so its run folder is an ordinary N-process run. Rank 0's
epoch messages come back through the launcher to `on_epoch` (trial.py reports them to Optuna); a pruned
trial is stopped through the launcher's stop request (a moment later: it may finish the epoch
under way)."""
from __future__ import annotations

import os
import signal
from pathlib import Path


class TrialEnded(SystemExit):
    """The worker was told to end now (SIGTERM: a second Ctrl-C): the trial is run again on resume,
    and the worker exits quietly (a SystemExit)."""


class _Control:
    """The launcher's stop request: the sweep's, or the pruner's."""

    def __init__(self, control):
        self.control, self.pruned = control, False

    def stop_requested(self) -> bool:
        return self.pruned or self.control.stop_requested()

    def pause_requested(self) -> bool:
        return False


def train_launched(candidate, run_dir: Path, resume: bool, settings: dict, control, on_epoch):
    """Train `candidate` in settings["nproc"] processes; `on_epoch(row)` → True to prune the trial
    (asked once per epoch, until it says so). → the launcher's "done" message."""
    from ..project import save_project
    from ..train.launch import Launch
    control = _Control(control)

    def report(msg):
        if msg.get("type") == "epoch" and not control.pruned:
            control.pruned = bool(on_epoch(msg))

    # The candidate as a project file beside the study's project, so relative image folders and
    # weights resolve as they do for `cnnstudio train PROJECT` (a joined machine without it: the runs folder).
    home = Path(settings.get("project_path") or "")
    folder = home.parent if home.is_file() else run_dir.parent
    path = folder / f".{run_dir.name}.{os.getpid()}.cnnproj"
    save_project(candidate, path)
    argv = [str(path), "--resume" if resume else "--out", str(run_dir)]
    if settings.get("epochs"):
        argv += ["--epochs", str(settings["epochs"])]
    launch = Launch(argv, settings["nproc"], run_dir)

    def ended(*_):
        raise TrialEnded()
    previous = signal.signal(signal.SIGTERM, ended)  # Launch.run's finally then ends every rank
    try:
        return launch.run(report, control)
    finally:
        signal.signal(signal.SIGTERM, previous)
        path.unlink(missing_ok=True)


def record_sweep(run_dir: Path, sweep: dict) -> None:
    """The trial's sweep record in its run.json (the in-process trial writes it through a callback)."""
    import json

    from ..train.runs import DiskError, write_json
    try:
        info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        write_json(run_dir / "run.json", {**info, "sweep": sweep})
    except (OSError, ValueError, DiskError):
        pass
