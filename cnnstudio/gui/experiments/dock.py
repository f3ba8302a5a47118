"""The Experiments dock: what to vary, a sweep started from the window (`cnnstudio sweep` in its
own process, so torch stays out of the window), and the study's trials read live from its
storage: the table, the score (accuracy, mAP or IoU: core/sweep/score.py) against cost with
the Pareto front (click a dot: its run), parallel coordinates, the parameters' importances, and
a trial opened as the project."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QProcess, QTimer
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFormLayout, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QSizePolicy, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from ...core.sweep import score as S
from . import placement
from .arrangement import Arrangement
from .plot import SvgPlot
from .sweep_process import SweepProcess
from .trial_table import TrialTable
from .vary import VaryDialog, plan_text, suggest_spec

POLL_MS = 1000
OBJECTIVES = ("score", "score,params", "score,macs", "score,latency")  # --objective values ("score": the task's)
COST_NAMES = {"params": "parameters", "macs": "MACs", "latency": "latency"}


class StatusLine(QLabel):
    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


class ExperimentsDock(SweepProcess, QDockWidget):
    def __init__(self, session, parent=None, settings_command=None):
        super().__init__("Experiments", parent)
        self.setObjectName("ExperimentsDock")
        self.session = session
        self.settings_command = settings_command  # the window's undoable dataset/training change
        self.dims: list = []  # what the next sweep varies
        self.process: QProcess | None = None
        self.reader = None  # core/sweep/reader.StudyReader, made when a study exists
        self.rows: list[dict] = []
        self.settings: dict | None = None

        self.space = QListWidget()
        self.space.setObjectName("vary_list")
        self.space.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Ignored)  # the room the form beside it leaves
        self.space.setMinimumHeight(56)
        add, clear = QPushButton("Vary…"), QPushButton("Clear")
        add.setToolTip("Add a block parameter (block.param) or a training setting to vary; or right-click a "
                       "parameter's name in Properties")
        add.clicked.connect(lambda: self.vary())
        clear.clicked.connect(self._clear_space)
        self.trials, self.parallel = QSpinBox(), QSpinBox()
        self.trials.setRange(1, 10000)
        self.trials.setValue(16)
        self.parallel.setRange(1, max(1, os.cpu_count() or 1))
        self.parallel.setValue(max(1, (os.cpu_count() or 2) // 2))
        self.nproc = QSpinBox()
        self.nproc.setObjectName("sweep_nproc")
        self.nproc.setRange(1, 256)
        self.nproc.setToolTip("Each trial data-parallel in this many processes (as `cnnstudio train --nproc N`); "
                              "with \"At once\": that many times as many processes in all")
        self.epochs = QSpinBox()
        self.epochs.setRange(0, 100000)
        self.epochs.setSpecialValueText("as the project")  # 0: the project's own epochs
        self.sampler, self.objective = QComboBox(), QComboBox()
        self.sampler.addItems(["tpe", "random", "grid", "nsga2"])
        for value in OBJECTIVES:
            self.objective.addItem(value, value)
        self.objective.setSizeAdjustPolicy(QComboBox.AdjustToContents)  # its items are renamed for the score
        self.score_metric = None  # what the score is ("accuracy", "mAP", "iou"): _name_score
        self.run_button, self.stop_button = QPushButton("Run sweep"), QPushButton("Stop")
        self.run_button.setObjectName("run_sweep")
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)

        self.study = QComboBox()
        self.study.setObjectName("study_choice")
        self.study.currentTextChanged.connect(self._study_changed)
        self.status = StatusLine()  # what the sweep or the study says; hidden while it has nothing to say
        self.table = TrialTable()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.scatter, self.parallel_plot, self.importance = SvgPlot(), SvgPlot(), SvgPlot()
        self.scatter.trial_clicked.connect(self.show_trial)
        self.cost = QComboBox()
        self.cost.addItems(["params", "macs", "latency"])
        self.cost.currentTextChanged.connect(lambda _: self._draw())
        self.tabs = QTabWidget()
        self.scatter_page = scatter_page = QWidget()
        sl = QVBoxLayout(scatter_page)
        sl.setContentsMargins(0, 4, 0, 0)  # a short dock keeps its room for the plot
        row = QHBoxLayout()
        row.addWidget(QLabel("cost:"))
        row.addWidget(self.cost)
        row.addStretch(1)
        sl.addLayout(row)
        sl.addWidget(self.scatter)
        for page, title in ((self.table, "Trials"), (scatter_page, "Score vs cost"),
                            (self.parallel_plot, "Parallel"), (self.importance, "Importance")):
            self.tabs.addTab(page, title)
        self.tabs.setTabToolTip(2, "Parallel coordinates: a line per trial across the varied settings and the score")
        self.tabs.setTabToolTip(3, "How much each varied setting explains the score (Optuna's fANOVA)")
        self.tabs.setUsesScrollButtons(True)  # a dock narrower still: arrows, never a cut tab
        self.tabs.currentChanged.connect(lambda _: self._draw())
        self.open_button = QPushButton("Open this trial as a project")
        self.open_button.setObjectName("open_trial")
        self.open_button.setToolTip("Set the project's blocks and settings to this trial's values (one undo step)")
        self.open_button.clicked.connect(self.open_trial)
        self.run_link = QPushButton("Show its run")
        self.run_link.clicked.connect(lambda: self.show_trial(self.table.chosen_trial()))

        vary = QWidget()  # what the next sweep varies, and how it runs: arrangement.py places them
        left = QVBoxLayout(vary)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(4)  # as the form beside it
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(clear)
        left.addWidget(QLabel("Vary:"))
        left.addWidget(self.space, 1)
        left.addLayout(buttons)
        self.plan = QLabel()  # what the search does with this space (setup.plan), as `cnnstudio sweep` says it
        self.plan.setObjectName("sweep_plan")
        self.plan.setWordWrap(True)
        left.addWidget(self.plan)
        run = QWidget()
        below = QVBoxLayout(run)
        below.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setVerticalSpacing(4)  # six rows beside the canvas at 1280×800 without scrolling
        form.addRow("Trials", self.trials)
        form.addRow("At once", self.parallel)
        form.addRow("Processes each", self.nproc)
        form.addRow("Epochs", self.epochs)
        form.addRow("Search", self.sampler)
        form.addRow("Objective", self.objective)
        below.addLayout(form)
        go = QWidget()  # under the form, or under the Vary list where the two sit side by side
        buttons = QHBoxLayout(go)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        below.addWidget(go)
        below.addStretch(1)
        results = QWidget()  # right: the study's trials and pictures
        right = QVBoxLayout(results)
        right.setContentsMargins(0, 0, 0, 0)
        self.study_row, self.act_row = QWidget(), QWidget()  # shown when they have something to act on
        pick, act = QHBoxLayout(self.study_row), QHBoxLayout(self.act_row)
        pick.setContentsMargins(0, 0, 0, 0)
        act.setContentsMargins(0, 0, 0, 0)
        pick.addWidget(QLabel("Study:"))
        pick.addWidget(self.study, 1)
        right.addWidget(self.study_row)
        right.addWidget(self.status)
        right.addWidget(self.tabs, 1)
        act.addWidget(self.open_button)
        act.addWidget(self.run_link)
        act.addStretch(1)
        right.addWidget(self.act_row)
        self.study_row.hide()  # until a study exists
        self.arrangement = Arrangement(vary, run, go, results, self.tabs)
        self.setWidget(self.arrangement)
        self.tabs.currentChanged.connect(  # the setup tab (narrow) has no trial to open
            lambda _: self.act_row.setVisible(self.tabs.currentWidget() is not self.arrangement.setup_page))
        self.act_row.setVisible(self.tabs.currentWidget() is not self.arrangement.setup_page)
        self.toggleViewAction().triggered.connect(lambda shown: placement.opened(self, shown))  # View → Experiments
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(POLL_MS)
        session.path_changed.connect(lambda _: self._forget())
        session.project_replaced.connect(self._forget)
        session.analysis_changed.connect(self._name_score)  # after every edit: the dataset's task may change
        for changed in (self.trials.valueChanged, self.sampler.currentTextChanged, self.objective.currentIndexChanged):
            changed.connect(lambda _: self._show_plan())
        self._name_score()
        self._update_buttons()

    # --- what to vary ----------------------------------------------------------------------
    def vary(self, node_id: str | None = None, param=None, value=None) -> None:
        """Right-click → "Vary in an experiment…" (or the Vary… button: any setting)."""
        name = f"{node_id}.{param.name}" if node_id and param is not None else ""
        dialog = VaryDialog(self.session.project, name, suggest_spec(param, value) if name else "", self)
        self.reveal()
        self.arrangement.show_setup()
        if dialog.exec():
            self.add_dim(dialog.dim)
            self.reveal()  # room again for what it says of the new space

    def reveal(self) -> None:
        """Vary…: the view in front, opened as View → Experiments opens it."""
        placement.reveal(self)

    def _name_score(self) -> None:
        """The objective box and the plot's tab name the score for what it is: as the shown study's
        finished trials record it, else as the project's task has it (before any trial)."""
        metric = S.study_metric(self.rows) or S.project_metric(self.session.project.dataset)
        if metric == self.score_metric:
            return
        self.score_metric = metric
        for i, value in enumerate(OBJECTIVES):
            cost = value.partition(",")[2]
            self.objective.setItemText(i, S.name(self.score_metric) + (f" + {COST_NAMES[cost]}" if cost else ""))
        self.objective.setToolTip(S.definition(self.score_metric) + " With a cost as well: the trials no other beats on "
                                  "both (the Pareto front).")
        at = self.tabs.indexOf(self.scatter_page)
        self.tabs.setTabText(at, f"{S.heading(self.score_metric)} vs cost")
        self.tabs.setTabToolTip(at, S.definition(self.score_metric))

    def _show_plan(self) -> None:
        """What the search does with this space, as `cnnstudio sweep` will (core/sweep/setup.plan)."""
        same = self.settings and {d.name: d.to_doc() for d in self.dims} == self.settings["space"]
        self.plan.setText(plan_text(self.dims, self.trials.value(), self.sampler.currentText(),
                                    self.objective.currentData(), same and self.settings["sampler"] or None))
        self.plan.setVisible(bool(self.plan.text()))

    def add_dim(self, dim) -> None:
        self.dims = [d for d in self.dims if d.name != dim.name] + [dim]
        self.space.clear()
        for d in self.dims:
            spec = d.to_doc()
            self.space.addItem(f"{d.name} ∈ " + ("{" + ", ".join(map(str, spec)) + "}" if isinstance(spec, list) else
                               f"{spec['low']} … {spec['high']}" + (" (log)" if d.log else "")))
        self._update_buttons()
        self._show_plan()

    def _study_changed(self, _name) -> None:
        if self.settings and {d.name: d.to_doc() for d in self.dims} == self.settings["space"]:
            self._clear_space()  # it showed the last study's space: show the new one's
        self.refresh(force=True)

    def _adopt(self, settings: dict) -> None:
        from ...core.sweep.space import parse_space_doc
        for dim in parse_space_doc(settings["space"]):
            self.add_dim(dim)
        asked = settings.get("asked") or {}  # a search the sweep made a grid: as the user asked it
        self.trials.setValue(asked.get("trials") or settings["trials"])
        self.sampler.setCurrentText(asked.get("sampler") or settings["sampler"])
        objective = ",".join("score" if o == S.OBJECTIVE else o for o in settings["objectives"])
        self.objective.setCurrentIndex(max(0, self.objective.findData(objective)))
        self.epochs.setValue(settings.get("epochs") or 0)
        self.nproc.setValue(settings.get("nproc", 1))

    def _clear_space(self) -> None:
        self.dims = []
        self.space.clear()
        self._update_buttons()
        self._show_plan()

    # --- reading the study -----------------------------------------------------------------
    def _db(self) -> Path | None:
        from ...core.train.runs import runs_folder
        return runs_folder(self.session.path) / "sweeps.db" if self.session.path else None

    def _forget(self) -> None:
        if self.reader is not None:
            self.reader.close()
        self.reader, self.rows, self.settings = None, [], None
        self._name_score()
        self.study.blockSignals(True)
        self.study.clear()
        self.study.blockSignals(False)
        self.study_row.hide()
        self.status.setText("")
        self.table.setRowCount(0)
        self.table.shown = None

    def refresh(self, force: bool = False) -> None:
        if not force and not self.isVisible():
            return
        try:
            self._read()
        except Exception as e:  # noqa: BLE001 - a study being made or a busy database: read it again soon
            if self.reader is not None:
                self.reader.close()
            self.reader = None
            self.status.setText(f"Could not read the experiments yet ({str(e).splitlines()[0][:120]}); trying again.")

    def _read(self) -> None:
        db = self._db()
        if db is None or not db.is_file():
            return
        if self.reader is None:
            from ...core.sweep.reader import StudyReader
            self.reader = StudyReader(f"sqlite:///{db.absolute()}")
        names = self.reader.studies()
        if names != self.study_names():
            current = self.study.currentText()
            self.study.blockSignals(True)
            self.study.clear()
            self.study.addItems(names)
            self.study.setCurrentText(current if current in names else (names[-1] if names else ""))
            self.study.blockSignals(False)
            self.study_row.setVisible(bool(names))
        name = self.study.currentText()
        if not name:
            return
        got = self.reader.read(name)
        if got is None:
            return
        self.settings, self.rows, summary = got
        self._name_score()
        if not self.dims:  # start from the study's own space: Run sweep then adds to it
            self._adopt(self.settings)
        if self.process is None:
            self.status.setText(summary)
        self.table.show_rows(self.rows, list(self.settings["space"]), self.settings["objectives"], self.score_metric)
        self._draw()
        self._update_buttons()

    def _draw(self) -> None:
        if self.settings is None or self.reader is None:
            return
        from ...core.sweep import plots
        page = self.tabs.currentWidget()
        if page is self.scatter_page:
            self.scatter.show_svg(*plots.scatter(self.rows, self.cost.currentText()))
        elif page is self.parallel_plot:
            self.parallel_plot.show_svg(plots.parallel(self.rows, list(self.settings["space"])))
        elif page is self.importance:
            self.importance.show_svg(plots.importance_bars(self.reader.importances(self.study.currentText())))

    # --- a trial ---------------------------------------------------------------------------
    def _row(self, trial):
        return next((r for r in self.rows if r["trial"] == trial), None)

    def show_trial(self, trial) -> None:
        """Select it in the table and show its run in the training and inspection panels."""
        row = self._row(trial)
        if row is None:
            return
        self.table.select_trial(trial)
        if row["run"] and Path(row["run"]).is_dir():
            self.session.set_run(Path(row["run"]))

    def open_trial(self) -> None:
        from .open_trial import open_row
        row = self._row(self.table.chosen_trial())
        if row is not None:
            self.status.setText(open_row(self.session, row, self.settings["study"], self.settings_command))

    def study_names(self) -> list[str]:
        return [self.study.itemText(i) for i in range(self.study.count())]

    def _update_buttons(self) -> None:
        running = self.process is not None
        self.run_button.setEnabled(bool(self.dims) and not running)
        self.stop_button.setEnabled(running)
        chosen = self._row(self.table.chosen_trial())
        self.open_button.setEnabled(chosen is not None)
        self.run_link.setEnabled(bool(chosen and chosen["run"]))
