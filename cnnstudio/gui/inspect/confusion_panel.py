"""Confusion matrix with per-class precision and recall; click a cell to see its samples,
most confident first. Multi-label runs get the per-class table instead (class_table.py): click
a class to see the samples it got wrong, most confidently wrong first."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QSplitter, QStackedWidget, QWidget

from .class_table import CLASS_ROLE, ClassMetricsTable

from .gallery import Gallery
from .widgets import Panel, definitions_tip

LABEL_W, HEAD_H, STAT_W = 70, 22, 52


class MatrixView(QWidget):
    """Counts in cells coloured by the share of the true class (row); a recall column on
    the right and a precision row at the bottom."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cm = None
        self.names: list[str] = []
        self.selected = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(220, 180)

    def set_matrix(self, cm, names) -> None:
        self.cm, self.names = cm, names
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 420)

    def label_width(self) -> int:
        """Room for the row labels: the longest class name (at most a third of the width)."""
        fm = self.fontMetrics()
        need = max((fm.horizontalAdvance(n) for n in self.names), default=0) + 28
        return int(max(LABEL_W, min(need, self.width() / 3)))

    def geometry_(self):
        k, label_w = len(self.names), self.label_width()
        cell = max(min((self.width() - label_w - STAT_W - 8) / max(k, 1),
                       (self.height() - 2 * HEAD_H - 22 - 8) / max(k, 1)), 6)
        return k, cell, label_w, 2 * HEAD_H

    def cell_at(self, pos):
        if self.cm is None:
            return None
        k, cell, x0, y0 = self.geometry_()
        c, r = int((pos.x() - x0) // cell), int((pos.y() - y0) // cell)
        return (r, c) if 0 <= r < k and 0 <= c < k and pos.x() >= x0 and pos.y() >= y0 else None

    def paintEvent(self, _):
        from ...core.inspect.confusion import precision_recall
        from ...core.inspect.mosaic import LUTS

        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().base())
        if self.cm is None:
            return
        k, cell, x0, y0 = self.geometry_()
        cm = self.cm
        rows = cm.sum(1, keepdims=True)
        share = np.where(rows > 0, cm / np.maximum(rows, 1), 0.0)
        prec, rec = precision_recall(cm)
        lut = LUTS["viridis"]
        fm = p.fontMetrics()
        p.setPen(QColor("#333"))
        p.drawText(QRectF(x0, 0, k * cell, HEAD_H), Qt.AlignmentFlag.AlignCenter, "predicted class →")
        p.drawText(QRectF(x0 + k * cell + 4, 0, STAT_W, 2 * HEAD_H), Qt.AlignmentFlag.AlignCenter, "recall")
        p.save()
        p.translate(10, y0 + k * cell / 2)
        p.rotate(-90)
        p.drawText(QRectF(-k * cell / 2, -8, k * cell, 16), Qt.AlignmentFlag.AlignCenter, "true class →")
        p.restore()
        show_text = cell >= fm.horizontalAdvance("000") + 2
        for i in range(k):
            name = fm.elidedText(self.names[i], Qt.TextElideMode.ElideRight, int(x0 - 24))  # whole, or "…"
            p.setPen(QColor("#333"))
            p.drawText(QRectF(20, y0 + i * cell, x0 - 24, cell), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            if show_text:
                p.drawText(QRectF(x0 + i * cell, HEAD_H, cell, HEAD_H), Qt.AlignmentFlag.AlignCenter,
                           fm.elidedText(self.names[i], Qt.TextElideMode.ElideRight, int(cell)))
            for j in range(k):
                r = QRectF(x0 + j * cell, y0 + i * cell, cell, cell)
                rgb = lut[int(share[i, j] * 255)]
                p.fillRect(r, QColor(*map(int, rgb)))
                if show_text and cm[i, j]:
                    p.setPen(QColor("black") if share[i, j] > 0.6 else QColor("white"))
                    p.drawText(r, Qt.AlignmentFlag.AlignCenter, str(cm[i, j]))
            p.setPen(QColor("#333"))
            p.drawText(QRectF(x0 + k * cell + 4, y0 + i * cell, STAT_W, cell), Qt.AlignmentFlag.AlignVCenter,
                       "—" if np.isnan(rec[i]) else f"{rec[i]:.0%}")
        y = y0 + k * cell + 2
        p.drawText(QRectF(0, y, x0 - 4, 20), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "precision")
        for j in range(k):
            if show_text or j % max(1, k // 10) == 0:
                p.drawText(QRectF(x0 + j * cell, y, cell, 20), Qt.AlignmentFlag.AlignCenter,
                           "—" if np.isnan(prec[j]) else f"{prec[j]:.0%}")
        if self.selected is not None:
            i, j = self.selected
            p.setPen(QColor("#ff3030"))
            p.drawRect(QRectF(x0 + j * cell, y0 + i * cell, cell, cell))

    def mousePressEvent(self, e):
        hit = self.cell_at(e.position())
        if hit is not None:
            self.selected = hit
            self.update()
            self.cell_clicked.emit(*hit)


class ConfusionPanel(Panel):
    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.matrix = MatrixView()
        self.matrix.cell_clicked.connect(self.show_cell)
        self.gallery = Gallery()
        self.gallery.sample_clicked.connect(self.state.select_sample)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.gallery)
        self.table = ClassMetricsTable()
        self.table.itemSelectionChanged.connect(self.show_class)
        self.top = QStackedWidget()  # the matrix, or for a multi-label run the per-class table
        self.top.addWidget(self.matrix)
        self.top.addWidget(self.table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.top)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.body.addWidget(split, 1)
        state.follow(self.reload)
        self.reload()

    def reload(self) -> None:
        from ...core.inspect.confusion import confusion_matrix, most_confused
        insp = self.state.inspection
        self.gallery.set_inspection(insp if insp is not None and insp.task != "box" else None)
        if insp is None or insp.task == "box":
            self.matrix.set_matrix(None, [])
            self.top.setCurrentWidget(self.matrix)
            self.top.setMaximumHeight(16777215)
            self.show_info(self.state.message if insp is None else
                           "A localization run predicts boxes, not classes: see the Predictions panel (IoU).")
            return
        p = insp.predictions
        multi = p.targets is not None  # multi-label: no single true class; each class is a yes/no
        self.top.setCurrentWidget(self.table if multi else self.matrix)
        self.table.set_metrics(insp.multilabel_metrics() if multi else None)
        self.top.setMaximumHeight(self.table.maximumHeight())  # the table's rows, or no limit for the matrix
        if multi:
            from ...core.train.metrics import summary_text
            self.matrix.set_matrix(None, [])
            self.gallery.set_indices([])
            self.status.setToolTip(definitions_tip(p.threshold))
            self.show_info(f"{len(p.conf)} test samples, at threshold {p.threshold:g}: "
                           f"{summary_text(insp.multilabel_metrics())}. Each class is its own yes/no, so there is "
                           "no confusion matrix: click a class to see the samples it got wrong.")
            return
        self.status.setToolTip("")
        n = max(len(insp.classes), int(p.probs.shape[1]))
        names = [insp.class_name(c) for c in range(n)]
        self.cm = confusion_matrix(p.labels, p.pred, n)
        self.matrix.set_matrix(self.cm, names)
        worst = ", ".join(f"{names[t]}→{names[q]} ({c})" for t, q, c in most_confused(self.cm, 3))
        self.show_info(f"{len(p.conf)} test samples, accuracy {p.accuracy:.1%}."
                       + (f" Most confused: {worst}." if worst else "") + " Click a cell to see its samples.")

    def threshold_changed(self) -> None:
        if self.state.inspection is not None and self.state.inspection.task == "multilabel":
            self.reload()

    def show_class(self) -> None:
        """Multi-label: the chosen class's mistakes (missed or wrongly predicted), most confidently wrong first."""
        import numpy as np
        items = self.table.selectedItems()
        insp = self.state.inspection
        if not items or insp is None or insp.predictions.targets is None:
            return
        k = self.table.item(items[0].row(), 0).data(CLASS_ROLE)
        if k is None:  # the "mean" row
            return
        p = insp.predictions
        prob, truth = p.probs[:, k], p.targets[:, k] > 0.5
        wrong = np.flatnonzero((prob >= p.threshold) != truth)
        idx = wrong[np.argsort(-np.abs(prob[wrong] - p.threshold), kind="stable")]
        self.gallery.set_indices(idx)
        self.show_info(f"{len(idx)} samples with {insp.class_name(k)} wrong at threshold {p.threshold:g} "
                       f"(missed or wrongly predicted), most confidently wrong first.")

    def show_cell(self, true_class: int, pred_class: int) -> None:
        from ...core.inspect.confusion import cell_samples
        insp = self.state.inspection
        p = insp.predictions
        idx = cell_samples(p.labels, p.pred, p.conf, true_class, pred_class)
        self.gallery.set_indices(idx)
        self.show_info(f"{len(idx)} samples of class {insp.class_name(true_class)} predicted as "
                       f"{insp.class_name(pred_class)}, most confident first.")
