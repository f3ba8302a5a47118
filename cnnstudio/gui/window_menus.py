"""The editor window's actions, menus and toolbar: each action names its key and calls the
canvas, the documents, the session or one of the window's tasks (window_tasks.py).

A mixin of MainWindow (main_window.py).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from .canvas.layout import DIRECTIONS, direction_of
from .canvas.make_block import make_block_from_selection
from .help import ShortcutsDialog, TourDialog, open_docs
from .theme import icon
from .workspaces import NAMES, TITLES


class WindowMenus:
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
        for a in (self.act_save, self.act_save_as, None, self.act_import, self.act_export, None,
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
        for dock in [self.palette, self.properties, self.problems, self.summary, self.history, *self.hosted,
                     self.experiments]:
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

    def _show_direction(self) -> None:
        self.act_layouts[direction_of(self.session.project)].setChecked(True)
