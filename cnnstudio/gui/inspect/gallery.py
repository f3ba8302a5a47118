"""A gallery of samples painted by one widget: thumbnail, true and predicted label, top-k
probability bars (or true/predicted boxes for localization). Click a cell to pick it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .image_view import to_qimage

THUMB, CELL_W, CELL_H, GAP = 64, 184, 76, 4
MAX_CELLS = 400
GOOD, BAD, TRUE_BOX, PRED_BOX = "#1b7f3b", "#c62828", (40, 200, 60), (230, 40, 40)


class Gallery(QWidget):
    sample_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.insp = None
        self.display = None  # uint8 N×H×W×C of every sample
        self.indices = np.zeros(0, int)
        self.total = 0
        self.selected: int | None = None
        self._thumbs: dict[int, object] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_inspection(self, insp) -> None:
        old, self.insp = self.insp, insp
        self.display = insp.display if insp is not None else None
        same = (old is not None and insp is not None and old.run_dir == insp.run_dir and insp.task != "box"
                and old.display.shape == insp.display.shape)  # a new epoch of the same run: the same pictures
        if not same:
            self._thumbs = {}
        self.set_indices(np.zeros(0, int))

    def set_indices(self, indices) -> None:
        indices = np.asarray(indices, int)
        self.total = len(indices)
        self.indices = indices[:MAX_CELLS]
        self.updateGeometry()
        self.setMinimumHeight(self.sizeHint().height())
        self.update()

    def columns(self) -> int:
        return max(1, (self.width() - GAP) // (CELL_W + GAP))

    def sizeHint(self) -> QSize:
        rows = -(-len(self.indices) // self.columns()) if len(self.indices) else 1
        return QSize(2 * CELL_W, rows * (CELL_H + GAP) + GAP)

    def resizeEvent(self, e):
        self.setMinimumHeight(self.sizeHint().height())
        super().resizeEvent(e)

    def cell_rect(self, k: int) -> QRect:
        """Cells share the row's width (at least CELL_W): a multi-label card's "true: circle,
        square" shows whole where the row has room, instead of white space beside a cut card."""
        cols = self.columns()
        r, c = divmod(k, cols)
        w = max(CELL_W, (self.width() - GAP) // cols - GAP)
        return QRect(GAP + c * (w + GAP), GAP + r * (CELL_H + GAP), w, CELL_H)

    def thumb(self, i: int):
        q = self._thumbs.get(i)
        if q is None:
            img = self.display[i]
            p = self.insp.predictions
            if p.boxes is not None:
                from ...core.data.boxes import to_corners
                from ...core.inspect.mosaic import draw_box
                h, w = img.shape[:2]
                scale = np.array([w - 1, h - 1, w - 1, h - 1])
                img = draw_box(img, to_corners(p.labels[i]) * scale, TRUE_BOX)
                img = draw_box(img, to_corners(p.boxes[i]) * scale, PRED_BOX)
            q = to_qimage(img)
            if max(q.width(), q.height()) > THUMB:  # scaled once, not at every paint
                q = q.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            q = self._thumbs[i] = q
        return q

    def paintEvent(self, e):
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().base())
        if self.insp is None or not len(self.indices):
            p.setPen(self.palette().text().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No samples to show.")
            return
        preds = self.insp.predictions
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        p.setFont(small)
        fm = p.fontMetrics()
        cols, row_h = self.columns(), CELL_H + GAP
        first, last = e.rect().top() // row_h, e.rect().bottom() // row_h + 1  # the rows to repaint only
        for k in range(first * cols, min((last + 1) * cols, len(self.indices))):
            i, rect = self.indices[k], self.cell_rect(k)
            if not rect.intersects(e.rect()):
                continue
            ok = bool(preds.correct[i])
            p.fillRect(rect, QColor("#f4f4f4"))
            if i == self.selected:
                p.setPen(QPen(QColor("#1565c0"), 2))
                p.drawRect(rect.adjusted(1, 1, -1, -1))
            p.drawImage(QRectF(rect.x() + 4, rect.y() + 6, THUMB, THUMB), self.thumb(i))
            x0, y = rect.x() + THUMB + 10, rect.y() + fm.ascent() + 4
            p.setPen(QColor("#333"))
            if preds.boxes is not None:
                p.drawText(x0, y, f"#{i}")
                p.setPen(QColor(GOOD if ok else BAD))
                p.drawText(x0, y + fm.height(), f"IoU {preds.conf[i]:.2f}")
                p.setPen(QColor("#333"))
                p.drawText(x0, y + 2 * fm.height(), "green: true, red: predicted")
                continue
            true, pred = self.labels(i)
            p.drawText(x0, y, fm.elidedText(f"#{i} true: {true}", Qt.TextElideMode.ElideRight, rect.right() - x0 - 2))
            p.setPen(QColor(GOOD if ok else BAD))
            p.drawText(x0, y + fm.height(), fm.elidedText(f"pred: {pred}", Qt.TextElideMode.ElideRight,
                                                          rect.right() - x0 - 2))
            self._bars(p, fm, preds.probs[i], x0, y + fm.height() + 4, rect.right() - 4)

    def labels(self, i: int) -> tuple[str, str]:
        """(true, predicted) of sample i in words; multi-label: every class present, every class predicted."""
        preds, name = self.insp.predictions, self.insp.class_name
        if preds.targets is not None:
            names = lambda row: ", ".join(name(int(c)) for c in np.flatnonzero(row)) or "none"  # noqa: E731
            return names(preds.targets[i] > 0.5), names(preds.probs[i] >= preds.threshold)
        return name(int(preds.labels[i])), name(int(preds.pred[i]))

    def event(self, e):
        """A card's tooltip: its labels whole (a narrow card cuts "true: circle, square, …")."""
        if e.type() == QEvent.Type.ToolTip and self.insp is not None and self.insp.predictions.boxes is None:
            i = self.index_at(e.pos())
            if i is None:
                QToolTip.hideText()
            else:
                true, pred = self.labels(i)
                QToolTip.showText(e.globalPos(), f"#{i} true: {true}\npredicted: {pred}", self)
            return True
        return super().event(e)

    def _bars(self, p, fm, probs, x0, y, right) -> None:
        from ...core.inspect.predictions import top_k
        label_w = min(56, (right - x0) // 2)
        for c, prob in top_k(probs, 3):
            bar_w = right - x0 - label_w - 36
            p.setPen(QColor("#333"))
            p.drawText(x0, y + fm.ascent(), fm.elidedText(self.insp.class_name(c), Qt.TextElideMode.ElideRight, label_w - 2))
            p.fillRect(QRectF(x0 + label_w, y + 2, bar_w, fm.height() - 4), QColor("#ddd"))
            p.fillRect(QRectF(x0 + label_w, y + 2, bar_w * prob, fm.height() - 4), QColor("#5c85d6"))
            p.drawText(x0 + label_w + bar_w + 3, y + fm.ascent(), f"{prob:.0%}")
            y += fm.height()

    def index_at(self, pos) -> int | None:
        for k in range(len(self.indices)):
            if self.cell_rect(k).contains(pos):
                return int(self.indices[k])
        return None

    def mousePressEvent(self, e):
        i = self.index_at(e.position().toPoint())
        if i is not None:
            self.selected = i
            self.update()
            self.sample_clicked.emit(i)
