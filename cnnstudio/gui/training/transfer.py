"""Transfer learning in one place: the weights the next run starts from, which blocks are
frozen, and the learning rate of the frozen-or-not backbone. Freezing is an undo step on the
graph (the canvas draws the locks); starting from a run copies its best weights beside the
project as the project's starting weights (core.train.transfer.adopt_run_weights)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel

from ...core.graph.commands import Macro, SetFrozen
from ...core.train.transfer import adopt_run_weights, adopted_name, ancestors

FRESH, PROJECT, CUSTOM = "", "project", "custom"


class LazyCombo(QComboBox):
    """Shows one line (the current choice) and lists every choice only when opened: a
    network of thousands of blocks must not rebuild a long list after every edit."""

    def __init__(self, entries, parent=None):
        super().__init__(parent)
        self.entries = entries  # () -> [(text, data)], every choice

    def showPopup(self) -> None:
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        for text, data in self.entries():
            self.addItem(text, data)
        self.setCurrentIndex(max(self.findData(current), 0))
        self.blockSignals(False)
        super().showPopup()

    def show_only(self, text: str, data) -> None:
        self.blockSignals(True)
        self.clear()
        self.addItem(text, data)
        self.blockSignals(False)


class TransferBox(QGroupBox):
    said = Signal(str, bool)  # a message for the dock's status line, and whether it is an error

    def __init__(self, session, backbone_lr, parent=None):
        """`backbone_lr`: the settings form's "backbone lr ×" spin box (its value is the form's).
        The project's runs come from the run box's list (`refresh_runs`), read once for both."""
        super().__init__("Transfer learning", parent)
        self.session, self.runs = session, []
        self.start_from = QComboBox()
        self.start_from.setToolTip("The weights the next run starts from. A run's best weights are copied beside "
                                   "the project and become its starting weights (saved with it).")
        self.start_from.activated.connect(self._start_from_chosen)
        self.freeze = LazyCombo(self._freeze_entries)
        self.freeze.setToolTip("Frozen blocks keep their weights (BatchNorm its statistics) while the rest trains; "
                               "the canvas draws them with a lock. One undo step.")
        self.freeze.activated.connect(self._freeze_chosen)
        self.frozen_note = QLabel()
        self.frozen_note.setWordWrap(True)
        backbone_lr.setToolTip("Every block but the head trains at the learning rate × this (e.g. 0.1 to "
                               "fine-tune a pretrained backbone gently)")
        for combo in (self.start_from, self.freeze):  # run and block names are long: the list shows them whole
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
        f = QFormLayout(self)
        f.addRow("start from", self.start_from)
        f.addRow("freeze", self.freeze)
        f.addRow("backbone lr ×", backbone_lr)
        f.addRow(self.frozen_note)
        self._stale = True
        session.analysis_changed.connect(self._changed)
        session.project_replaced.connect(self._changed)

    # --- start from -------------------------------------------------------------------------
    def refresh_runs(self, runs: list | None = None) -> None:
        """The choices of weights: fresh, the project's file, each run's best (`runs`: the
        project's runs, newest first, when they were read again: a run started or ended, the
        project was opened or saved)."""
        if runs is not None:
            self.runs = runs
        s = self.session
        combo = self.start_from
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("fresh (random) weights", FRESH)
        if s.project.weights:
            combo.addItem(f"the project's weights ({s.project.weights})", PROJECT)
        saved = s.path is not None
        for run in self.runs:
            if has_weights(run.path):
                combo.addItem(f"best weights of {run.path.name}", str(run.path))
                if not saved:
                    combo.model().item(combo.count() - 1).setEnabled(False)
        current = PROJECT if s.project.weights else FRESH
        if s.project.weights and s.path:
            for i in range(combo.count()):
                data = combo.itemData(i)
                if data not in (FRESH, PROJECT) and s.project.weights == adopted_name(s.path, data):
                    current = data
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.setToolTip(combo.toolTip().split("\n")[0] + ("" if saved else "\nSave the project to start "
                                                           "from a run's weights."))
        combo.blockSignals(False)

    def _start_from_chosen(self, *_) -> None:
        s, data = self.session, self.start_from.currentData()
        if data == FRESH:
            s.set_weights(None)
            self.said.emit("The next run starts from fresh weights.", False)
        elif data not in (PROJECT, None):
            try:
                name = adopt_run_weights(Path(data), s.path)
            except (ValueError, OSError, TypeError) as e:
                self.said.emit(str(e), True)
                self.refresh_runs()
                return
            s.set_weights(name)
            self.said.emit(f"The next run starts from {name} (the best weights of {Path(data).name}); "
                           "save the project to keep this.", False)
        self.refresh_runs()

    # --- freezing ---------------------------------------------------------------------------
    def _changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh_freeze()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh_freeze()

    def refresh_freeze(self) -> None:
        """The freeze choice that matches the graph now, and how much of it is frozen."""
        self._stale = False
        graph, analysis = self.session.project.graph, self.session.top_analysis
        weighted = weighted_blocks(graph, analysis)
        frozen = [n for n in weighted if graph.nodes[n].frozen]
        if not frozen:
            self.freeze.show_only("nothing: train every block", FRESH)
        else:
            before = frozen_before(graph, weighted, set(frozen))
            if before:
                self.freeze.show_only(f"everything before {before}", before)
            else:
                self.freeze.show_only(f"{len(frozen)} blocks chosen on the canvas", CUSTOM)
        params = {n: analysis.info[n].out.params for n in weighted}
        total, kept = sum(params.values()), sum(params[n] for n in frozen)
        self.frozen_note.setText(f"{len(frozen)} of {len(weighted)} blocks with weights frozen "
                                 f"({kept:,} of {total:,} parameters)." if frozen else
                                 f"Every block trains ({total:,} parameters).")

    def _freeze_entries(self):
        graph, analysis = self.session.project.graph, self.session.top_analysis
        weighted = weighted_blocks(graph, analysis)
        head = head_of(graph, analysis)
        out = [("nothing: train every block", FRESH)]
        if any(graph.nodes[n].frozen for n in weighted) and self.freeze.currentData() == CUSTOM:
            out.append((self.freeze.currentText(), CUSTOM))
        out += [(f"everything before {n}" + (" (the head)" if n == head else ""), n) for n in weighted[1:]]
        return out

    def _freeze_chosen(self, *_) -> None:
        data = self.freeze.currentData()
        if data == CUSTOM:
            return
        graph, analysis = self.session.project.graph, self.session.top_analysis
        weighted = weighted_blocks(graph, analysis)
        want = set() if data == FRESH else set(weighted_ancestors(graph, weighted, data))
        thaw = [n for n in graph.nodes if graph.nodes[n].frozen and n not in want]
        lock = [n for n in weighted if n in want and not graph.nodes[n].frozen]
        steps = ([SetFrozen(graph, thaw, False)] if thaw else []) + ([SetFrozen(graph, lock, True)] if lock else [])
        if steps:
            label = "Unfreeze every block" if data == FRESH else f"Freeze everything before {data}"
            self.session.push(Macro(label, steps))


def has_weights(run_dir: Path) -> bool:
    from ...core.train.pointer import checkpoint_file
    f = checkpoint_file(run_dir, "best")
    return f is not None and f.exists()


def weighted_blocks(graph, analysis) -> list[str]:
    """Blocks with parameters or buffers, in data-flow order (a block added later is listed
    where it sits in the network, not last)."""
    order, _ = graph.topological_order()
    placed = set(order)
    out = []
    for n in order + [n for n in graph.nodes if n not in placed]:  # any left out of the order (a cycle) last
        info = analysis.info.get(n)
        if info and info.out and (info.out.params or info.out.buffers):
            out.append(n)
    return out


def weighted_ancestors(graph, weighted, node_id) -> list[str]:
    feeding = set(ancestors(graph, node_id))
    return [n for n in weighted if n in feeding]


def frozen_before(graph, weighted, frozen: set, tries: int = 5) -> str | None:
    """The block whose weighted ancestors are exactly the frozen ones, if any: looked for among
    the first few unfrozen blocks after the last frozen one (in data-flow order)."""
    order = graph.topological_order()[0]
    last = max((order.index(n) for n in frozen if n in order), default=-1)
    weighted_set = set(weighted)
    for n in [n for n in order[last + 1:] if n in weighted_set and n not in frozen][:tries]:
        if set(weighted_ancestors(graph, weighted, n)) == frozen:
            return n
    return None


def head_of(graph, analysis) -> str | None:
    from ...core.train.head import find_head
    try:
        head = find_head(graph, analysis) if analysis.ok else None
    except Exception:  # noqa: BLE001 - no recognisable head: nothing marked
        return None
    return head.layer if head else None
