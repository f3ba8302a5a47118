"""The Training dock's run control: Start, Pause, Resume, Stop and the overfit check start
or steer a worker process (core/train/worker.py); a QTimer polls its queue and the
messages it sends move the progress bars, the curves and the message line.

A mixin of TrainingDock (dock.py). No torch or matplotlib import happens when this module
loads.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from PySide6.QtCore import QTimer

from ...core.blocks.spec import Fix
from ...core.analysis import Problem
from ...core.project import project_to_dict
from ...core.analysis.cost import human_duration
from ...core.train.pointer import has_checkpoint
from ...core.train.runs import new_run_dir, runs_folder


_imported = threading.Event()


def prepare_start() -> None:
    """Import what Start needs (the worker's module, multiprocessing's spawning parts) and the
    curves' matplotlib on background threads while the user reads the settings (once; returns
    at once): imported at Start, on the spawning thread, they held the interpreter lock while
    the window had its own work to do (PySide's import hook reads each new module's source)."""
    from .curves import prepare

    prepare()
    if _imported.is_set():
        return
    _imported.set()

    def load():
        import multiprocessing.connection  # noqa: F401
        import multiprocessing.queues  # noqa: F401
        import multiprocessing.synchronize  # noqa: F401

        from ...core.train import worker  # noqa: F401
        try:
            import multiprocessing.popen_spawn_posix  # noqa: F401
        except ImportError:  # Windows spawns another way
            pass
    threading.Thread(target=load, name="import-worker").start()  # not a daemon: see curves.prepare


class RunControl:
    # --- run control ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker is not None and not self.worker.finished

    def start(self) -> None:
        if self.running:
            return
        self._store()
        if not self.ready:
            return
        p = self.session.project
        # the engine makes the run folder once the data is loaded: a failed start leaves none
        run_dir = new_run_dir(runs_folder(self.session.path), p.name)
        self._launch({"project": project_to_dict(p), "run_dir": str(run_dir), "resume": False,
                      "nproc": self.form.nproc(),
                      "project_path": str(self.session.path) if self.session.path else None})

    def resume(self) -> None:
        if self.running:
            self.worker.resume()
            self._say("Resumed.")
            return
        run_dir = self._resumable()
        if run_dir is None:
            self._say("There is no stopped run to resume: press Start.", error=True)
            return
        try:
            doc = json.loads((run_dir / "project.cnnproj").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            self._say(f"Cannot resume {run_dir.name}: its project file cannot be read ({e}).", error=True)
            return
        self._launch({"project": doc, "run_dir": str(run_dir), "resume": True, "nproc": self.form.nproc(),
                      "overrides": {"epochs": self.form.epochs.value()},
                      "project_path": str(self.session.path) if self.session.path else None})

    def check_overfit(self) -> None:
        if self.running:
            return
        self._store()
        self._launch({"project": project_to_dict(self.session.project), "run_dir": None, "check": "overfit",
                      "overrides": {}}, note="Checking that the network can overfit one batch…")

    def pause(self) -> None:
        if self.running:
            self._note = None  # Start's note, still to come, would hide this one
            self.worker.pause()
            self._say("Pausing after this batch…")

    def stop(self) -> None:
        if self.running:
            self._steps = self._steps[-1:]  # stopped before Start's last steps: only the launch, which ends it
            self.worker.stop()
            self._say("Stopping after this batch; the last finished epoch is kept.")

    def _launch(self, job: dict, note: str = "Starting the training process…") -> None:
        from ...core.train.worker import start_worker

        prepare_start()  # when the dock was never shown: matplotlib loads while the worker starts
        self.live_dir = None  # the run being trained, once it has started (a check has none)
        if job.get("run_dir"):
            self.run_dir = Path(job["run_dir"])
            self.world = job.get("nproc", 1)
            if self.session.path is None and self.run_dir not in self._unsaved_runs:  # Resume: the same run
                self._unsaved_runs.append(self.run_dir)
            self.epoch_bar.setRange(0, self.form.epochs.value())
            self.epoch_bar.setValue(0)
            self.epoch_bar.setFormat("epoch %v / %m")
            self.batch_bar.setValue(0)
            self.batch_bar.setFormat("batch")  # how many is known once the data is loaded
            self.speed_label.clear()  # the last run's speed and loss are not this one's
        else:  # a check: nothing folds, the form is disabled now
            self.form.setEnabled(False)
        # Start's work is short pauses, not one long one, each on a turn of its own (a first time
        # is slow: ≈30 ms of the dock's relayout, ≈10 ms for the note's first text): the buttons now;
        # the note; the settings folding so the curves take the width; the bars and the ensemble
        # row; last the process, spawned off the UI thread (a spawning thread beside the window's
        # own work held the interpreter lock and made each ≈20 ms longer)
        self.worker = start_worker(job, background=True)
        self._note = note
        self._steps = [self._say_note] + \
            ([self._fold_running, self._show_progress] if job.get("run_dir") else []) + [self.worker.launch]
        self.next_step.start()
        self.paused = False
        self.timer.start()
        self._set_buttons()

    def _next_step(self) -> None:
        if self._steps:
            self._steps.pop(0)()
        if self._steps:
            self.next_step.start()  # after this step's relayout and painting (posted events come first)

    def _say_note(self) -> None:
        if self._note:
            self._say(self._note)

    def _fold_running(self) -> None:
        self.settings_panel.set_folded(True)
        self.form.setEnabled(False)  # folded, hidden: 2 ms; shown, every control repaints (≈30 ms cold)

    def _show_progress(self) -> None:
        self.epoch_bar.show()
        self.batch_bar.show()
        self.runs.ensemble.show()  # its room now, not when the run first appears in the table

    def _resumable(self) -> Path | None:
        candidates = []
        if self.runs.current():
            candidates.append(self.runs.current())
        if self.run_dir:
            candidates.append(self.run_dir)
        for d in candidates:
            info = d / "run.json"
            if has_checkpoint(d) and info.exists():
                try:
                    run = json.loads(info.read_text(encoding="utf-8"))
                except (OSError, ValueError):  # a damaged run.json: not resumable, not a crash
                    continue
                if run.get("status") in ("stopped", "failed", "paused", "running"):
                    return d
                # a finished run goes on only to more epochs than it was trained for
                if run.get("status") == "finished" and self.form.epochs.value() > int(run.get("epochs") or 0):
                    return d
        return None

    # --- messages from the worker ----------------------------------------------------------------
    def _poll(self) -> None:
        if self.worker is None:
            self.timer.stop()
            return
        for msg in self.worker.poll():
            self.handle(msg)

    def handle(self, msg: dict) -> None:
        t = msg.get("type")
        if t == "status":
            self._say(msg["text"])
        elif t == "started":
            self.epoch_bar.setRange(0, msg["epochs"])
            self.epoch_bar.setValue(msg["start_epoch"] - 1)
            self.curves.set_epochs(msg["epochs"])
            info = msg.get("info", {})
            self.curves.task = str(info.get("task", ""))  # names the score axis before the first epoch
            self.curves.set_history(msg.get("history", []))
            notes = " ".join(info.get("notes", []))
            data = (info.get("data_path") or {}).get("why", "")
            where = (f"in {info['world_size']} processes, each on {info.get('device')}"
                     if info.get("world_size", 1) > 1 else f"on {info.get('device')}")
            self._say(f"Training {where}, {info.get('precision')}. {data} {notes}".strip())
            self.world = info.get("world_size", 1)
            if msg.get("run_dir"):
                run_dir = self.live_dir = Path(msg["run_dir"])
                self.session.set_run(run_dir)  # the inspection panels follow it live
                # in the table and "show" at once, on the next turn: this one's work and the
                # table's new row are two short pauses
                QTimer.singleShot(0, self.runs, lambda: self.runs.refresh(select=run_dir))
        elif t == "batch":
            self.batch_bar.setFormat("batch %v / %m")
            self.batch_bar.setRange(0, msg["batches"])
            self.batch_bar.setValue(msg["batch"])
            self.epoch_bar.setValue(msg["epoch"] - 1)  # the bar fills with finished epochs...
            self.epoch_bar.setFormat(f"epoch {msg['epoch']} / %m")  # ...and names the one in progress
            self.speed_label.setText(f"epoch {msg['epoch']}/{msg['epochs']} · loss {msg['loss']:.4f} · "
                                     f"{msg['images_per_s']:,.0f} images/s · lr {msg['lr']:.3g} · ETA {human_duration(msg['eta_s'])}")
            self.curves.add_batch(msg)
        elif t == "epoch":
            self.epoch_bar.setValue(msg["epoch"])
            self.epoch_bar.setFormat("epoch %v / %m")
            self.curves.add_epoch(msg)
            live = self.live_dir
            if live:  # its files are written before the message: its table row and "show" line catch up
                QTimer.singleShot(0, self.runs, lambda: self.runs.update_run(live))
            from ...core.train.metrics import epoch_scores
            score = "".join(f", {text}" for text in epoch_scores(msg))
            self._say(f"Epoch {msg['epoch']}: validation loss {msg.get('val_loss', float('nan')):.4f}{score}.")
        elif t == "paused":
            self.paused = True
            self._say(f"Paused in epoch {msg['epoch']}: press Resume to go on, or Stop.")
        elif t == "resumed":
            self.paused = False
        elif t == "done" and msg.get("check"):
            self.timer.stop()
            good = msg["status"] == "checked" and msg.get("ok")
            self._say(("✓ " if good else "⚠ ") + msg["message"], error=not good)
            self.run_finished.emit(msg)
        elif t == "done":
            self.timer.stop()
            ok = msg["status"] == "finished"
            self.speed_label.setText(self.speed_label.text().split(" · ETA")[0])  # nothing is left to wait for
            self.epoch_bar.setFormat("epoch %v / %m")
            procs = (f" ({self.world} processes)" if getattr(self, "world", 1) > 1
                     and msg["status"] in ("finished", "stopped") else "")
            self._say(msg["message"] + procs, error=msg["status"] == "failed")
            if msg.get("fix") and msg.get("kind") in ("head", "input"):
                label = "Apply: " + ", ".join(f"{k} = {v}" for k, v in msg["fix"]["params"].items())
                self.fix = Problem("warning", msg["message"], node=msg["fix"]["node"],
                                   fix=Fix(label, "set_params", {"params": msg["fix"]["params"]}))
                self.fix_button.setText(label)
                self.fix_button.show()
            run_dir = Path(msg["run_dir"]) if msg.get("run_dir") else None
            if run_dir and (run_dir / "run.json").exists():
                self.session.set_run(run_dir)
            # a run stopped before its folder was made: the run shown before stays shown (and resumable)
            self.runs.refresh(select=run_dir if run_dir and run_dir.is_dir() else None)
            self.run_finished.emit(msg)
            if ok:
                self.batch_bar.setValue(self.batch_bar.maximum())
        self._set_buttons()

    def _set_buttons(self) -> None:
        running = self.running
        ready = getattr(self, "ready", False)
        self.start_button.setEnabled(not running and ready)
        self.pause_button.setEnabled(running and not getattr(self, "paused", False))
        self.stop_button.setEnabled(running)
        self.overfit_button.setEnabled(not running and ready)
        self.resume_button.setEnabled((running and getattr(self, "paused", False)) or
                                      (not running and self._resumable() is not None))
        if not running:  # a run's form is disabled where the dock folds it (_launch, _fold_running)
            self.form.setEnabled(True)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop a running training and wait for it (the window is closing). Hiding the dock
        does not stop anything: training runs on while its panel is closed."""
        if self.running:
            self.stop()  # the worker finishes its batch and keeps the last full epoch (Start's steps end)
            self.worker.join(timeout)
            self._poll()  # its last messages, "done" included: the dock is idle afterwards
