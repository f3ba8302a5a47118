"""The editor window: canvas in the middle, docks around it, menus, toolbar, title.
Its actions and menus are in window_menus.py, what they do beyond the canvas and the
documents (import, export, rename, report…) in window_tasks.py; files in documents.py.

Training and inspection docks are hosted when their packages exist; they are built by
other parts of the app and only receive the Session.
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QScrollArea, QTabBar

from ..core.project.sources import droppable
from .canvas.view import CanvasView
from .canvas.scope import Breadcrumb
from .documents import Documents, open_settings
from .experiments.dock import ExperimentsDock
from .inspect.docks import create_docks
from .palette import PaletteDock
from .problems import HistoryDock, ProblemsDock
from .properties import PropertiesDock
from .session import Session, SetSettings
from .summary import SummaryDock
from .theme import icon
from .training.dock import TrainingDock
from .window_menus import WindowMenus
from .window_tasks import WindowTasks
from .workspaces import NAMES, Workspaces


def _scrollable(dock: QDockWidget) -> None:
    """Let a hosted panel scroll instead of forcing its minimum size on the whole window."""
    inner = dock.widget()
    if inner is None or isinstance(inner, QScrollArea):
        return
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.NoFrame)
    dock.setWidget(area)
    area.setWidget(inner)


class MainWindow(WindowMenus, WindowTasks, QMainWindow):
    def __init__(self, settings=None):
        super().__init__()
        self.setWindowIcon(icon("app"))
        self.setDockNestingEnabled(True)
        self.settings = settings or open_settings()
        self.session = Session(self)
        self.canvas = CanvasView(self.session, self)
        self.setCentralWidget(self.canvas)
        self.docs = Documents(self, self.session, self.settings)
        self.palette = PaletteDock(self.session, self)
        self.properties = PropertiesDock(self.session, self)
        self.summary = SummaryDock(self.session, self)
        self.problems = ProblemsDock(self.session, self)
        self.history = HistoryDock(self.session, self)
        # training and inspection docks (their modules import no torch or matplotlib until used)
        self.training = TrainingDock(self.session, self)
        self.hosted = [self.training, *create_docks(self.session, self)]
        for dock in self.hosted:
            _scrollable(dock)
        for dock in (self.palette, self.properties, self.history, self.problems, self.summary, *self.hosted):
            self.addDockWidget(Qt.RightDockWidgetArea, dock)  # each workspace arranges them
        self.experiments = ExperimentsDock(self.session, self, settings_command=SetSettings)  # beside Training
        self.addDockWidget(Qt.RightDockWidgetArea, self.experiments)
        self.experiments.hide()
        self.properties.vary_requested.connect(self.experiments.vary)
        self.workspaces = Workspaces(self, self.settings)
        self.workspaces.changed.connect(lambda _: QTimer.singleShot(0, self._hide_stale_tab_bars))
        self._build_actions()
        self.palette.block_activated.connect(self.add_block_at_centre)
        self.problems.node_activated.connect(self.canvas.center_on_node)
        self.canvas.files_dropped.connect(lambda paths: self.docs.open_any(paths[0]))
        self.canvas.graph_scene.message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.canvas.graph_scene.rename_requested.connect(self.rename_block)
        self.breadcrumb = Breadcrumb(self.canvas)
        self.breadcrumb.go.connect(self.session.leave)
        self.session.notice.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.session.scope_changed.connect(
            lambda: self.breadcrumb.show_path(self.session.scope.names() if self.session.scope else []))
        self.session.analysis_changed.connect(lambda: self.breadcrumb.show_outer(self.session.top_analysis.errors))
        self.session.dirty_changed.connect(lambda _: self._update_title())
        self.session.path_changed.connect(lambda _: self._update_title())
        self.session.project_replaced.connect(self._update_title)
        self.session.analysis_changed.connect(self._update_status)
        self.session.analysis_changed.connect(self._show_direction)
        self.docs.recent_changed.connect(self._fill_recent)
        self.setAcceptDrops(True)
        self._restore_layout()
        self._update_title()
        self._update_status()
        self._show_direction()

    # --- title and status -------------------------------------------------------------------
    def _update_title(self) -> None:
        s = self.session
        imported = self.docs.imported_from
        where = f" — {s.path.name}" if s.path else (f" — imported from {imported}, not saved" if imported else "")
        self.setWindowTitle(f"{s.project.name}[*]{where} — CNN Studio")
        self.setWindowModified(s.dirty)

    def _update_status(self) -> None:
        a = self.session.analysis
        n = len(self.session.graph.nodes)
        errs = len(a.errors)
        self.statusBar().showMessage(f"{n} blocks · " + (f"{errs} error(s)" if errs else "no errors"))

    # --- layout memory -----------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geo = self.settings.value("window/geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        else:
            self.fit_screen()
        current = self.settings.value("workspace/current", "design")
        self.workspaces.switch(current if current in NAMES else "design")
        self._sized_docks = isinstance(self.settings.value(f"workspace/{self.workspaces.current}"), QByteArray)
        self._rescue_floating_docks()

    def fit_screen(self) -> None:
        """The first window: 1440×900 or the screen's free area, whichever is smaller, with
        room left for the window manager's frame and title bar, so no panel starts cut off."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        free = screen.availableGeometry()
        w, h = min(1440, free.width() - 16), min(900, free.height() - 48)
        self.resize(max(w, 640), max(h, 480))
        self.move(free.x() + (free.width() - self.width()) // 2, free.y() + max(0, (free.height() - self.height() - 32) // 2))

    def _rescue_floating_docks(self) -> None:
        for dock in self.findChildren(QDockWidget):
            self._rescue(dock)
            dock.toggleViewAction().toggled.connect(lambda shown, d=dock: shown and self._rescue(d))

    def _rescue(self, dock: QDockWidget) -> None:
        """A floating panel that would appear on a screen that is gone (or shrunk to nothing)
        docks back into the window, where the user can see it."""
        if not dock.isFloating():
            return
        g = dock.frameGeometry()
        seen = [g.intersected(sc.availableGeometry()) for sc in QGuiApplication.screens()]
        if g.width() < 80 or g.height() < 60 or not any(r.width() >= 80 and r.height() >= 40 for r in seen):
            dock.setFloating(False)

    def _hide_stale_tab_bars(self) -> None:
        """Qt 6.12 can leave the tab bar of an earlier, smaller tab group on screen after
        several docks are tabified together (seen over the palette), and the bars of another
        workspace's panels after a switch; hide any bar whose tabs are a strict prefix of
        another bar's, or that names no panel in view."""
        bars = [b for b in self.findChildren(QTabBar, options=Qt.FindDirectChildrenOnly) if b.isVisible()]
        tabs = {b: [b.tabText(i) for i in range(b.count())] for b in bars}
        shown = {d.windowTitle() for d in self.findChildren(QDockWidget) if d.isVisible()}
        for b in bars:
            if any(o is not b and len(tabs[o]) > len(tabs[b]) and tabs[o][:len(tabs[b])] == tabs[b]
                   for o in bars):
                b.hide()
            elif not any(t in shown for t in tabs[b]):  # left behind by another workspace's panels
                b.hide()

    def showEvent(self, e):
        super().showEvent(e)
        QTimer.singleShot(0, self._hide_stale_tab_bars)
        if not self._sized_docks:  # first run: sizes apply once the window has its own
            self._sized_docks = True
            self.workspaces.arrange(self.workspaces.current)

    def reset_layout(self) -> None:
        self.workspaces.reset()

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.workspaces.remember()
        self.settings.sync()

    # --- closing and drops -------------------------------------------------------------------
    def closeEvent(self, e):
        training = self.training
        if training.running:
            answer = QMessageBox.question(
                self, "Training is running",
                "A training run is in progress. Stop it and quit? Its last finished epoch is kept, "
                "and Resume continues it later.", QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Yes:
                e.ignore()
                return
        if not self.docs.ask_save():
            e.ignore()
            return
        training.shutdown()
        if self.docs.opener is not None:  # a model still being imported: its thread ends first
            self.docs.opener.shutdown()
        self.hosted[1].inspect_state.shutdown()  # ends the inspection process
        self.docs.journal.remove()
        self.save_layout()
        e.accept()

    def dragEnterEvent(self, e):
        if any(droppable(u.toLocalFile()) for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e):
        """A project opens; a model file (.onnx, .pt2, .safetensors) opens as an unsaved import."""
        paths = [u.toLocalFile() for u in e.mimeData().urls() if droppable(u.toLocalFile())]
        if paths:
            e.acceptProposedAction()
            self.docs.open_any(paths[0])
