"""Settings groups laid out in as many columns as the width allows, and a mouse wheel that
scrolls the form instead of changing the field under the pointer (unless it has focus)."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QGridLayout, QVBoxLayout, QWidget

COLUMN_WIDTH = 290  # a column's width before any group is in


class ColumnGrid(QWidget):
    """Groups in columns of about equal height (`pack`), as many columns as the widest group's
    minimum width allows; packed again when a group grows or shrinks."""

    def __init__(self, groups, parent=None):
        super().__init__(parent)
        self.groups = list(groups)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.columns = 0
        self._stacks: list[QVBoxLayout] = []
        self._packed: list = []
        self._repack_later = QTimer(self, singleShot=True, interval=0, timeout=self._repack)  # dies with the form
        self.arrange(1)

    def set_groups(self, groups) -> None:
        self.groups = list(groups)
        for g in self.groups:
            g.installEventFilter(self)  # a group that grows or shrinks (rows shown, a note) repacks
        self.columns = 0
        self.arrange(self.columns_for(self.width()) if self.isVisible() else 1)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.LayoutRequest and any(obj is g for g in self.groups):
            self._repack_later.start()
        return False

    def _repack(self) -> None:
        if pack([g.sizeHint().height() for g in self.groups], self.columns) != self._packed:
            n, self.columns = self.columns, 0
            self.arrange(n)

    def add_group(self, group) -> None:
        self.set_groups(self.groups + [group])

    def arrange(self, n: int) -> None:
        n = max(1, min(n, len(self.groups)))
        if n == self.columns or not self.groups:
            return
        self.columns = n
        for g in self.groups:
            g.setParent(self)  # out of the old columns (kept alive by this widget)
        for stack in self._stacks:
            self.grid.removeItem(stack)
        self._stacks = []
        for c in range(n):
            stack = QVBoxLayout()
            stack.setContentsMargins(0, 0, 0, 0)
            self._stacks.append(stack)
            self.grid.addLayout(stack, 0, c)
            self.grid.setColumnStretch(c, 1)
        self._packed = pack([g.sizeHint().height() for g in self.groups], n)
        for c, column in enumerate(self._packed):
            for i in column:
                self._stacks[c].addWidget(self.groups[i])
        for stack in self._stacks:
            stack.addStretch(1)
        for c in range(n, self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)

    def column_width(self) -> int:
        """The widest group's minimum width: no column is narrower."""
        return max((g.minimumSizeHint().width() for g in self.groups), default=COLUMN_WIDTH) + \
            self.grid.horizontalSpacing()

    def columns_for(self, width: int) -> int:
        return max(1, (width + self.grid.horizontalSpacing()) // self.column_width())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.arrange(self.columns_for(event.size().width()))


def pack(heights: list[int], n: int) -> list[list[int]]:
    """Indices of `heights` in `n` columns of about equal height: the tallest first, each into
    the shortest column; within a column in their original order."""
    columns, totals = [[] for _ in range(n)], [0] * n
    for i in sorted(range(len(heights)), key=lambda i: -heights[i]):
        c = totals.index(min(totals))
        columns[c].append(i)
        totals[c] += heights[i]
    return [sorted(col) for col in columns]


def compact(box: QWidget) -> None:
    """Rows closer together than the style's default, spin boxes as tall as lists (Fusion
    draws them taller): more settings in view."""
    layout = box.layout()
    layout.setContentsMargins(6, 4, 6, 4)
    layout.setVerticalSpacing(3)
    height = QComboBox().sizeHint().height()
    for spin in box.findChildren(QAbstractSpinBox):
        spin.setMaximumHeight(height)


class WheelGuard(QObject):
    """A wheel turned over a spin box or a list that does not have focus scrolls the form
    around it instead of changing the value."""

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.Wheel or obj.hasFocus():
            return False
        area = obj.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


def guard_wheel(root: QWidget) -> WheelGuard:
    guard = WheelGuard(root)
    for w in root.findChildren(QAbstractSpinBox) + root.findChildren(QComboBox):
        w.setFocusPolicy(Qt.StrongFocus)  # a click or Tab focuses it; the wheel alone does not
        w.installEventFilter(guard)
    return guard
