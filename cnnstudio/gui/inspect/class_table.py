"""Multi-label runs: each class's precision, recall, F1 and average precision as a table, with
the mean row (macro F1, mAP) that every other view reports. Sorting by a column ranks the classes."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ("class", "precision", "recall", "F1", "AP", "samples")
TIPS = {"precision": "of the samples predicted to show the class, the share that do",
        "recall": "of the samples that show the class, the share predicted",
        "F1": "2·precision·recall / (precision + recall)",
        "AP": "average precision: the area under the class's precision–recall curve (no threshold)",
        "samples": "test samples that show the class"}
CLASS_ROLE = Qt.ItemDataRole.UserRole + 1


def _cell(value, text: str | None = None) -> QTableWidgetItem:
    it = QTableWidgetItem()
    if isinstance(value, float):  # shown as a percentage, sorted as the number
        it.setData(Qt.ItemDataRole.DisplayRole, "—" if math.isnan(value) else f"{value:.1%}")
        it.setData(Qt.ItemDataRole.UserRole, -1.0 if math.isnan(value) else value)
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        it.setData(Qt.ItemDataRole.DisplayRole, value if text is None else text)
        if isinstance(value, int):
            it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return it


class ClassMetricsTable(QTableWidget):
    """Rows: the classes, then "mean" (mean F1 in the F1 column, mAP in the AP column)."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        for c, name in enumerate(COLUMNS):
            self.horizontalHeaderItem(c).setToolTip(TIPS.get(name, ""))
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        head = self.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setStretchLastSection(False)

    def set_metrics(self, m: dict | None) -> None:
        self.setRowCount(0)
        if not m:
            self.setMaximumHeight(16777215)
            return
        rows = m["per_class"]
        self.setRowCount(len(rows) + 1)
        for r, c in enumerate(rows):
            name = _cell(c["class"])
            name.setData(CLASS_ROLE, r)
            for col, it in enumerate((name, _cell(c["precision"]), _cell(c["recall"]), _cell(c["f1"]),
                                      _cell(c["ap"]), _cell(c["support"]))):
                self.setItem(r, col, it)
        mean = [_cell("mean"), _cell("", ""), _cell("", ""), _cell(m["mean_f1"]), _cell(m["mAP"]),
                _cell("", "")]
        for col, it in enumerate(mean):
            font = it.font()
            font.setBold(True)
            it.setFont(font)
            it.setToolTip("mean F1 and mAP: the means over the classes")
            self.setItem(len(rows), col, it)
        # no taller than its rows: the gallery below gets the rest of the panel
        self.setMaximumHeight(self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() + 2
                              + self.verticalHeader().defaultSectionSize() * self.rowCount())

    def cell_text(self, row: int, column: str) -> str:
        return self.item(row, COLUMNS.index(column)).text()
