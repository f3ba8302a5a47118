"""The Training dock: dataset and preview, hyperparameters, Start / Pause / Resume / Stop,
progress and live curves, run history and comparison.

Training runs in a worker process (core/train/worker.py); this dock only polls its queue
from a QTimer and draws. No torch or matplotlib import happens when this module loads.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QBoxLayout, QDockWidget, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea,
                               QSizePolicy, QVBoxLayout, QWidget)

from ...core.blocks.spec import Fix
from ...core.analysis import Problem
from ...core.project import project_to_dict
from ...core.analysis.cost import human_duration
from ...core.data import DATASETS
from ...core.data.budget import choose
from ...core.data.registry import check_dataset_spec
from ...core.train.pointer import has_checkpoint
from ...core.train.runs import list_runs, new_run_dir, read_metrics, runs_folder
from .curves import CurvesView
from .preview import DatasetPreview
from .runs_box import RunsBox
from .settings_form import SettingsForm

POLL_MS = 50


class TrainingDock(QDockWidget):
    run_finished = Signal(dict)  # the worker's "done" message

    def __init__(self, session, parent=None):
        super().__init__("Training", parent)
        self.setObjectName("TrainingDock")
        self.session = session
        self.worker = None
        self.run_dir: Path | None = None
        self.fix: dict | None = None

        self.form = SettingsForm()
        self.preview = DatasetPreview()
        self.preview.spec_source = lambda: self.form.dataset_dict(self.session.project.dataset)
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.data_label = QLabel()  # in memory or streamed, and the memory budget behind the choice
        self.data_label.setWordWrap(True)
        self.fix_button = QPushButton()
        self.fix_button.hide()
        self.fix_button.clicked.connect(self._apply_fix)

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.overfit_button = QPushButton("Can it overfit one batch?")
        self.overfit_button.setToolTip("Trains a copy of the network on 16 images: a healthy network and head "
                                       "drive the loss near zero in seconds.")
        self.overfit_button.clicked.connect(self.check_overfit)
        for b, fn in ((self.start_button, self.start), (self.pause_button, self.pause),
                      (self.resume_button, self.resume), (self.stop_button, self.stop)):
            b.clicked.connect(fn)
        self.epoch_bar, self.batch_bar = QProgressBar(), QProgressBar()
        self.epoch_bar.setFormat("epoch %v / %m")
        self.batch_bar.setFormat("batch %v / %m")
        self.speed_label = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.curves = CurvesView()
        self.runs = RunsBox(self._project_runs)
        self.runs.chosen.connect(self._show_run)
        self.runs.experiments.horizontalHeader().sectionResized.connect(lambda *_: self._fit_columns())
        self.runs.refused.connect(lambda text: self._say(text, error=True))
        self.runs.experiments.overlays_changed.connect(self.curves.set_overlays)

        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(b)
        # run control and status on top, always visible; below, settings beside the curves when
        # the dock is wide (docked at the bottom) and above them when it is tall (docked at a side)
        top = QVBoxLayout()
        top.addLayout(buttons)
        for w in (self.epoch_bar, self.batch_bar, self.speed_label, self.message):
            top.addWidget(w)
        settings = QWidget()
        sl = QVBoxLayout(settings)
        sl.setContentsMargins(0, 0, 0, 0)
        for w in (self.check_label, self.data_label, self.fix_button, self.overfit_button, self.form, self.preview):
            sl.addWidget(w)
        sl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(settings)
        scroll.setMinimumWidth(340)
        # its preferred height must not count: the dock's word-wrapped labels make its scroll area
        # size the panel by preferred heights, and this one alone pushed the run table's buttons
        # below a 1280×800 window's edge; it takes what is left and scrolls itself
        policy = scroll.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Ignored)
        scroll.setSizePolicy(policy)
        self.settings_scroll = scroll
        left = QWidget()  # what to train and what was trained; the curves get a column of their own
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(scroll, 1)
        ll.addWidget(self.runs)
        self.columns = QBoxLayout(QBoxLayout.LeftToRight)
        self.columns.addWidget(left, 2)
        self.columns.addWidget(self.curves, 3)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.addLayout(top)
        lay.addLayout(self.columns, 1)
        self.setWidget(body)

        self.timer = QTimer(self, interval=POLL_MS, timeout=self._poll)
        self.form.changed.connect(self._store)
        self.form.dataset_changed.connect(self._check)
        self.form.dataset_changed.connect(self._data_note)
        session.project_replaced.connect(self._load_project)
        session.analysis_changed.connect(self._follow_project)
        session.path_changed.connect(lambda *_: self.runs.refresh())
        self._load_project()

    # --- project ↔ form ------------------------------------------------------------------------
    def _load_project(self) -> None:
        """A project was opened or created: its settings, its runs, nothing of the last one's."""
        p = self.session.project
        if not self.running:
            self.run_dir = None  # Resume must never continue another project's run
            self.runs.opened = []
        self.form.load(p.dataset, p.training)
        self._shown = copy.deepcopy((p.dataset, p.training))
        self.fix = None
        for bar in (self.epoch_bar, self.batch_bar):
            bar.reset()
        self.epoch_bar.setFormat("epoch %v / %m")
        self.speed_label.clear()
        self._say("")
        self.curves.set_overlays([])
        self._data_note()
        self.runs.refresh()
        if self.runs.show_newest():  # the newest run of this project, its curves and its weights in the panels
            self._show_run()
        else:
            self.curves.set_epochs(0)
            self.curves.set_history([])
            self.session.set_run(None)
        self._check()

    def _follow_project(self) -> None:
        """After every edit, undo or redo: show the project's settings if they changed under the form."""
        p = self.session.project
        if (p.dataset, p.training) != self._shown:
            self.form.load(p.dataset, p.training)
            self._shown = copy.deepcopy((p.dataset, p.training))
        self._check()

    def _data_note(self) -> None:
        """In memory or streamed, and the budget behind it (lists an image folder: only when the dataset
        settings change, not on every edit of the network)."""
        spec = self.form.dataset_dict(self.session.project.dataset)
        self.data_label.setText(choose(spec)["why"] if not check_dataset_spec(spec) else "")

    def _store(self) -> None:
        """Settings are part of the project file: keep its dicts in step with the form (an undo step)."""
        p = self.session.project
        dataset, training = self.form.dataset_dict(p.dataset), self.form.training_dict(p.training)
        self._shown = copy.deepcopy((dataset, training))
        self.session.set_settings(dataset, training)
        self._check()

    def _check(self, *_) -> None:
        """Input shape and head against the chosen dataset, live, without loading it."""
        spec = self.session.project.dataset
        analysis = self.session.top_analysis  # the project's network, also while editing inside a block
        graph = self.session.project.graph
        problems = [p for p in analysis.problems if p.code.startswith("dataset")]  # as the canvas shows them
        self.fix = None
        msg = ""
        if not graph.nodes:
            msg = "The canvas is empty: build a network first (File → New… offers templates)."
        elif not spec:
            implied = _implied_dataset(graph)
            msg = "Choose a dataset to train on." + (f" {DATASETS[implied].name} fits the Input." if implied else "")
            if implied:
                self.fix = Problem("warning", msg, fix=Fix(f"Use {DATASETS[implied].name}", "set_dataset",
                                                            {"dataset": {"id": implied}}))
        elif problems:
            msg = problems[0].message
            self.fix = problems[0] if problems[0].fix else None
        elif not analysis.ok:
            msg = f"The network has {len(analysis.errors)} error(s): fix them on the canvas before training."
        self.check_label.setText(f"<span style='color:#b9770e'>⚠ {msg}</span>" if msg else
                                 "<span style='color:#1e8449'>✓ network and dataset fit together</span>")
        self.ready = bool(graph.nodes) and bool(spec) and analysis.ok
        self.fix_button.setVisible(self.fix is not None)
        if self.fix:
            self.fix_button.setText(self.fix.fix.label)
        self._set_buttons()

    def _apply_fix(self) -> None:
        if self.fix and (self.fix.node is None or self.fix.node in self.session.graph.nodes):
            self.session.apply_fix(self.fix)
        self._check()

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
            self.worker.pause()
            self._say("Pausing after this batch…")

    def stop(self) -> None:
        if self.running:
            self.worker.stop()
            self._say("Stopping after this batch; the last finished epoch is kept.")

    def _launch(self, job: dict, note: str = "Starting the training process…") -> None:
        from ...core.train.worker import start_worker
        from .curves import prepare

        prepare()  # the curves' matplotlib loads while the worker starts, off the UI thread
        if job.get("run_dir"):
            self.run_dir = Path(job["run_dir"])
            self.epoch_bar.setRange(0, self.form.epochs.value())
            self.epoch_bar.setValue(0)
            self.epoch_bar.setFormat("epoch %v / %m")
            self.batch_bar.setValue(0)
        self._say(note)
        self.worker = start_worker(job)
        self.paused = False
        self.timer.start()
        self._set_buttons()

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
                    status = json.loads(info.read_text(encoding="utf-8")).get("status")
                except (OSError, ValueError):  # a damaged run.json: not resumable, not a crash
                    continue
                if status in ("stopped", "failed", "paused", "running", "finished"):
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
            self.curves.set_history(msg.get("history", []))
            info = msg.get("info", {})
            notes = " ".join(info.get("notes", []))
            data = (info.get("data_path") or {}).get("why", "")
            where = (f"in {info['world_size']} processes, each on {info.get('device')}"
                     if info.get("world_size", 1) > 1 else f"on {info.get('device')}")
            self._say(f"Training {where}, {info.get('precision')}. {data} {notes}".strip())
            if msg.get("run_dir"):
                self.session.set_run(Path(msg["run_dir"]))  # the inspection panels follow it live
        elif t == "batch":
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
            score = (f", validation accuracy {msg['val_accuracy']:.2%}" if "val_accuracy" in msg else
                     f", validation IoU {msg['val_iou']:.3f}" if "val_iou" in msg else "")
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
            self._say(msg["message"], error=msg["status"] == "failed")
            if msg.get("fix") and msg.get("kind") in ("head", "input"):
                label = "Apply: " + ", ".join(f"{k} = {v}" for k, v in msg["fix"]["params"].items())
                self.fix = Problem("warning", msg["message"], node=msg["fix"]["node"],
                                   fix=Fix(label, "set_params", {"params": msg["fix"]["params"]}))
                self.fix_button.setText(label)
                self.fix_button.show()
            run_dir = Path(msg["run_dir"]) if msg.get("run_dir") else None
            if run_dir and (run_dir / "run.json").exists():
                self.session.set_run(run_dir)
            self.runs.refresh(select=run_dir)
            self.run_finished.emit(msg)
            if ok:
                self.batch_bar.setValue(self.batch_bar.maximum())
        self._set_buttons()

    def _say(self, text: str, error: bool = False) -> None:
        color = "#c0392b" if error else "palette(text)"
        self.message.setText(f"<span style='color:{color}'>{text}</span>")

    def _set_buttons(self) -> None:
        running = self.running
        ready = getattr(self, "ready", False)
        self.start_button.setEnabled(not running and ready)
        self.pause_button.setEnabled(running and not getattr(self, "paused", False))
        self.stop_button.setEnabled(running)
        self.overfit_button.setEnabled(not running and ready)
        self.resume_button.setEnabled((running and getattr(self, "paused", False)) or
                                      (not running and self._resumable() is not None))
        self.form.setEnabled(not running)

    # --- history ---------------------------------------------------------------------------------
    def _project_runs(self) -> list:
        if self.session.path:
            return list_runs(runs_folder(self.session.path))
        return list_runs(runs_folder(None)) if self.run_dir else []

    def _show_run(self, *_) -> None:
        d = self.runs.current()
        if not d or self.running:
            return
        rows = read_metrics(d)
        self.curves.set_epochs(len(rows))
        self.curves.set_history(rows)
        self.session.set_run(d)
        self._set_buttons()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        wide = self.width() > 1.1 * self.height() and self.width() > 760
        self.columns.setDirection(QBoxLayout.LeftToRight if wide else QBoxLayout.TopToBottom)
        # beside each other the curves get the room; stacked, the settings keep enough height to
        # be usable (they come first; the dock scrolls if it is shorter than that)
        # the left column as wide as the experiment table needs (up to 65 %), at least 40 %
        table = self.runs.experiments
        need = table.natural_width() + table.verticalScrollBar().sizeHint().width() + 64
        left = min(65, max(40, round(100 * need / max(self.width(), 1))))
        self.columns.setStretch(0, left if wide else 3)
        self.columns.setStretch(1, 100 - left if wide else 2)
        self.settings_scroll.setMinimumHeight(0 if wide else 300)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop a running training and wait for it (the window is closing). Hiding the dock
        does not stop anything: training runs on while its panel is closed."""
        if self.running:
            self.worker.stop()  # the worker finishes its batch and keeps the last full epoch
            self.worker.join(timeout)
            self._poll()  # its last messages, "done" included: the dock is idle afterwards


def _implied_dataset(graph) -> str | None:
    """The dataset that needs no download and whose images are exactly the Input's shape."""
    shapes = [n.params.get("shape") for n in graph.nodes.values() if n.type == "Input"]
    for info in DATASETS.values():
        if len(shapes) == 1 and info.source == "built-in" and info.shape == shapes[0]:
            return info.id
    return None
