"""The open project as every window part sees it: one object, Qt signals, no widgets.

Views subscribe to the signals; edits go through `push` so they are undoable and
re-checked once. Docks (canvas, properties, summary, training, inspection) all take a
`Session` and nothing else from the window.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core import Analysis, Graph, Project, UndoStack
from ..core.blocks.spec import Fix
from ..core.graph.commands import Command, SetParams
from ..core.analysis.fixes import fix_command
from ..core.analysis.recheck import Checker


FREEZE_FROM = 1000  # blocks: see set_project


class SetSettings(Command):
    """The project's dataset and training settings as one undo step. They live beside the
    graph, so the stack's "changed" event re-checks the dataset fit like any other edit."""

    def __init__(self, project: Project, dataset: dict, training: dict):
        self.project = project
        self.old = copy.deepcopy((project.dataset, project.training))
        self.new = copy.deepcopy((dataset, training))
        what = "dataset" if dataset != project.dataset else "training"
        keys = sorted(k for k in {**self.old[what == "training"], **self.new[what == "training"]}
                      if self.old[what == "training"].get(k) != self.new[what == "training"].get(k))
        self.label = f"Set {what} " + ", ".join(keys)

    def do(self, g):
        self.project.dataset, self.project.training = copy.deepcopy(self.new)

    def undo(self, g):
        self.project.dataset, self.project.training = copy.deepcopy(self.old)


