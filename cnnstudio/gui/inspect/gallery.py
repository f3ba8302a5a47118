"""A gallery of samples painted by one widget: thumbnail, true and predicted label, top-k
probability bars (or true/predicted boxes for localization). Click a cell to pick it. A label
too long for its card (a multi-label sample's "true: circle, square, triangle") wraps: every
card grows to the tallest card's lines, so nothing is cut and the bars keep their scores."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
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
        self.cell_h = CELL_H  # every card's height: the tallest card's wrapped labels and bars
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
        self._measure()
        self.updateGeometry()
        self.setMinimumHeight(self.sizeHint().height())
        self.update()

    def columns(self) -> int:
        return max(1, (self.width() - GAP) // (CELL_W + GAP))

    def sizeHint(self) -> QSize:
        rows = -(-len(self.indices) // self.columns()) if len(self.indices) else 1
        return QSize(2 * CELL_W, rows * (self.cell_h + GAP) + GAP)

    def resizeEvent(self, e):
        self._measure()
        self.setMinimumHeight(self.sizeHint().height())
        super().resizeEvent(e)

    def cell_rect(self, k: int) -> QRect:
        """Cells share the row's width (at least CELL_W): a multi-label card's "true: circle,
        square" shows whole where the row has room, instead of white space beside a cut card."""
        cols = self.columns()
        r, c = divmod(k, cols)
        return QRect(GAP + c * (self.cell_w() + GAP), GAP + r * (self.cell_h + GAP), self.cell_w(), self.cell_h)

    def cell_w(self) -> int:
        return max(CELL_W, (self.width() - GAP) // self.columns() - GAP)

    def small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        return small

    def _measure(self) -> None:
        """The card height the shown samples' wrapped labels need at this width."""
        h = CELL_H
        if self.insp is not None and self.insp.predictions.boxes is None and len(self.indices):
            fm = QFontMetrics(self.small_font())
            lines = max(len(self.label_lines(fm, int(i), self.cell_w())) for i in self.indices)
            bars = min(3, self.insp.predictions.probs.shape[1])
            h = max(h, 4 + lines * fm.height() + 4 + bars * fm.height() + 4)
        self.cell_h = h

    def label_lines(self, fm, i: int, card_w: int) -> list[tuple[str, bool]]:
        """Sample i's "#i true: …" and "pred: …" as lines that fit a card card_w wide
        (wrapped between words), each with whether it is the prediction's."""
        true, pred = self.labels(i)
        width = card_w - THUMB - 14  # from the text's left to 2 px inside the card
        return ([(t, False) for t in wrap(fm, f"#{i} true: {true}", width)]
                + [(t, True) for t in wrap(fm, f"pred: {pred}", width)])

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
        p.setFont(self.small_font())
        fm = p.fontMetrics()
        cols, row_h = self.columns(), self.cell_h + GAP
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
            for text, predicted in self.label_lines(fm, int(i), rect.width()):
                p.setPen(QColor(GOOD if ok else BAD) if predicted else QColor("#333"))
                p.drawText(x0, y, text)
                y += fm.height()
            for box, name, bar, prob, score in self.bars(fm, preds.probs[i], x0, y - fm.ascent() + 4, rect.right() - 4):
                p.setPen(QColor("#333"))
                p.drawText(box.left(), box.top() + fm.ascent(), fm.elidedText(name, Qt.TextElideMode.ElideRight,
                                                                               box.width()))
                p.fillRect(bar, QColor("#ddd"))
                p.fillRect(QRectF(bar.x(), bar.y(), bar.width() * prob, bar.height()), QColor("#5c85d6"))
                p.drawText(score.left(), score.top() + fm.ascent(), f"{prob:.0%}")

    def labels(self, i: int) -> tuple[str, str]:
        """(true, predicted) of sample i in words; multi-label: every class present, every class predicted."""
        preds, name = self.insp.predictions, self.insp.class_name
        if preds.targets is not None:
            names = lambda row: ", ".join(name(int(c)) for c in np.flatnonzero(row)) or "none"  # noqa: E731
            return names(preds.targets[i] > 0.5), names(preds.probs[i] >= preds.threshold)
        return name(int(preds.labels[i])), name(int(preds.pred[i]))

    def event(self, e):
        """A card's tooltip: its labels, each on one line."""
        if e.type() == QEvent.Type.ToolTip and self.insp is not None and self.insp.predictions.boxes is None:
            i = self.index_at(e.pos())
            if i is None:
                QToolTip.hideText()
            else:
                true, pred = self.labels(i)
                QToolTip.showText(e.globalPos(), f"#{i} true: {true}\npredicted: {pred}", self)
            return True
        return super().event(e)

    def bars(self, fm, probs, x0, top, right) -> list:
        """The top-3 classes' rows: (name's box, name, bar's box, probability, score's box). The
        names' column is as wide as the longest class name, up to half the card's text."""
        from ...core.inspect.predictions import top_k
        label_w = min(self._names_w(fm, len(probs)) + 6, (right - x0) // 2)
        score_w = fm.horizontalAdvance("100%") + 4
        rows, h = [], fm.height()
        for c, prob in top_k(probs, 3):
            bar_w = right - x0 - label_w - score_w - 3
            rows.append((QRect(x0, top, label_w - 2, h), self.insp.class_name(c),
                         QRectF(x0 + label_w, top + 2, bar_w, h - 4),
                         float(prob), QRect(x0 + label_w + bar_w + 3, top, score_w, h)))
            top += h
        return rows

    def _names_w(self, fm, n: int) -> int:
        """The longest class name's width (measured once per inspection: ImageNet has 1,000)."""
        if getattr(self, "_names_for", None) is not self.insp or self._names_h != fm.height():
            self._names_for, self._names_h = self.insp, fm.height()
            self._names_width = max(fm.horizontalAdvance(self.insp.class_name(c)) for c in range(n))
        return self._names_width

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


def wrap(fm, text: str, width: int) -> list[str]:
    """`text` in lines no wider than `width`, broken between words (a word wider than a line
    is broken inside it: all of it shows)."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if fm.horizontalAdvance(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while fm.horizontalAdvance(word) > width and len(word) > 1:
            cut = max(1, next((n for n in range(len(word) - 1, 0, -1) if fm.horizontalAdvance(word[:n]) <= width), 1))
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    return lines + [line] if line else lines
