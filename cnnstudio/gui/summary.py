"""The summary dock: the textbook layer table with totals, Explain for the selected block,
and Cost (parameters, MACs, memory for a batch size and precision).

The table is a model over the current analysis, so a 500-layer network re-shows in a
fraction of a millisecond after each edit (only visible rows are drawn).
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDockWidget, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QSizePolicy,
                               QPlainTextEdit, QScrollArea, QSpinBox, QTableView, QTabWidget, QVBoxLayout, QWidget)

from ..core.blocks.custom import display_type
from ..core.analysis.cost import OPTIMIZER_SLOTS, human_bytes, totals, training_memory
from ..core.analysis.explain import explain
from .text import activation_text, fmt_shape, window_text
from .theme import ERROR

COLUMNS = ("Layer", "Output shape", "Kernel / stride", "Activation", "Parameters", "MACs")


class SummaryModel(QAbstractTableModel):
    def __init__(self, session):
        super().__init__()
        self.session = session
        self.rows: list[str] = []
        self._row: dict[str, int] = {}
        self._order = None  # the analysis order the rows were made from
        self.reload()

    def reload(self) -> None:
        a = self.session.analysis
        g = self.session.graph
        if a.changed is not None and a.order is self._order:  # same rows: repaint the changed ones
            if len(a.changed) > len(self.rows) // 4:  # most of them (an Input-size edit): all at once
                runs = [(0, len(self.rows) - 1)] if self.rows else []
            else:
                runs = _runs(sorted(self._row[n] for n in a.changed if n in self._row))
            for lo, hi in runs:
                self.dataChanged.emit(self.index(lo, 0), self.index(hi, len(COLUMNS) - 1))
            return
        # topological order, then blocks left out of it (cycles)
        self._order = a.order
        rows = list(a.order) + ([n for n in g.nodes if n not in a.info] if len(a.info) < len(g.nodes) else [])
        self.beginResetModel()
        self.rows = rows
        self._row = {n: i for i, n in enumerate(rows)}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if role not in _ROLES:  # (asked for a dozen roles per cell: answer the others at once)
            return None
        nid = self.rows[index.row()]
        node = self.session.graph.nodes.get(nid)
        if node is None:
            return None
        info = self.session.analysis.info.get(nid)
        out = info.out if info else None
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return f"{nid} ({display_type(node.type, node.params)})"
            if col == 1:  # only the block with the error says so; those after it are unknown
                return fmt_shape(out.shape) if out else ("error" if self._has_error(nid) else "?")
            if col == 2:
                return window_text(node)
            if col == 3:
                return activation_text(node)
            if col == 4:
                return f"{out.params:,}" if out else ""
            if col == 5:
                return f"{out.macs:,}" if out else ""
        if role == Qt.TextAlignmentRole and col >= 4:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and out is None and self._has_error(nid):
            return QColor(ERROR)
        if role == Qt.ToolTipRole and out is None:
            return ("\n".join(p.message for p in self.session.analysis.problems_for(nid))
                    or "unknown until the error before it is fixed")
        return None

    def _has_error(self, nid) -> bool:
        return any(p.severity == "error" for p in self.session.analysis.problems_for(nid))


_ROLES = {Qt.DisplayRole, Qt.TextAlignmentRole, Qt.ForegroundRole, Qt.ToolTipRole}


def _runs(rows: list[int]):
    """Consecutive row numbers as (first, last) ranges."""
    start = prev = None
    for r in rows:
        if prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            yield start, prev
        start = prev = r
    if start is not None:
        yield start, prev


class OutOfLayout(QWidget):
    """Holds, outside any layout, a label whose text changes with every edit: in a layout each
    new text makes the whole window lay itself out again (≈2 ms, half of an edit's cost)."""

    def __init__(self, label: QLabel):
        super().__init__()
        self.label = label
        label.setParent(self)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def sizeHint(self):
        self.label.ensurePolished()  # its style sheet's padding and font count
        return QSize(0, self.label.sizeHint().height())

    def resizeEvent(self, e):
        self.label.setGeometry(self.rect())


class SummaryDock(QDockWidget):
    def __init__(self, session, parent=None):
        super().__init__("Summary", parent)
        self.setObjectName("SummaryDock")
        self.session = session
        self._selecting = False
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setWidget(self.tabs)

        # summary table
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.model = SummaryModel(session)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.Interactive)
        h.setSectionResizeMode(0, QHeaderView.Stretch)
        for col, width in enumerate((190, 130, 120, 90, 120, 140)):  # wide enough for every header
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(self._rows_selected)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        lay.addWidget(self.table, 1)
        lay.addWidget(OutOfLayout(self.totals))
        self.tabs.addTab(page, "Summary")

        # explain
        self.explain = QPlainTextEdit(readOnly=True)
        self.explain.setObjectName("explain")
        self.tabs.addTab(self.explain, "Explain")

        # cost
        cost = QWidget()
        outer = QVBoxLayout(cost)
        outer.setContentsMargins(12, 8, 12, 8)
        self.batch = QSpinBox(minimum=1, maximum=65536, value=64)
        self.batch.setToolTip("Samples per training step")
        self.precision = QComboBox()
        self.precision.addItems(["fp32", "bf16", "fp16"])
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZER_SLOTS))
        self.optimizer.setCurrentText("adam")
        self.cost_labels = {k: QLabel() for k in ("params", "macs", "activations", "weights", "gradients",
                                                   "optimizer", "act_mem", "total")}
        # the three inputs on one short row, the answers in two columns below: all of it in view
        inputs = QHBoxLayout()
        for text, w in (("Batch size", self.batch), ("Precision", self.precision), ("Optimizer", self.optimizer)):
            inputs.addWidget(QLabel(text))
            w.setMinimumWidth(90)
            inputs.addWidget(w)
            inputs.addSpacing(16)
        inputs.addStretch(1)
        outer.addLayout(inputs)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        rows = (("params", "Parameters"), ("macs", "MACs per sample"),
                ("activations", "Activation memory per sample"), ("weights", "Weights"),
                ("gradients", "Gradients"), ("optimizer", "Optimizer state"),
                ("act_mem", "Activations (whole batch)"), ("total", "Estimated training memory"))
        for i, (key, text) in enumerate(rows):
            self.cost_labels[key].setTextInteractionFlags(Qt.TextSelectableByMouse)
            r, c = i % 4, 2 * (i // 4)
            grid.addWidget(QLabel(text), r, c)
            grid.addWidget(self.cost_labels[key], r, c + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        outer.addLayout(grid)
        note = QLabel("Rough estimate: framework workspace and fragmentation not included.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        outer.addWidget(note)
        outer.addStretch(1)
        for w in (self.batch,):
            w.valueChanged.connect(self._update_cost)
        self.precision.currentTextChanged.connect(self._update_cost)
        self.optimizer.currentTextChanged.connect(self._update_cost)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(cost)
        self.tabs.addTab(scroll, "Cost")

        session.analysis_changed.connect(self.reload)
        session.project_replaced.connect(self.table.scrollToTop)  # another network: its first layers
        session.selection_changed.connect(self._select_rows)
        self.tabs.currentChanged.connect(self._update_explain)
        self.reload()

    # --- refresh ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.model.reload()
        a = self.session.analysis
        t = self._totals = totals(a, self.session.graph)
        errors = len(a.errors)
        state = f"  ·  {errors} error(s)" if errors else ""
        self.totals.setText(f"{len(self.session.graph.nodes)} blocks  ·  {t['total_params']:,} parameters "
                            f"({t['trainable_params']:,} trainable"
                            + (f", {t['frozen_params']:,} frozen" if t.get("frozen_params") else "")
                            + f")  ·  {t['macs']:,} MACs{state}")
        self._select_rows(self.session.selection)
        self._update_cost(t)

    def _update_cost(self, t=None):
        a = self.session.analysis
        t = t if isinstance(t, dict) else totals(a, self.session.graph)
        prec = self.precision.currentText()
        mem = training_memory(a, self.batch.value(), prec, self.optimizer.currentText())
        bytes_per = {"fp32": 4, "bf16": 2, "fp16": 2}[prec]
        L = self.cost_labels
        L["params"].setText(f"{t['total_params']:,}  ({t['trainable_params']:,} trainable)")
        L["macs"].setText(f"{t['macs']:,}")
        L["activations"].setText(human_bytes(bytes_per * (t["activation_elements"] + a.total("inner"))))
        for key in ("weights", "gradients", "optimizer"):
            L[key].setText(human_bytes(mem[key]))
        L["act_mem"].setText(human_bytes(mem["activations"]))
        L["total"].setText(f"<b>{human_bytes(mem['total'])}</b>" + ("" if a.ok else
                           "  (network has errors: blocks after them are not counted)"))

    def _update_explain(self, *_) -> None:
        if self.tabs.currentWidget() is not self.explain:
            return  # worked out when its tab is opened (a receptive field walks the whole network)
        sel = self.session.selection
        if len(sel) != 1 or sel[0] not in self.session.graph.nodes:
            self.explain.setPlainText("Select a block to see how its output size and parameters are computed.")
            return
        self.explain.setPlainText("\n".join(explain(self.session.graph, self.session.analysis, sel[0])))

    # --- row ↔ node selection --------------------------------------------------------------
    def _select_rows(self, ids) -> None:
        self._update_explain()
        sm, rows = self.table.selectionModel(), self.model._row
        if {i.row() for i in sm.selectedRows()} == {rows[n] for n in ids if n in rows}:
            return  # already shown (after an edit, most often): no repaint
        self._selecting = True
        try:
            sm.clearSelection()
            for nid in ids:
                if nid in rows:
                    sm.select(self.model.index(rows[nid], 0),
                              QItemSelectionModel.Select | QItemSelectionModel.Rows)
            if ids and ids[0] in rows:
                self.table.scrollTo(self.model.index(rows[ids[0]], 0))
        finally:
            self._selecting = False

    def _rows_selected(self, *_):
        if self._selecting:
            return
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        self.session.select([self.model.rows[r] for r in rows])
