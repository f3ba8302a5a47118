"""A row of controls that wraps onto more lines when the panel is narrow, instead of cutting
its last buttons off (a panel at a third of a 1280-pixel window)."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout


class FlowLayout(QLayout):
    """Left to right, wrapping; a widget added with stretch > 0 takes the rest of its line."""

    def __init__(self, parent=None, spacing: int = 6):
        super().__init__(parent)
        self._items: list = []
        self._stretch: dict = {}
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    # --- QBoxLayout's calls, so panels build their row the same way ---------------------------
    def addWidget(self, widget, stretch: int = 0) -> None:  # noqa: N802 - Qt's name
        super().addWidget(widget)
        if stretch:
            self._stretch[widget] = stretch

    def setStretchFactor(self, widget, stretch: int) -> bool:  # noqa: N802
        self._stretch[widget] = stretch
        self.invalidate()
        return True

    def addStretch(self, stretch: int = 0) -> None:  # noqa: N802 - the rest of a line is empty anyway
        pass

    # --- QLayout ----------------------------------------------------------------------------
    def addItem(self, item) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i):  # noqa: N802
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i):  # noqa: N802
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _visible(self):
        return [i for i in self._items if not (i.widget() and i.widget().isHidden())]

    def _place(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines, line, used = [], [], 0
        for item in self._visible():
            w = item.sizeHint().width()
            if line and used + self.spacing() + w > area.width():
                lines.append(line)
                line, used = [], 0
            used += (self.spacing() if line else 0) + w
            line.append(item)
        if line:
            lines.append(line)
        y = area.y()
        for line in lines:
            height = max(i.sizeHint().height() for i in line)
            spare = area.width() - sum(i.sizeHint().width() for i in line) - self.spacing() * (len(line) - 1)
            stretch = sum(self._stretch.get(i.widget(), 0) for i in line)
            x = area.x()
            for item in line:
                w = item.sizeHint().width()
                if stretch and spare > 0:
                    w += spare * self._stretch.get(item.widget(), 0) // stretch
                if move:
                    item.setGeometry(QRect(QPoint(x, y + (height - item.sizeHint().height()) // 2),
                                           QSize(min(w, area.width()), item.sizeHint().height())))
                x += w + self.spacing()
            y += height + self.spacing()
        return y - rect.y() - (self.spacing() if lines else 0) + m.bottom()
