"""How the Experiments view lays itself out. Where the dock is wide (the Train workspace) the
setup (what to vary, how to run) is a column beside the study's results; where it is narrow (a
dock beside the canvas: ≈ 450–520 px at 1280×800) the setup is the results' first tab, "Sweep",
its two halves side by side (scrolling on its own), Run sweep under the Vary list so the form
alone sets the tab's height, and the trials table keeps the dock's whole width. All in a scroll area: a dock smaller still scrolls rather than cutting its buttons and
table."""
from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QFrame, QScrollArea, QTabWidget, QWidget

WIDE_PX = 820  # from this width the setup column (SETUP_PX) and the results sit side by side
SETUP_PX = 300
ANY = 16777215  # QWIDGETSIZE_MAX
SETUP_TAB = "Sweep"


class Arrangement(QScrollArea):
    def __init__(self, vary: QWidget, run: QWidget, go: QWidget, results: QWidget, tabs: QTabWidget, parent=None):
        super().__init__(parent)
        self.vary, self.run, self.go = vary, run, go  # go: Run sweep and Stop
        self.setObjectName("experiments_scroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.tabs = tabs
        self.setup = QWidget()
        self.setup_box = QBoxLayout(QBoxLayout.TopToBottom, self.setup)
        self.setup_box.setContentsMargins(0, 0, 0, 0)
        self.setup_box.addWidget(vary, 1)
        self.setup_box.addWidget(run)
        self.setup_page = QScrollArea()  # the "Sweep" tab, when narrow
        self.setup_page.setWidgetResizable(True)
        self.setup_page.setFrameShape(QFrame.NoFrame)
        body = QWidget()
        self.box = QBoxLayout(QBoxLayout.LeftToRight, body)
        self.box.addWidget(results, 1)
        self.setWidget(body)
        self.wide: bool | None = None
        self.arrange(self.width())

    def arrange(self, width: int) -> None:
        wide = width >= WIDE_PX
        if wide == self.wide:
            return
        page = self.tabs.currentWidget()
        if wide:
            if self.tabs.indexOf(self.setup_page) >= 0:
                self.tabs.removeTab(self.tabs.indexOf(self.setup_page))
                self.setup_page.takeWidget()
            self.box.insertWidget(0, self.setup)
            self.setup.setMaximumWidth(SETUP_PX)
        else:
            self.box.removeWidget(self.setup)
            self.setup_page.setWidget(self.setup)
            self.tabs.insertTab(0, self.setup_page, SETUP_TAB)
            self.tabs.setTabToolTip(0, "What to vary and how the sweep runs")
            self.setup.setMaximumWidth(ANY)
        self.setup_box.setDirection(QBoxLayout.TopToBottom if wide else QBoxLayout.LeftToRight)
        self.go.parentWidget().layout().removeWidget(self.go)
        if wide:
            self.run.layout().insertWidget(1, self.go)  # after the form
        else:
            self.vary.layout().addWidget(self.go)
        first = self.wide is None or page is None or page is self.setup_page  # a new view opens on its setup
        self.tabs.setCurrentWidget(self.tabs.widget(0) if first else page)
        self.wide = wide
        self.setup.show()

    def show_setup(self) -> None:
        """Bring what to vary into view (its tab when narrow)."""
        if not self.wide:
            self.tabs.setCurrentWidget(self.setup_page)

    def show_results(self, page: QWidget) -> None:
        if self.tabs.currentWidget() is self.setup_page:
            self.tabs.setCurrentWidget(page)
            self.verticalScrollBar().setValue(0)  # scrolled down to Run sweep: the table's header in view

    def resizeEvent(self, e):  # the scroll area's own width: the viewport's changes with its scroll bar
        self.arrange(e.size().width())
        super().resizeEvent(e)