class Session(QObject):
    project_replaced = Signal()  # New / Open: everything changed
    analysis_changed = Signal()  # after every edit; read `session.analysis`
    selection_changed = Signal(list)  # node ids
    dirty_changed = Signal(bool)  # unsaved changes or not
    path_changed = Signal(object)  # Path or None
    run_changed = Signal(object)  # Path of the training run to inspect, or None
    runs_written = Signal()  # runs made outside the Training dock (a sweep's trials): its run list is stale
    scope_changed = Signal()  # entered or left a user block: the canvas shows another graph
    notice = Signal(str)  # why an edit was not made, for the status bar

    def __init__(self, parent=None):
        super().__init__(parent)
        self.project = Project()
        self.path: Path | None = None
        self.run_dir: Path | None = None
        self.selection: list[str] = []
        self.scope = None  # the user block being edited inside (gui/canvas/scope.py), or None
        self._unsubscribe = None
        self.checker = None
        self._attach(self.project)

    # --- the project -------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The graph on the canvas: the project's, or a user block's inner graph while inside it."""
        return self.scope.graph if self.scope else self.project.graph

    def set_project(self, project: Project, path: Path | None = None, dirty: bool = False) -> None:
        """Replace the open project. `dirty`: it differs from `path` on disk (a restored journal).
        All or nothing: if preparing the new project raises, the old one stays open, path and all."""
        self._attach(project, Path(path) if path else None)
        inside, self.scope = self.scope is not None, None
        if dirty:
            self.stack.clean_index = None  # no undo step leads back to what is on disk
        self.path = Path(path) if path else None
        self.selection = []
        self.run_dir = None  # the panels show this project's runs, never the last one's
        if inside:
            self.scope_changed.emit()
        self.project_replaced.emit()
        self.analysis_changed.emit()
        self.path_changed.emit(self.path)
        self.dirty_changed.emit(dirty)
        # A big network: what stays while it is open (the network, its canvas items, the window)
        # is left out of the cycle collector's passes, which otherwise walk all of it every few
        # big edits (≈60 ms at 5,000 blocks). Collected first, so the project just closed is
        # freed; reference cycles among what is frozen now (items of blocks deleted later) wait
        # for the next open. A small one does not pay for that collection.
        gc.unfreeze()
        if len(project.graph.nodes) >= FREEZE_FROM:
            gc.collect()
            gc.freeze()

    def _attach(self, project: Project, path: Path | None = None) -> None:
        stack, checker = UndoStack(project.graph), Checker(project.graph)
        try:
            analysis = self._analyze(checker.analysis, project, path)  # may raise: nothing swapped yet
        except BaseException:
            checker.close()
            raise
        if self._unsubscribe:
            self._unsubscribe()
            self.stack_unsubscribe()
            self.checker.close()
        self.project, self.stack, self.checker, self.analysis = project, stack, checker, analysis
        self.top_analysis = analysis
        self._unsubscribe = project.graph.subscribe(self._on_graph_event)
        self.stack_unsubscribe = self.stack.subscribe(lambda: self.dirty_changed.emit(self.dirty))

    def _on_graph_event(self, event) -> None:
        if event.kind == "changed":
            self.analysis = self.top_analysis = self._analyze(self.checker.update())
            if self.scope is not None and self._follow_scope():
                self.analysis = self.scope.analysis
            self.selection = [n for n in self.selection if n in self.graph.nodes]
            self.analysis_changed.emit()

    # --- inside a user block ---------------------------------------------------------------
    def _follow_scope(self) -> bool:
        """After an edit of the project's graph: the inner graph shown follows its block (rebuilt
        after an undo; left when the block is gone). Whether still inside."""
        scope = self.scope
        if not scope.valid():
            self.scope = None
            self.scope_changed.emit()
            return False
        if scope.stale():
            scope.rebuild(self.top_analysis)
            self.scope_changed.emit()
        else:
            scope.update()
        return True

    def enter(self, node_id: str) -> bool:
        """Show a user block's inner graph on the canvas (inside the one shown now)."""
        from .canvas.scope import Scope
        node = self.graph.nodes.get(node_id)
        if node is None or node.type != "Custom":
            return False
        from ..core.blocks import BlockError
        try:
            self.scope = Scope(self.project.graph, self.top_analysis, (self.scope.path if self.scope else []) + [node_id])
        except BlockError as e:
            self.notice.emit(e.message)
            return False
        self._show_scope()
        return True

    def leave(self, levels: int = 0) -> None:
        """Back out to `levels` user blocks deep (0: the project's network)."""
        if self.scope is None:
            return
        from .canvas.scope import Scope
        path = self.scope.path[:levels]
        self.scope = Scope(self.project.graph, self.top_analysis, path) if path else None
        self._show_scope()

    def _show_scope(self) -> None:
        self.analysis = self.scope.analysis if self.scope else self.top_analysis
        self.selection = []
        self.scope_changed.emit()
        self.selection_changed.emit([])
        self.analysis_changed.emit()

    def _analyze(self, checked: Analysis, project: Project | None = None, path: Path | None = None) -> Analysis:
        """The graph's checks (re-checked incrementally), plus whether it fits the project's
        dataset and this machine's memory (as warnings). `changed` also names the blocks whose
        fit warning came or went."""
        from ..core.data.registry import resolve_path
        from ..core.train.budget import memory_problem
        from ..core.train.fit import fit_problems
        project, path = (project, path) if project else (self.project, self.path)
        dataset = resolve_path(project.dataset, path.parent if path else None)  # beside the project file
        fit = fit_problems(project.graph, checked, dataset)
        too_big = memory_problem(checked, project.dataset, project.training)
        fit += [too_big] if too_big else []
        a = copy.copy(checked)
        a.problems = checked.problems + fit
        a.__dict__.pop("_by_node", None)  # an index of the checked problems alone
        before = getattr(self, "_fit", []) if project is self.project else []
        if a.changed is not None and fit != before:
            a.changed = a.changed | {p.node for p in fit + before if p.node}
        self._fit = fit
        if project is self.project:
            self._offer_last_valid(a)
        return a

    def _offer_last_valid(self, a: Analysis) -> None:
        """A value the user just typed broke a block that was fine: the fix a person picks first
        is the value it had (kernel 50 → back to 5), not the largest value that would fit."""
        st = getattr(self, "stack", None)  # none yet while the first project is attached
        top = st.commands[st.index - 1] if st and st.index else None
        if not isinstance(top, SetParams) or not hasattr(self, "analysis"):
            return
        if any(p.node == top.node_id and p.severity == "error" for p in self.analysis.problems):
            return  # it was broken before this edit too: the old value is no fix
        back = {k: top.old[k] for k in top.new if k in top.old and top.new[k] != top.old[k]}
        if not back:
            return
        fix = Fix("Back to " + ", ".join(_said(k, v, top.new[k]) for k, v in back.items()), "set_params", {"params": back})
        # new Problem objects: the checker keeps its own, unchanged, for the next edit
        a.problems = [dataclasses.replace(p, fix=fix) if p.node == top.node_id and p.severity == "error" else p
                      for p in a.problems]
        a.__dict__.pop("_by_node", None)
        if a.changed is not None:
            a.changed = a.changed | {top.node_id}

    # --- edits and selection -------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Run an edit as one undo step. A shape typed as C, then H, then W is one step.
        Inside a user block, the edit is made on its inner graph and recorded as a change of
        the block (so the outer checks and undo follow it)."""
        if self.scope is not None:
            self._push_inside(command)
            return
        st = self.stack
        top = st.commands[-1] if st.index and st.index == len(st.commands) else None
        if (isinstance(command, SetParams) and isinstance(top, SetParams) and top.node_id == command.node_id
                and _changed(top) == _changed(command) == {"shape"} and st.clean_index != st.index):
            self._merge(top, command)
            return
        st.push(command)

    def _push_inside(self, command: Command) -> None:
        from ..core.analysis.make_block import EditInside
        from ..core.blocks.custom import MAX_DEPTH, depth
        scope = self.scope
        command.do(scope.graph)
        params, rebuild = scope.params_after_edit(self.top_analysis, getattr(command, "moved", None))
        top = scope.path[0]
        if depth(params) > MAX_DEPTH:  # a file could not be opened again
            command.undo(scope.graph)
            scope.source = self.project.graph.nodes[top].params
            self.notice.emit(f"Not done: user blocks can be nested {MAX_DEPTH} deep, and this would be deeper.")
            return
        if params == self.project.graph.nodes[top].params:  # moved blocks: the view's own business
            self.analysis = scope.update()
            self.analysis_changed.emit()
            return
        if rebuild:
            scope.source = None  # the edit changed an exposed parameter: show all it sets
        names = scope.names()
        self.stack.push(EditInside(self.project.graph, top, params, f"Inside {names[-1]}: {command.label}"))

    def _merge(self, top: Command, command: Command) -> None:
        """Fold `command` into the step on top of the stack (same kind, same target)."""
        top.new, top.label = command.new, command.label
        top.do(self.graph)
        if top.new == top.old:  # back where it started: no step at all
            del self.stack.commands[-1]
            self.stack.index -= 1
        self.graph.emit("changed")
        self.dirty_changed.emit(self.dirty)

    def apply_fix(self, problem) -> None:
        """A problem's one-click fix: an edit of the graph, or of the dataset settings."""
        fix = problem.fix
        if fix.action == "set_dataset":
            self.set_settings({**self.project.dataset, **fix.args["dataset"]}, self.project.training)
        else:
            self.push(fix_command(self.graph, problem.node, fix))

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
        """Change the dataset and training settings: an undo step like any edit. Steps of one
        field in a row (a spin box's arrows) merge into one, unless the project was saved between."""
        p = self.project
        if (dataset, training) == (p.dataset, p.training):
            return
        command = SetSettings(p, dataset, training)
        st = self.stack
        top = st.commands[-1] if st.index and st.index == len(st.commands) else None
        if isinstance(top, SetSettings) and top.label == command.label and st.clean_index != st.index:
            self._merge(top, command)
            return
        st.push(command)

    def set_weights(self, name: str | None) -> None:
        """The project's starting weights (a file beside it): unsaved work until saved."""
        if name != self.project.weights:
            self.project.weights = name
            self._settings_dirty = True
            self.dirty_changed.emit(True)

    def mark_saved(self, path: Path) -> None:
        self.path = Path(path)
        self.stack.set_clean()
        self.path_changed.emit(self.path)

    @property
    def dirty(self) -> bool:
        return not self.stack.is_clean

    def set_run(self, run_dir: Path | None) -> None:
        self.run_dir = Path(run_dir) if run_dir else None
        self.run_changed.emit(self.run_dir)


def _said(name: str, old, new) -> str:
    """"kernel_size 5"; a user block's exposed values by their own names: "channels 6"."""
    if name == "values" and isinstance(old, dict) and isinstance(new, dict):
        return ", ".join(f"{k} {v}" for k, v in old.items() if new.get(k) != v)
    return f"{name} {old}"


def _changed(c: SetParams) -> set:
    return {k for k in c.new if c.new[k] != c.old.get(k)}
