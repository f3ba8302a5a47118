"""The run history as an experiment table: every run's settings and best result, sortable by
any column; tick runs to overlay their validation curves, double-click one to show it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ...core.train.metrics import fmt
from ...core.train.runs import read_metrics

COLUMNS = ("run", "status", "epochs", "dataset", "optimizer", "lr", "batch", "schedule", "processes", "started from",
           "frozen", "backbone lr ×", "trial", "best", "at epoch")
TIPS = {"processes": "data-parallel processes the run trained in (the last session's, if it was resumed)",
        "started from": "the weights the run started from: another run's best, a weights file, or fresh",
        "frozen": "blocks whose weights did not train", "backbone lr ×": "learning rate factor of every block "
        "but the head", "trial": "the sweep trial that trained it (Experiments)",
        "best": "the run's best validation score (accuracy; IoU for boxes; mAP for multi-label runs): hover a cell"}
HEADERS = {"started from": "started\nfrom", "backbone lr ×": "backbone\nlr ×", "at epoch": "at\nepoch"}  # narrower
PATH_ROLE = Qt.UserRole + 1
MAX_OVERLAYS = 4
LEAST_RUN_WIDTH = 90  # the run's name shortened in its middle, its date and project still there


def best_tip(metric, task: str) -> str:
    """What a "best" cell measures, with its definition where it has one (multi-label mAP)."""
    from ...core.train.metrics import DEFINITIONS, label
    if not isinstance(metric, str):
        return ""
    what = metric.partition("_")[2]
    what = "label accuracy" if task == "multilabel" and what == "accuracy" else what  # as label() names it
    return label(metric, task) + (f": {DEFINITIONS[what]}" if what in DEFINITIONS else "")


def _item(value) -> QTableWidgetItem:
    """A cell showing `value` (numbers sort as numbers)."""
    it = QTableWidgetItem()
    it.setData(Qt.DisplayRole, value)
    return it


def started_from(run) -> str:
    """The run whose best weights this one started from (their copy beside the project is
    named <project>-<run>.safetensors, or it was a run's checkpoint), else the weights file, else "fresh"."""
    weights = run.info.get("started_from") or run.project.weights
    if not weights:
        return "fresh"
    parts = Path(weights).parts
    if "checkpoints" in parts[1:]:  # --init-from RUN: that run's checkpoint
        return parts[parts.index("checkpoints", 1) - 1]
    stem = Path(weights).name.removesuffix(".safetensors")
    project = run.path.parent.name.removesuffix(".runs")
    return stem[len(project) + 1:] if stem.startswith(project + "-") and len(stem) > len(project) + 1 else weights


class _SortItem(QTableWidgetItem):
    """A cell shown as text and sorted by the number in its UserRole (e.g. "97.6%" by 0.976)."""

    def __lt__(self, other):
        a, b = self.data(Qt.UserRole), other.data(Qt.UserRole)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return self.text() < other.text()  # (QTableWidgetItem.__lt__ would call back into this one)


class ExperimentTable(QTableWidget):
    overlays_changed = Signal(list)  # [(label, metrics rows)] of the ticked runs
    run_chosen = Signal(str)  # a run folder: show its curves and inspect it

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels([HEADERS.get(name, name) for name in COLUMNS])
        for c, name in enumerate(COLUMNS):
            if name in TIPS:
                self.horizontalHeaderItem(c).setToolTip(TIPS[name])
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        # a run's name is long (date, time, project): its middle gives way, the tooltip has it whole
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.Interactive)
        self.setTextElideMode(Qt.ElideMiddle)
        self.horizontalHeader().setStyleSheet("QHeaderView::section { padding: 4px 3px; }")  # ten columns
        self.setSortingEnabled(True)
        self.setMinimumHeight(96)  # a header and three runs
        self.setMaximumHeight(200)  # the curves above get the room
        self.setToolTip("Tick runs to overlay their validation curves; double-click a run to show it.")
        self.itemChanged.connect(self._ticked)
        self.cellDoubleClicked.connect(lambda row, _: self.run_chosen.emit(self.item(row, 0).data(PATH_ROLE)))
        self._filling = False

    def fit_columns(self) -> None:
        """Every column in the width left of the vertical scroll bar (shown or not: it comes with
        more runs than rows in view) when the run's name can give way enough; else the name
        whole and the table scrolls sideways (beside the curves it is too narrow for them all)."""
        head = self.horizontalHeader()
        others = sum(max(head.sectionSizeHint(c), self.sizeHintForColumn(c)) for c in range(1, self.columnCount()))
        room = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width()
        whole, spare = max(head.sectionSizeHint(0), self.sizeHintForColumn(0)), room - others
        self.setColumnWidth(0, whole if spare < LEAST_RUN_WIDTH else min(whole, spare))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def set_runs(self, runs) -> None:
        """`runs`: core.train.runs.Run objects, newest first."""
        ticked = set(self.ticked())
        self._filling = True
        self.setSortingEnabled(False)
        self.setRowCount(len(runs))
        for row, r in enumerate(runs):
            self._fill(row, r, str(r.path) in ticked)
        self.setSortingEnabled(True)
        self._filling = False
        self.fit_columns()

    def update_run(self, run) -> bool:
        """Write one run's row again (a running run's epochs and best); False when it is not listed."""
        for row in range(self.rowCount()):
            it = self.item(row, 0)
            if it is not None and it.data(PATH_ROLE) == str(run.path):
                self._filling = True
                self.setSortingEnabled(False)  # a sorted table would move the row while it is written
                self._fill(row, run, it.checkState() == Qt.Checked)
                self.setSortingEnabled(True)
                self._filling = False
                self.fit_columns()
                return True
        return False

    def _fill(self, row: int, r, ticked: bool) -> None:
        info, t = r.info, r.info.get("training") or {}
        best = info.get("best") or {}
        name = _SortItem(r.path.name)
        name.setData(PATH_ROLE, str(r.path))
        name.setToolTip(r.path.name)
        name.setFlags((name.flags() | Qt.ItemIsUserCheckable) & ~Qt.ItemIsEditable)
        name.setCheckState(Qt.Checked if ticked else Qt.Unchecked)
        value = best.get("value")
        sweep = info.get("sweep") if isinstance(info.get("sweep"), dict) else {}
        frozen = sum(1 for node in r.project.graph.nodes.values() if node.frozen)
        factor = t.get("backbone_lr_factor", 1.0)
        cells = [name, _item(str(r.status)), _item(len(r.metrics)),
                 _item(str((info.get("dataset") or {}).get("name", ""))), _item(str(t.get("optimizer", ""))),
                 _SortItem(f"{t['lr']:g}" if isinstance(t.get("lr"), (int, float)) else ""),
                 _item(t.get("batch_size", "")), _item({"none": "constant"}.get(str(t.get("schedule", "")), str(t.get("schedule", "")))),  # as the form says
                 _item(int(info.get("world_size") or 1)), _item(started_from(r)), _item(frozen),
                 _SortItem(f"{factor:g}" if isinstance(factor, (int, float)) else ""),
                 _item(sweep.get("trial", "") if isinstance(sweep.get("trial"), int) else ""),
                 _SortItem(fmt(str(best.get("metric")), value) if value is not None else "—"),
                 _item(best.get("epoch", ""))]
        cells[5].setData(Qt.UserRole, t.get("lr"))
        cells[11].setData(Qt.UserRole, factor)
        cells[13].setData(Qt.UserRole, value)
        cells[13].setToolTip(best_tip(best.get("metric"), info.get("task", "")))
        for col, it in enumerate(cells):
            it.setFlags(it.flags() & ~Qt.ItemIsEditable)
            self.setItem(row, col, it)

    def ticked(self) -> list[str]:
        return [self.item(r, 0).data(PATH_ROLE) for r in range(self.rowCount())
                if self.item(r, 0) and self.item(r, 0).checkState() == Qt.Checked]

    def tick(self, path, on: bool = True) -> None:
        for r in range(self.rowCount()):
            if self.item(r, 0).data(PATH_ROLE) == str(path):
                self.item(r, 0).setCheckState(Qt.Checked if on else Qt.Unchecked)

    def _ticked(self, item) -> None:
        if self._filling or item.column() != 0:
            return
        paths = self.ticked()[:MAX_OVERLAYS]
        self.overlays_changed.emit([(Path(p).name, read_metrics(Path(p))) for p in paths])
