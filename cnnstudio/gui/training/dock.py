"""The Training dock: dataset and preview, hyperparameters, Start / Pause / Resume / Stop,
progress and live curves, run history and comparison.

Training runs in a worker process (core/train/worker.py); this dock only polls its queue
from a QTimer and draws. No torch or matplotlib import happens when this module loads.
This module lays the dock out and keeps the form and the checks in step with the project;
run_control.py starts, steers and follows the worker, run_history.py shows past runs.
"""
from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ...core.blocks.spec import Fix
from ...core.analysis import Problem
from ...core.data import DATASETS
from ...core.data.budget import choose
from ...core.data.registry import check_dataset_spec
from ...core.train.runs import runs_folder
from .arrangement import Arrangement, FitArea, SettingsPanel
from .columns import guard_wheel
from .curves import CurvesView
from .preview import DatasetPreview
from .run_control import RunControl
from .run_history import RunHistory
from .runs_box import RunsBox
from .settings_form import SettingsForm
from .status_line import StatusLine
from .transfer import TransferBox

POLL_MS = 50


class TrainingDock(RunControl, RunHistory, QDockWidget):
    run_finished = Signal(dict)  # the worker's "done" message

    def __init__(self, session, parent=None):
        super().__init__("Training", parent)
        self.setObjectName("TrainingDock")
        self.session = session
        self.worker = None
        self._steps, self._note = [], None  # Start's steps still to come and its note (run_control._launch)
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

        self.transfer = TransferBox(session, self.form.backbone_lr_factor)
        self.transfer.said.connect(self._say)
        self.runs.refreshed.connect(self.transfer.refresh_runs)
        self.form.add_group(self.transfer)
        self.form.data_box.layout().addRow(self.data_label)  # in memory or streamed: the dataset's business
        self.form.data_box.layout().addRow(self.preview)
        self.wheel_guard = guard_wheel(self.form)

        # run control and status on top, always in view; below them the settings, curves and
        # runs, arranged by arrangement.py
        top = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button, self.overfit_button):
            top.addWidget(b)
        for bar in (self.epoch_bar, self.batch_bar):
            top.addWidget(bar, 1)
            policy = bar.sizePolicy()
            policy.setRetainSizeWhenHidden(True)  # shown at Start without laying the dock out again
            bar.setSizePolicy(policy)
            bar.hide()  # a training process's progress: shown from Start (empty bars say nothing)
        top.addStretch()  # the buttons keep their size while the bars are hidden
        self.settings_panel = SettingsPanel(self.form, self._summary)
        self.settings_panel.on_fold = lambda folded: self._fit_columns()
        status = QHBoxLayout()  # the network's check, what is happening, how fast; the settings' fold
        status.addWidget(StatusLine(self.check_label), 1)  # two lines' height whatever they say
        status.addWidget(self.fix_button)
        status.addWidget(StatusLine(self.message), 2)
        status.addWidget(self.speed_label)
        status.addWidget(self.settings_panel.fold)
        self.body = QWidget()
        self.arrangement = Arrangement(self.body, self.settings_panel, self.curves, self.runs)
        main = QWidget()
        lay = QVBoxLayout(main)
        lay.setContentsMargins(6, 4, 6, 4)  # tight: every pixel of a 1280×800 screen goes to the settings
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addLayout(status)
        lay.addWidget(self.body, 1)
        self.setWidget(FitArea(main))

        self.timer = QTimer(self, interval=POLL_MS, timeout=self._poll)
        # Start's later steps (run_control._launch), a frame apart: each is painted and the window's
        # other timers run between them (a 0 ms call would run in the same pass as Start's own work)
        self.next_step = QTimer(self, singleShot=True, interval=16, timeout=self._next_step)
        self.form.changed.connect(self._store)
        self.form.dataset_changed.connect(self._check)
        self.form.dataset_changed.connect(self._data_note)
        session.project_replaced.connect(self._load_project)
        session.analysis_changed.connect(self._follow_project)
        session.path_changed.connect(self._path_changed)
        session.runs_written.connect(lambda: self.running or self.runs.refresh())  # a sweep's trials listed
        self._load_project()

    # --- project ↔ form ------------------------------------------------------------------------
    def _load_project(self) -> None:
        """A project was opened or created: its settings, its runs, nothing of the last one's."""
        p = self.session.project
        self._path, self._unsaved_runs = self.session.path, []
        self.runs.say_where(None if self._path else runs_folder(None))
        self.settings_panel.set_folded(False)
        if not self.running:
            self.run_dir = None  # Resume must never continue another project's run
            self.runs.opened = []
        self.form.load(p.dataset, p.training)
        self._shown = copy.deepcopy((p.dataset, p.training))
        self.fix = None
        for bar in (self.epoch_bar, self.batch_bar):
            bar.reset()
            bar.setVisible(self.running)
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
        self._fit_columns()  # a run to plot or none: the curves beside the settings, or the settings alone

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
        self.check_label.setToolTip(msg)
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

    def _say(self, text: str, error: bool = False) -> None:
        color = "#c0392b" if error else "palette(text)"
        self.message.setText(f"<span style='color:{color}'>{text}</span>")
        self.message.setToolTip(text)  # whole, when it is longer than its two lines


def _implied_dataset(graph) -> str | None:
    """The dataset that needs no download and whose images are exactly the Input's shape."""
    shapes = [n.params.get("shape") for n in graph.nodes.values() if n.type == "Input"]
    for info in DATASETS.values():
        if len(shapes) == 1 and info.source == "built-in" and info.shape == shapes[0]:
            return info.id
    return None
