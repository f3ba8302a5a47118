"""Where the Training dock's parts go. Before there is anything to plot the settings take the
whole width, in columns, with the run table under them; once a run is shown its curves take
the right-hand side above the run table; while a run trains (or when the user folds them) the
settings shrink to a one-line summary and the curves take the whole width. Docked at a side
(taller than wide) everything stacks."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)

SETUP, RESULTS, FOLDED, TALL = "setup", "results", "folded", "tall"


class SettingsPanel(QWidget):
    """The settings form in a scroll area (it scrolls only when the window is small); `fold`
    (placed by the dock) folds it to a one-line summary."""

    def __init__(self, form, summary, parent=None):
        super().__init__(parent)
        self.summary_text = summary  # () -> str: the settings in one line
        self.fold = QToolButton()
        self.fold.setCheckable(True)
        self.fold.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.fold.setArrowType(Qt.DownArrow)
        self.fold.setText("Settings")
        self.fold.setToolTip("Fold the settings to one line (the curves take the room), or show them all")
        self.fold.toggled.connect(self._folded)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.hide()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidget(form)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the columns follow the width
        # its preferred height must not size the dock: it takes the room it is given and scrolls
        policy = self.scroll.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Ignored)
        self.scroll.setSizePolicy(policy)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.scroll, 1)
        self.on_fold = lambda folded: None

    @property
    def folded(self) -> bool:
        return self.fold.isChecked()

    def set_folded(self, folded: bool) -> None:
        self.fold.setChecked(folded)

    def _folded(self, folded: bool) -> None:
        self.fold.setArrowType(Qt.RightArrow if folded else Qt.DownArrow)
        self.scroll.setVisible(not folded)
        self.summary.setVisible(folded)
        if folded:
            self.summary.setText(self.summary_text())
        self.on_fold(folded)

    def needed_height(self) -> int:
        """The height that shows every setting without scrolling."""
        return self.scroll.widget().sizeHint().height() + 4


class FitArea(QScrollArea):
    """Scrolls its content only when the dock is smaller than the content's minimum size.
    (QScrollArea's own resizing sizes by preferred heights as soon as a label word-wraps: the
    run table and curves would push the dock into scrolling at any window size.)"""

    def __init__(self, content: QWidget, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(content)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        content, view = self.widget(), self.viewport().size()
        least = content.minimumSizeHint()
        content.resize(max(view.width(), least.width()), max(view.height(), least.height()))


class Arrangement:
    """Places the settings panel, the curves and the run box in one grid, by mode."""

    def __init__(self, body: QWidget, settings: SettingsPanel, curves: QWidget, runs: QWidget):
        self.settings, self.curves, self.runs = settings, curves, runs
        self.grid = QGridLayout(body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.mode = None

    def choose(self, width: int, height: int, curves: bool) -> str:
        if self.settings.folded:
            return FOLDED
        if width < 1.1 * height or width < 760:
            return TALL
        return RESULTS if curves else SETUP

    def fit(self, width: int, height: int) -> None:
        """Beside the curves the settings keep two columns (at most 60 % of the width); above
        the run table they keep every row in view when there is room (`height`: the body's)."""
        panel = self.settings
        form = panel.scroll.widget()
        bar = panel.scroll.verticalScrollBar().sizeHint().width()
        panel.setMinimumWidth(min(2 * form.column_width() + bar, int(0.6 * width)) if self.mode == RESULTS else 0)
        if self.mode == SETUP:
            room = height - self.runs.minimumSizeHint().height() - self.grid.verticalSpacing()
            panel.setMinimumHeight(max(0, min(panel.needed_height(), room)))
        else:
            panel.setMinimumHeight(0)

    def apply(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        g = self.grid
        for w in (self.settings, self.curves, self.runs):
            g.removeWidget(w)
        for i in range(3):
            g.setRowStretch(i, 0)
            g.setColumnStretch(i, 0)
        if mode == SETUP:  # nothing to plot yet: the settings take the width
            self.curves.hide()
            g.addWidget(self.settings, 0, 0)
            g.addWidget(self.runs, 1, 0)
            g.setRowStretch(0, 1)
            g.setColumnStretch(0, 1)
        elif mode == RESULTS:
            self.curves.show()
            g.addWidget(self.settings, 0, 0, 2, 1)
            g.addWidget(self.curves, 0, 1)
            g.addWidget(self.runs, 1, 1)
            g.setRowStretch(0, 1)
            g.setColumnStretch(0, 1)
            g.setColumnStretch(1, 1)
        else:  # folded or tall: one column, the curves as wide as the dock
            self.curves.show()
            g.addWidget(self.settings, 0, 0)  # hidden when folded
            g.addWidget(self.curves, 1, 0)
            g.addWidget(self.runs, 2, 0)
            g.setColumnStretch(0, 1)
            g.setRowStretch(0, 0 if mode == FOLDED else 3)
            g.setRowStretch(1, 3)
