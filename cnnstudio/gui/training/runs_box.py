"""The Training dock's "Runs" box: the run to show, the experiment table with its ensemble
evaluation, and runs opened from elsewhere. It lists and picks runs; the dock shows them."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QStyle,
                               QStyleOptionComboBox)

from ...core.train.runs import load_run, run_slug
from .ensemble import EnsemblePanel
from .experiments import ExperimentTable


SHORT_ROLE = Qt.UserRole + 1  # (name, what follows it) of a run's line


class RunCombo(QComboBox):
    """The run to show. Its list has each run's whole line; the box shows the run's name (its
    date and time: the project's name, the same for all, left out), status, epochs and best
    score, the name shortened from its start (the year) when the box is still too narrow, and its tooltip
    the whole line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # a run's line is long: it must not set the dock's width (the list shows it whole)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(24)
        self.currentIndexChanged.connect(lambda *_: self.setToolTip(self.currentText()))

    def add_run(self, run) -> None:
        self.addItem(run.label, str(run.path))
        self.set_run(self.count() - 1, run)

    def set_run(self, i: int, run) -> None:
        from ...core.train.metrics import fmt
        best, n = run.info.get("best") or {}, len(run.metrics)
        rest = f" — {run.status}, {n} epoch{'' if n == 1 else 's'}"
        if best.get("value") is not None:
            rest += f", best {fmt(str(best.get('metric')), best['value'])}"
        self.setItemText(i, run.label)
        # the project's name, the same in every run, left out after the run's date and time
        slug = re.escape(run_slug(run.project.name))
        short = re.sub(rf"^(\d{{8}}-\d{{6}})-{slug}(?=-|$)", r"\1", run.path.name) if slug else run.path.name
        self.setItemData(i, (re.sub(r"-{2,}", " ", short), rest), SHORT_ROLE)  # a trial's "--trial0"
        if i == self.currentIndex():
            self.setToolTip(run.label)

    def initStyleOption(self, option: QStyleOptionComboBox) -> None:
        """What the closed box shows (Qt paints this option)."""
        super().initStyleOption(option)
        name, rest = self.currentData(SHORT_ROLE) or (self.currentText(), "")
        fm = self.fontMetrics()
        field = self.style().subControlRect(QStyle.CC_ComboBox, option, QStyle.SC_ComboBoxEditField, self).width()
        room = max(field - fm.horizontalAdvance(rest) - 4, fm.horizontalAdvance("2026…tiny"))
        option.currentText = fm.elidedText(name, Qt.ElideLeft, room) + rest  # the year goes first


class RunsBox(QGroupBox):
    chosen = Signal()  # the user picked a run to show: read `current()`
    refreshed = Signal(list)  # the project's runs as just read (core.train.runs.Run), newest first
    refused = Signal(str)  # a folder that is not a run, in words

    def __init__(self, project_runs, parent=None):
        """`project_runs()`: the open project's runs (core.train.runs.Run), newest first."""
        super().__init__("Runs", parent)
        self._project_runs = project_runs
        self.opened: list[Path] = []  # runs opened from elsewhere (e.g. trained with --out)
        self.history = RunCombo()
        self.history.activated.connect(lambda *_: self.chosen.emit())
        self.experiments = ExperimentTable()
        self.experiments.run_chosen.connect(self._choose_from_table)
        self.ensemble = EnsemblePanel(self.experiments.ticked)
        self.where = QLabel()  # where an unsaved project's runs go
        self.where.setWordWrap(True)
        self.where.hide()
        open_run = QPushButton("Open run folder…")
        open_run.setToolTip("Inspect a run trained elsewhere, e.g. with cnnstudio train --out DIR")
        open_run.clicked.connect(self._choose_run)
        show = QHBoxLayout()
        show.addWidget(self.history, 1)
        show.addWidget(open_run)
        rf = QFormLayout(self)
        rf.setContentsMargins(6, 4, 6, 4)
        rf.setVerticalSpacing(3)
        rf.addRow("show", show)
        rf.addRow(self.experiments)
        rf.addRow(self.ensemble)
        rf.addRow(self.where)

    def current(self) -> Path | None:
        d = self.history.currentData()
        return Path(d) if d else None

    def refresh(self, select: Path | None = None) -> None:
        runs = self._project_runs()
        combo = self.history
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("(current)", None)
        for r in runs:
            combo.add_run(r)
        for p in self.opened:
            if combo.findData(str(p)) < 0:
                combo.addItem(f"{p.name} (opened)", str(p))
        combo.setCurrentIndex(max(combo.findData(str(select) if select else keep), 0))
        combo.blockSignals(False)
        combo.setToolTip(combo.currentText())
        opened = []
        for p in self.opened:
            if all(r.path != p for r in runs):
                try:
                    opened.append(load_run(p))
                except (OSError, ValueError):
                    pass
        self.experiments.set_runs(runs + opened)
        self.ensemble.setVisible(bool(runs or opened))  # nothing to tick yet: no room taken
        self.refreshed.emit(runs)  # one read of the folder for every list of runs

    def update_run(self, path: Path) -> None:
        """A running run finished an epoch: its line in "show" and its table row say so (one run
        read again, not the whole list)."""
        try:
            run = load_run(path)
        except (OSError, ValueError):
            return
        i = self.history.findData(str(path))
        if i >= 0:
            self.history.set_run(i, run)
        self.experiments.update_run(run)

    def say_where(self, folder: Path | None) -> None:
        """An unsaved project's runs go to `folder` (None: the project is saved, they go beside it)."""
        self.where.setVisible(folder is not None)
        if folder is not None:
            self.where.setText(f"This project is not saved yet: its runs go to {folder}. Save it to keep them "
                               "with the project.")

    def show_newest(self) -> bool:
        """Select the newest run; False when there is none."""
        if self.history.count() < 2:
            return False
        self.history.setCurrentIndex(1)
        return True

    def open_run(self, path: Path) -> bool:
        """List a run folder, wherever it was trained, and choose it."""
        path = Path(path)
        if not (path / "run.json").is_file():
            self.refused.emit(f"{path} is not a training run: it has no run.json.")
            return False
        if path not in self.opened:
            self.opened.append(path)
        self.refresh(select=path)
        self.chosen.emit()
        return True

    def _choose_run(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open a training run (a folder with run.json)")
        if d:
            self.open_run(Path(d))

    def _choose_from_table(self, path: str) -> None:
        self.history.setCurrentIndex(max(self.history.findData(path), 0))
        self.chosen.emit()
