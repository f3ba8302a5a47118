"""The trials of a study as a sortable table: state, each varied parameter, the objectives (the
score named for what it is: accuracy, mAP or IoU, defined in its header's tooltip), the
network's size, epochs reached, and why a trial was pruned or failed."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ...core.sweep import score as S
from ...core.sweep.results import short

TRIAL_ROLE = Qt.UserRole + 1


class _Item(QTableWidgetItem):
    """Shown as text, sorted by the number in UserRole when there is one."""

    def __lt__(self, other):
        a, b = self.data(Qt.UserRole), other.data(Qt.UserRole)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return self.text() < other.text()


def _item(text: str, number=None) -> QTableWidgetItem:
    it = _Item(text)
    if number is not None:
        it.setData(Qt.UserRole, number)
    it.setFlags(it.flags() & ~Qt.ItemIsEditable)
    return it


class TrialTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(0, 0, parent)
        self.setObjectName("trial_table")
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.shown = None

    def show_rows(self, rows: list[dict], names: list[str], objectives: list[str], metric: str | None = None) -> None:
        """`metric`: the score's name before a trial records it (the project's task's)."""
        metric = S.study_metric(rows) or metric
        key = (repr(rows), tuple(names), tuple(objectives), metric)
        if key == self.shown:  # polled every second: leave the selection and scroll alone
            return
        self.shown = key
        chosen = self.chosen_trial()
        size = "params" not in objectives  # the network's size, unless it is an objective already
        head = ["trial", "state", *names, *[S.objective_name(o, metric) for o in objectives],
                *(["params"] if size else []), "epochs", "note"]
        self.setSortingEnabled(False)
        self.setColumnCount(len(head))
        self.setHorizontalHeaderLabels(head)
        if S.OBJECTIVE in objectives:
            self.horizontalHeaderItem(2 + len(names) + objectives.index(S.OBJECTIVE)).setToolTip(S.definition(metric))
        self.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = [_item(str(r["trial"]), r["trial"]), _item(r["state"] + (" · rerun" if r["rerun"] else ""))]
            cells += [_item(short(r["params"][n]) if n in r["params"] else "", _num(r["params"].get(n))) for n in names]
            for o in objectives:
                v = r["values"].get(o)
                cells.append(_item(S.objective_text(o, metric, v), v))
            if size:
                cells.append(_item(f"{r['n_params']:,}" if r["n_params"] is not None else "", r["n_params"]))
            cells += [_item(str(r["epochs"] or ""), r["epochs"]), _item(r["reason"] or "")]
            cells[0].setData(TRIAL_ROLE, r["trial"])
            for j, c in enumerate(cells):
                self.setItem(i, j, c)
        self.setSortingEnabled(True)
        if chosen is not None:
            self.select_trial(chosen)

    def chosen_trial(self):
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return self.item(rows[0].row(), 0).data(TRIAL_ROLE) if rows else None

    def select_trial(self, trial: int) -> None:
        for i in range(self.rowCount()):
            if self.item(i, 0).data(TRIAL_ROLE) == trial:
                self.selectRow(i)
                self.scrollToItem(self.item(i, 0))
                return


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
