"""The problems dock (every error and warning; a click selects the block, a button fixes it)
and the undo history dock (click a step to go back or forward to it)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from .theme import ERROR, WARNING


class ProblemsDock(QDockWidget):
    node_activated = Signal(str)  # the window centres the canvas on it

    def __init__(self, session, parent=None):
        super().__init__("Problems", parent)
        self.setObjectName("ProblemsDock")
        self.session = session
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemClicked.connect(self._clicked)
        self.list.currentItemChanged.connect(lambda cur, prev: self._update_fix_button())
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        self.status = QLabel()
        self.fix_button = QPushButton("Apply fix")
        self.fix_button.clicked.connect(self.apply_current_fix)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.fix_button)
        lay.addWidget(self.list, 1)
        lay.addLayout(bar)
        self.setWidget(body)
        self.problems = []
        session.analysis_changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        a = self.session.analysis
        problems = sorted(a.problems, key=lambda p: p.severity != "error")
        key = [(p.severity, p.node, p.message, p.fix.label if p.fix else None) for p in problems] + [
            (bool(self.session.graph.nodes), bool(self.session.project.dataset))]  # what the status line says
        if key == getattr(self, "_key", None):
            self.problems = problems  # same list as shown: keep the rows and the current one
            return
        self._key = key
        self.problems = problems
        self.list.clear()
        for p in self.problems:
            mark = "✖" if p.severity == "error" else "⚠"
            it = QListWidgetItem(f"{mark}  {p.message}" + (f"\n      Quick fix: {p.fix.label}" if p.fix else ""))
            it.setForeground(QColor(ERROR if p.severity == "error" else WARNING))
            it.setToolTip(p.message)
            self.list.addItem(it)
        if self.problems:
            self.list.setCurrentRow(0)  # the first problem's fix is one click away
        n_err, n_warn = len(a.errors), len(a.problems) - len(a.errors)
        if a.problems:
            self.status.setText(f"{n_err} error(s), {n_warn} warning(s)")
        elif not self.session.graph.nodes:
            self.status.setText("Nothing to check yet: drag an Input block onto the canvas.")
        elif not self.session.project.dataset:
            self.status.setText("No problems. Choose a dataset (Train workspace) to train it.")
        else:
            self.status.setText("No problems: the network is ready to train.")
        title = "Problems" + (f" ({len(a.problems)})" if a.problems else "")
        self.setWindowTitle(title)
        self._update_fix_button()

    def _current(self):
        row = self.list.currentRow()
        return self.problems[row] if 0 <= row < len(self.problems) else None

    def _update_fix_button(self):
        p = self._current()
        self.fix_button.setEnabled(bool(p and p.fix))
        self.fix_button.setText(f"Fix: {p.fix.label}" if p and p.fix else "Apply fix")

    def _clicked(self, item) -> None:
        p = self._current()
        if p and p.node:
            self.session.select([p.node])
            self.node_activated.emit(p.node)

    def apply_current_fix(self) -> None:
        p = self._current()
        if p and p.fix:
            self.session.apply_fix(p)


class HistoryDock(QDockWidget):
    def __init__(self, session, parent=None):
        super().__init__("History", parent)
        self.setObjectName("HistoryDock")
        self.session = session
        self.list = QListWidget()
        self.list.itemClicked.connect(self._clicked)
        self.setWidget(self.list)
        self._unsub = None
        session.project_replaced.connect(self._attach)
        self._attach()

    def _attach(self) -> None:
        if self._unsub:
            self._unsub()
        self._unsub = self.session.stack.subscribe(self.reload)
        self.reload()

    def reload(self) -> None:
        """Updates rows in place: long histories stay cheap after every edit."""
        stack = self.session.stack
        names = ["(opened)"] + [c.label for c in stack.commands]
        while self.list.count() > len(names):
            self.list.takeItem(self.list.count() - 1)
        normal = self.list.palette().text().color()
        for i, name in enumerate(names):
            it = self.list.item(i)
            if it is None:
                it = QListWidgetItem(name)
                self.list.addItem(it)
            elif it.text() != name:
                it.setText(name)
            undone = i > stack.index  # greyed: redo brings them back
            if it.data(Qt.UserRole) != undone:
                it.setData(Qt.UserRole, undone)
                it.setForeground(QColor("gray") if undone else normal)
        self.list.setCurrentRow(stack.index)

    def _clicked(self, item) -> None:
        target = self.list.row(item)
        stack = self.session.stack
        while stack.index > target and stack.undo():
            pass
        while stack.index < target and stack.redo():
            pass
