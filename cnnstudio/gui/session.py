"""The open project as every window part sees it: one object, Qt signals, no widgets.

Views subscribe to the signals; edits go through `push` so they are undoable and
re-checked once. Docks (canvas, properties, summary, training, inspection) all take a
`Session` and nothing else from the window.
"""
from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core import Analysis, Graph, Project, UndoStack
from ..core.recheck import Checker
from ..core.commands import Command


class Session(QObject):
    project_replaced = Signal()  # New / Open: everything changed
    analysis_changed = Signal()  # after every edit; read `session.analysis`
    selection_changed = Signal(list)  # node ids
    dirty_changed = Signal(bool)  # unsaved changes or not
    path_changed = Signal(object)  # Path or None
    run_changed = Signal(object)  # Path of the training run to inspect, or None

    def __init__(self, parent=None):
        super().__init__(parent)
        self.project = Project()
        self.path: Path | None = None
        self.run_dir: Path | None = None
        self.selection: list[str] = []
        self._settings_dirty = False
        self._unsubscribe = None
        self.checker = None
        self._attach(self.project)

    # --- the project -------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self.project.graph

    def set_project(self, project: Project, path: Path | None = None, dirty: bool = False) -> None:
        """Replace the open project. `dirty`: it differs from `path` on disk (a restored journal).
        All or nothing: if preparing the new project raises, the old one stays open, path and all."""
        self._attach(project)
        self._settings_dirty = False
        if dirty:
            self.stack.clean_index = None  # no undo step leads back to what is on disk
        self.path = Path(path) if path else None
        self.selection = []
        self.project_replaced.emit()
        self.analysis_changed.emit()
        self.path_changed.emit(self.path)
        self.dirty_changed.emit(dirty)

    def _attach(self, project: Project) -> None:
        stack, checker = UndoStack(project.graph), Checker(project.graph)
        try:
            analysis = self._analyze(checker.analysis, project)  # may raise: nothing swapped yet
        except BaseException:
            checker.close()
            raise
        if self._unsubscribe:
            self._unsubscribe()
            self.stack_unsubscribe()
            self.checker.close()
        self.project, self.stack, self.checker, self.analysis = project, stack, checker, analysis
        self._unsubscribe = project.graph.subscribe(self._on_graph_event)
        self.stack_unsubscribe = self.stack.subscribe(lambda: self.dirty_changed.emit(self.dirty))

    def _on_graph_event(self, event) -> None:
        if event.kind == "changed":
            self.analysis = self._analyze(self.checker.update())
            self.selection = [n for n in self.selection if n in self.project.graph.nodes]
            self.analysis_changed.emit()

    def _analyze(self, checked: Analysis, project: Project | None = None) -> Analysis:
        """The graph's checks (re-checked incrementally), plus whether it fits the project's
        dataset (as warnings). `changed` also names the blocks whose fit warning came or went."""
        from ..core.train.fit import fit_problems
        project = project or self.project
        fit = fit_problems(project.graph, checked, project.dataset)
        a = copy.copy(checked)
        a.problems = checked.problems + fit
        a.__dict__.pop("_by_node", None)  # an index of the checked problems alone
        before = getattr(self, "_fit", []) if project is self.project else []
        if a.changed is not None and fit != before:
            a.changed = a.changed | {p.node for p in fit + before if p.node}
        self._fit = fit
        return a

    # --- edits and selection -------------------------------------------------------------
    def push(self, command: Command) -> None:
        self.stack.push(command)

    def undo(self) -> bool:
        return self.stack.undo()

    def redo(self) -> bool:
        return self.stack.redo()

    def select(self, node_ids: list[str]) -> None:
        ids = [n for n in node_ids if n in self.graph.nodes]
        if ids != self.selection:
            self.selection = ids
            self.selection_changed.emit(ids)

    def set_settings(self, dataset: dict, training: dict) -> None:
        """Dataset and training settings are saved in the project too: a change is unsaved work
        (not an undo step — the form itself shows and edits the current values)."""
        p = self.project
        if (dataset, training) != (p.dataset, p.training):
            refit = dataset != p.dataset
            p.dataset, p.training = dataset, training
            self._settings_dirty = True
            self.dirty_changed.emit(True)
            if refit:  # the network may no longer fit the data
                self.analysis = self._analyze(self.checker.analysis)
                self.analysis_changed.emit()

    def set_weights(self, name: str | None) -> None:
        """The project's starting weights (a file beside it): unsaved work until saved."""
        if name != self.project.weights:
            self.project.weights = name
            self._settings_dirty = True
            self.dirty_changed.emit(True)

    def mark_saved(self, path: Path) -> None:
        self.path = Path(path)
        self._settings_dirty = False
        self.stack.set_clean()
        self.path_changed.emit(self.path)

    @property
    def dirty(self) -> bool:
        return not self.stack.is_clean or self._settings_dirty

    def set_run(self, run_dir: Path | None) -> None:
        self.run_dir = Path(run_dir) if run_dir else None
        self.run_changed.emit(self.run_dir)
