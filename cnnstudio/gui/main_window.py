"""The editor window: canvas in the middle, docks around it, menus, toolbar, title.

Training and inspection docks are hosted when their packages exist; they are built by
other parts of the app and only receive the Session.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMenu, QMessageBox, QScrollArea, QTabBar, QToolBar

from .canvas import CanvasView
from .canvas.make_block import make_block_from_selection
from .canvas.scope import Breadcrumb
from .canvas.diagram import FORMATS, export_diagram
from .canvas.layout import DIRECTIONS, direction_of
from .documents import Documents, open_settings
from .help import ShortcutsDialog, TourDialog, open_docs
from .inspect.docks import create_docks
from .palette import PaletteDock
from .problems import HistoryDock, ProblemsDock
from .properties import PropertiesDock
from .report import ReportWriter
from .session import Session
from .summary import SummaryDock
from .theme import icon
from .training.dock import TrainingDock
from .workspaces import NAMES, TITLES, Workspaces


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


class MainWindow(QMainWindow):
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
        self.workspaces = Workspaces(self, self.settings)
        self.workspaces.changed.connect(lambda _: QTimer.singleShot(0, self._hide_stale_tab_bars))
        self._build_actions()
        self.palette.block_activated.connect(self.add_block_at_centre)
        self.problems.node_activated.connect(self.canvas.center_on_node)
        self.canvas.files_dropped.connect(lambda paths: self.docs.open_path(paths[0]))
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

    # --- actions and menus -------------------------------------------------------------------
    def _action(self, text, slot, shortcut=None, tip=None, icon_name=None) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if tip:
            a.setStatusTip(tip)
        if icon_name:
            a.setIcon(icon(icon_name))
        if "\t" in text:  # "Copy\tCtrl+C": the menu shows the key, toolbars only the name
            a.setIconText(text.split("\t")[0].replace("&", ""))
        a.triggered.connect(lambda *_: slot())
        return a

    def _build_actions(self) -> None:
        d, c, s = self.docs, self.canvas, self.session
        self.act_new = self._action("&New…", d.new_from_gallery, QKeySequence.New, "A new project, empty or from a template")
        self.act_new_empty = self._action("New &empty project", d.new_empty)
        self.act_open = self._action("&Open…", d.open_dialog, QKeySequence.Open)
        self.act_save = self._action("&Save", d.save, QKeySequence.Save)
        self.act_save_as = self._action("Save &as…", d.save_as, QKeySequence.SaveAs)
        self.act_import = self._action("&Import model…", self.import_model, None,
                                       "A torchvision model, an ONNX file or your own PyTorch module")
        self.act_export = self._action("&Export…", self.export_model, None,
                                       "ONNX, TorchScript, ExportedProgram or PyTorch code, with weights")
        self.act_adopt = self._action("Start from the &run's weights", self.adopt_run_weights, None,
                                      "Transfer learning: the shown run's best weights become the project's "
                                      "starting weights (e.g. fine-tune after training the head)")
        self.act_export_diagram = self._action("Export &diagram…", self.export_diagram,
                                               tip="The network as a PNG, SVG or PDF picture")
        self.act_report = self._action("&Report…", self.write_report,
                                       tip="The shown run's HTML report: curves, filters, predictions, confusion")
        self.act_quit = self._action("&Quit", self.close, QKeySequence.Quit)
        self.act_shortcuts = self._action("&Keyboard and mouse", lambda: ShortcutsDialog(self).exec(), "F1")
        self.act_tour = self._action("&Tour", lambda: TourDialog(self).exec())
        self.act_docs = self._action("&Read the guide (README)", lambda: open_docs())
        self.act_format_docs = self._action("&Project file format", lambda: open_docs("project-format.md"))
        self.act_undo = self._action("&Undo", s.undo, QKeySequence.Undo)
        self.act_redo = self._action("&Redo", s.redo, list(dict.fromkeys(
            QKeySequence.keyBindings(QKeySequence.Redo) + [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])))
        # canvas-only keys are handled by the canvas itself; the menu names them
        self.act_cut = self._action("Cu&t\tCtrl+X", lambda: (c.copy(), c.delete_selection()))
        self.act_copy = self._action("&Copy\tCtrl+C", c.copy)
        self.act_paste = self._action("&Paste\tCtrl+V", c.paste)
        self.act_dup = self._action("&Duplicate\tCtrl+D", c.duplicate)
        self.act_delete = self._action("De&lete\tDel", c.delete_selection)
        self.act_all = self._action("Select &all\tCtrl+A", lambda: s.select(list(s.graph.nodes)))
        self.act_rename = self._action("Re&name block…", self.rename_block, "F2", "Give the selected block a name")
        self.act_make_block = self._action("&Make block…", lambda: make_block_from_selection(self), "Ctrl+G",
                                           "The selected blocks become one block of your own, wired in their place")
        self.act_edit_inside = self._action("Edit &inside block", self.edit_inside, "Ctrl+E",
                                            "Show the selected user block's layers on the canvas")
        self.act_leave_block = self._action("&Back out of block", lambda: s.leave(len(s.scope.path) - 1) if s.scope else None,
                                            "Alt+Up", "Back to the network around the block being edited")
        self.act_find = self._action("&Find a block…", self.find_block, QKeySequence.Find,
                                     "Select a block by part of its name or type")
        self.act_fit = self._action("&Fit to view\tF", c.fit)
        self.act_arrange = self._action("&Arrange blocks", c.arrange, "Ctrl+L", "Lay the network out in layers")
        self.layout_group = QActionGroup(self)
        self.act_layouts = {}
        for d, key in (("TB", "Ctrl+Shift+Down"), ("LR", "Ctrl+Shift+Right")):
            a = self._action(f"Lay out {DIRECTIONS[d].lower()}", lambda d=d: c.set_direction(d), key,
                             "Data flows " + ("down" if d == "TB" else "right") + ": ports, wires and new blocks follow")
            a.setCheckable(True)
            self.layout_group.addAction(a)
            self.act_layouts[d] = a
        self.act_zoom_in = self._action("Zoom &in", lambda: c.set_zoom(1.25), QKeySequence.ZoomIn)
        self.act_zoom_out = self._action("Zoom &out", lambda: c.set_zoom(0.8), QKeySequence.ZoomOut)
        self.act_reset_layout = self._action("&Reset workspace layout", self.reset_layout,
                                             tip="This workspace's panels as they were at first")
        self.act_workspaces = [self._action(f"&{TITLES[n]} workspace", lambda n=n: self.workspaces.switch(n), f"Ctrl+{i + 1}")
                               for i, n in enumerate(NAMES)]

        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_new, self.act_new_empty, self.act_open):
            m.addAction(a)
        self.recent_menu = QMenu("Open &recent", self)
        m.addMenu(self.recent_menu)
        m.addSeparator()
        for a in (self.act_save, self.act_save_as, None, self.act_import, self.act_export, self.act_adopt, None,
                  self.act_export_diagram, self.act_report, None, self.act_quit):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, None, self.act_cut, self.act_copy, self.act_paste,
                  self.act_dup, self.act_delete, self.act_rename, None, self.act_make_block, self.act_edit_inside,
                  self.act_leave_block, None, self.act_all, self.act_find):
            m.addSeparator() if a is None else m.addAction(a)
        self.view_menu = mb.addMenu("&View")
        for a in (self.act_fit, self.act_arrange, *self.act_layouts.values(), self.act_zoom_in, self.act_zoom_out):
            self.view_menu.addAction(a)
        self.view_menu.addSeparator()
        for a in self.act_workspaces:
            self.view_menu.addAction(a)
        self.view_menu.addSeparator()
        for dock in [self.palette, self.properties, self.problems, self.summary, self.history] + self.hosted:
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.act_reset_layout)
        self.help_menu = mb.addMenu("&Help")
        for a in (self.act_shortcuts, self.act_tour, None, self.act_docs, self.act_format_docs):
            self.help_menu.addSeparator() if a is None else self.help_menu.addAction(a)

        tb = QToolBar("Main", self)
        tb.setObjectName("MainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonTextOnly)
        for a in (self.act_new, self.act_open, self.act_save, None, self.act_undo, self.act_redo, None,
                  self.act_fit, self.act_arrange):
            tb.addSeparator() if a is None else tb.addAction(a)
        self.addToolBar(tb)
        self.addToolBar(self.workspaces.toolbar)
        self._fill_recent()
        self.session.dirty_changed.connect(lambda _: self._update_undo_actions())
        self.session.analysis_changed.connect(self._update_undo_actions)
        self._update_undo_actions()

    def _update_undo_actions(self) -> None:
        st = self.session.stack
        self.act_undo.setEnabled(st.index > 0)
        self.act_redo.setEnabled(st.index < len(st.commands))
        # the menu names the step; the toolbar button keeps its short label (no jumping toolbar)
        for act, word, cmd, keys in ((self.act_undo, "Undo", st.commands[st.index - 1] if st.index else None, "Ctrl+Z"),
                                     (self.act_redo, "Redo", st.commands[st.index] if st.index < len(st.commands) else None,
                                      "Ctrl+Shift+Z")):
            act.setText(f"&{word} {cmd.label}" if cmd else f"&{word}")
            act.setIconText(word)
            act.setToolTip(f"{word} {cmd.label} ({keys})" if cmd else f"Nothing to {word.lower()}")

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.docs.recent()
        for p in recent:
            self.recent_menu.addAction(Path(p).name, lambda p=p: self.docs.open_path(p)).setStatusTip(p)
        self.recent_menu.setEnabled(bool(recent))

    # --- title and status -------------------------------------------------------------------
    def _update_title(self) -> None:
        s = self.session
        where = f" — {s.path.name}" if s.path else ""
        self.setWindowTitle(f"{s.project.name}[*]{where} — CNN Studio")
        self.setWindowModified(s.dirty)

    def _update_status(self) -> None:
        a = self.session.analysis
        n = len(self.session.graph.nodes)
        errs = len(a.errors)
        self.statusBar().showMessage(f"{n} blocks · " + (f"{errs} error(s)" if errs else "no errors"))

    # --- editing helpers ---------------------------------------------------------------------
    def import_model(self):
        """Open the import dialog; the imported project opens when it is written."""
        from .interop.import_dialog import ImportDialog
        folder = str(self.session.path.parent) if self.session.path else ""
        self.import_dialog = ImportDialog(self, folder)
        self.import_dialog.imported.connect(self.docs.open_path)
        self.import_dialog.open()
        return self.import_dialog

    def adopt_run_weights(self) -> str | None:
        s = self.session
        if s.run_dir is None or s.path is None:
            self.statusBar().showMessage("Train (or open) a run of a saved project first.", 6000)
            return None
        from ..core.interop import InteropError
        from ..core.interop.weights import adopt_run_weights
        try:
            name = adopt_run_weights(s.run_dir, s.path)
        except (InteropError, OSError) as e:
            self.statusBar().showMessage(str(e), 10000)
            return None
        s.set_weights(name)
        self.statusBar().showMessage(f"The project now starts from {name} (the best weights of {s.run_dir.name}).", 8000)
        return name

    def export_model(self):
        from .interop.export_dialog import ExportDialog
        self.export_dialog = ExportDialog(self.session, self)
        self.export_dialog.open()
        return self.export_dialog

    def add_block_at_centre(self, type_: str) -> None:
        """A palette double-click: after the one selected block (wired to it), else mid-view."""
        sel = self.session.selection
        if len(sel) == 1:
            self.canvas.graph_scene.append_block(type_, sel[0])
            return
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        self.canvas.graph_scene.drop_block(type_, QPointF(centre))

    def edit_inside(self) -> bool:
        sel = self.session.selection
        if len(sel) != 1 or not self.session.enter(sel[0]):
            self.statusBar().showMessage("Select one block of your own (made with Make block) to edit inside it.", 6000)
            return False
        return True

    def rename_block(self) -> bool:
        from PySide6.QtWidgets import QInputDialog
        from .canvas.edits import rename
        sel = self.session.selection
        if len(sel) != 1:
            self.statusBar().showMessage("Select one block to rename it.", 6000)
            return False
        new, ok = QInputDialog.getText(self, "Rename block", f"New name for {sel[0]}:", text=sel[0])
        if not ok:
            return False
        command, why = rename(self.session.graph, sel[0], new)
        if command is None:
            if why:
                self.docs.error("Could not rename the block", why)
            return False
        self.session.push(command)
        self.session.select([new.strip()])
        return True

    def find_block(self) -> None:
        if not self.canvas.isVisible():
            self.workspaces.switch("design")
        self.canvas.overlay.open_find()

    # --- pictures and reports ------------------------------------------------------------------
    def export_diagram(self, path=None) -> bool:
        if not self.session.graph.nodes:
            self.statusBar().showMessage("The canvas is empty: nothing to export yet.", 6000)
            return False
        if path is None:
            start = (self.session.path.with_suffix(".png") if self.session.path else
                     Path.cwd() / (self.session.project.name + ".png"))
            filters = ";;".join(f"{what} (*{suffix})" for suffix, what in FORMATS.items())
            path, chosen = QFileDialog.getSaveFileName(self, "Export diagram", str(start), filters)
            if not path:
                return False
            if Path(path).suffix.lower() not in FORMATS:  # the filter the user picked says which
                path += next(s for s, what in FORMATS.items() if chosen.startswith(what))
        try:
            export_diagram(self.canvas.graph_scene, path)
        except (OSError, ValueError) as e:
            self.docs.error("Could not export the diagram", str(e))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 8000)
        return True

    def _show_direction(self) -> None:
        self.act_layouts[direction_of(self.session.project)].setChecked(True)

    def write_report(self, path=None) -> bool:
        run = self.session.run_dir
        if run is None:
            self.docs.error("No run to report on", "Train the network (Train workspace, Ctrl+2) or open a "
                            "run folder there first: the report shows a trained network.")
            return False
        if not hasattr(self, "reporter"):
            self.reporter = ReportWriter(self)
            self.reporter.finished.connect(lambda ok, line: self.statusBar().showMessage(line, 12000))
        if self.reporter.busy:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the report", str(run / "report.html"),
                                                  "HTML report (*.html)")
            if not path:
                return False
        self.statusBar().showMessage(f"Writing the report on {run.name}…")
        self.reporter.write(run, Path(path))
        return True

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
        self.hosted[1].inspect_state.shutdown()  # ends the inspection process
        self.docs.journal.remove()
        self.save_layout()
        e.accept()

    def dragEnterEvent(self, e):
        if any(u.toLocalFile().endswith(".cnnproj") for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e):
        paths = [u.toLocalFile() for u in e.mimeData().urls() if u.toLocalFile().endswith(".cnnproj")]
        if paths:
            e.acceptProposedAction()
            self.docs.open_path(paths[0])
