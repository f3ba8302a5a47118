"""Design, Train and Inspect: three arrangements of the one window (a switcher at the top,
Ctrl+1/2/3). Each arrangement is the dock layout the user left it in, remembered per
workspace in the settings; View → Reset workspace layout brings back the default."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QTabBar, QToolBar

STATE_VERSION = 2
NAMES = ("design", "train", "inspect")
TITLES = {"design": "Design", "train": "Train", "inspect": "Inspect"}


class Workspaces(QObject):
    changed = Signal(str)

    def __init__(self, window, settings):
        super().__init__(window)
        self.window, self.settings = window, settings
        self.current: str | None = None
        self.bar = QTabBar()
        self.bar.setObjectName("workspaceBar")
        self.bar.setDrawBase(False)
        self.bar.setExpanding(False)
        for i, name in enumerate(NAMES):
            self.bar.addTab(TITLES[name])
            self.bar.setTabToolTip(i, f"{TITLES[name]} workspace (Ctrl+{i + 1})")
        self.bar.currentChanged.connect(lambda i: self.switch(NAMES[i]))
        self.toolbar = QToolBar("Workspaces", window)
        self.toolbar.setObjectName("WorkspaceToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.bar)

    # --- switching ---------------------------------------------------------------------------
    def switch(self, name: str) -> None:
        if name == self.current:
            return
        if self.current:
            self.remember()
        self.current = name
        self.bar.blockSignals(True)
        self.bar.setCurrentIndex(NAMES.index(name))
        self.bar.blockSignals(False)
        state = self.settings.value(f"workspace/{name}")
        w = self.window
        w.canvas.setVisible(name != "train")  # hidden, the docks share its room
        if not (isinstance(state, QByteArray) and w.restoreState(state, STATE_VERSION)):
            self.arrange(name)
        if name != "train":
            w.canvas.fit()  # the whole network in view, however large the canvas is here
        self.settings.setValue("workspace/current", name)
        self.changed.emit(name)

    def remember(self) -> None:
        if self.current:
            self.settings.setValue(f"workspace/{self.current}", self.window.saveState(STATE_VERSION))

    def reset(self) -> None:
        """The current workspace's default arrangement (and forget the user's)."""
        self.settings.remove(f"workspace/{self.current}")
        self.arrange(self.current)

    # --- the default arrangements ---------------------------------------------------------------
    def arrange(self, name: str) -> None:
        w = self.window
        inspect = w.hosted[1:]
        editing = [w.palette, w.properties, w.history, w.problems, w.summary]
        for dock in w.findChildren(QDockWidget):
            dock.setFloating(False)
        if name == "design":
            self._show(editing, hide=[w.training, *inspect])
            w.addDockWidget(Qt.LeftDockWidgetArea, w.palette)
            w.addDockWidget(Qt.RightDockWidgetArea, w.properties)
            w.addDockWidget(Qt.RightDockWidgetArea, w.problems)  # below Properties
            w.tabifyDockWidget(w.properties, w.history)
            w.addDockWidget(Qt.BottomDockWidgetArea, w.summary)
            w.properties.raise_()
            w.resizeDocks([w.palette, w.properties], [210, 340], Qt.Horizontal)
            w.resizeDocks([w.summary], [220], Qt.Vertical)
            w.resizeDocks([w.properties, w.problems], [520, 150], Qt.Vertical)
        elif name == "train":
            self._show([w.training], hide=[*editing, *inspect])
            w.addDockWidget(Qt.RightDockWidgetArea, w.training)
        else:  # inspect: the panels large, the canvas beside them for picking a layer
            filters, features, predictions, confusion, timeline = inspect
            self._show(inspect, hide=[*editing, w.training])
            w.addDockWidget(Qt.RightDockWidgetArea, features)
            w.addDockWidget(Qt.RightDockWidgetArea, predictions)
            w.splitDockWidget(features, predictions, Qt.Horizontal)
            for first, other in ((features, filters), (features, timeline), (predictions, confusion)):
                w.tabifyDockWidget(first, other)
            features.raise_()
            predictions.raise_()
            width = max(w.width(), 900)
            w.resizeDocks([features, predictions], [int(width * 0.4), int(width * 0.4)], Qt.Horizontal)
        host = {"design": w.properties, "train": w.training}.get(name)
        if host is not None and w.experiments.isVisible():  # opened in another workspace: a tab behind
            w.tabifyDockWidget(host, w.experiments)        # this one's own dock, not a strip above it
            host.raise_()

    @staticmethod
    def _show(docks, hide) -> None:
        for d in hide:
            d.hide()
        for d in docks:
            d.show()
