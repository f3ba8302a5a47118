"""Make block: the dialog that names a selection's new user block and picks the inner
parameters it shows as its own, and the canvas and menu actions around user blocks."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLabel, QLineEdit,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from ...core.blocks.custom import MAX_REPEAT, TYPE
from ...core.graph.commands import Macro
from ...core.analysis.make_block import (MakeBlockError, boundary, candidates, definition, first_block, free_name,
                                inner_doc, keep_definition, make_block, suggest_name)
from ...core.project import ProjectError
from ...core.project.userlib import load_library, save_to_library
from ..text import fmt_value
from .placement import free_spot


class MakeBlockDialog(QDialog):
    """Name, repeat ×N, and a table of the inner parameters: tick one to make it the block's
    own (its name editable: out_channels → channels)."""

    def __init__(self, name: str, offered: list, parent=None, taken=()):
        super().__init__(parent)
        self.setWindowTitle("Make block")
        self.offered, self.taken = offered, set(taken)  # names of the blocks kept already
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit(name)
        self.name.setObjectName("block_name")
        self.name.selectAll()
        form.addRow("Name", self.name)
        self.repeat = QSpinBox()
        self.repeat.setObjectName("block_repeat")
        self.repeat.setRange(1, MAX_REPEAT)
        self.repeat.setPrefix("×")
        self.repeat.setToolTip("Run the block this many times in a row, each copy with its own weights")
        form.addRow("Repeat", self.repeat)
        lay.addLayout(form)
        hint = QLabel("Tick the inner parameters to edit on the block itself, and name them:")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.table = QTableWidget(len(offered), 3)
        self.table.setObjectName("block_params")
        self.table.setHorizontalHeaderLabels(["Block parameter", "Sets", "Value"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        for row, (key, targets, value) in enumerate(offered):
            item = QTableWidgetItem(key)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsEditable | Qt.ItemIsUserCheckable | Qt.ItemIsSelectable)
            item.setCheckState(Qt.Unchecked)
            self.table.setItem(row, 0, item)
            for col, text in ((1, ", ".join(f"{n}.{p}" for n, p in targets)), (2, fmt_value(value))):
                cell = QTableWidgetItem(text)
                cell.setFlags(Qt.ItemIsEnabled)
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        lay.addWidget(self.table, 1)
        self.keep = QCheckBox("Also save it in my blocks (the palette shows it in every project)")
        self.keep.setObjectName("block_keep")
        self.keep.setChecked(True)
        lay.addWidget(self.keep)
        self.replaces = QLabel()  # a name already kept: say that making this one replaces it
        self.replaces.setObjectName("block_replaces")
        self.replaces.setWordWrap(True)
        self.replaces.hide()
        lay.addWidget(self.replaces)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = buttons.button(QDialogButtonBox.Ok)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.name.textChanged.connect(self._name_changed)
        self.keep.toggled.connect(self._name_changed)
        self._name_changed()
        self.resize(520, 420)

    def _name_changed(self, *_) -> None:
        name = self.name.text().strip()
        clash = name in self.taken and self.keep.isChecked()
        self.replaces.setText(f"⚠ My blocks already has a block named {name}: this one will replace it there. "
                              "Give it another name to keep both." if clash else "")
        self.replaces.setVisible(clash)
        self.ok.setText(f"Make block, replace {name}" if clash else "Make block")

    def expose(self) -> dict:
        out = {}
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item.checkState() == Qt.Checked:
                out.setdefault(item.text().strip(), []).extend(self.offered[row][1])
        return out

    def _check(self) -> None:
        names = [self.table.item(r, 0).text().strip() for r in range(self.table.rowCount())
                 if self.table.item(r, 0).checkState() == Qt.Checked]
        bad = next((n for n in names if not n.isidentifier() or n == "repeat"), None)
        if not self.name.text().strip():
            why = "Give the block a name."
        elif bad is not None:
            why = f"“{bad}” cannot name a parameter: use letters, digits and _ (and not “repeat”)."
        else:
            self.accept()
            return
        self.error.setText(why)
        self.error.show()


def make_block_from_selection(window):
    """Edit → Make block: the dialog for the selected blocks, or a message saying why they
    cannot be one block. Returns the dialog (open, not modal) or None."""
    session = window.session
    graph, ids = session.graph, list(session.selection)
    try:
        source, _ = boundary(graph, ids)
    except MakeBlockError as e:
        window.statusBar().showMessage(f"Make block: {e}", 12000)
        return None
    info = session.analysis.info.get(source)
    shape = info.shape if info and info.shape else None
    try:
        library = load_library()
    except ProjectError:
        library = []  # (the palette says why it cannot read it)
    taken = {b["name"] for b in session.project.blocks + library}
    dlg = MakeBlockDialog(free_name(suggest_name(graph, ids), taken), candidates(inner_doc(graph, ids, source, shape)),
                          window, taken)
    dlg.accepted.connect(lambda: _make(window, ids, shape, dlg))
    dlg.open()
    window.make_block_dialog = dlg
    return dlg


def _make(window, ids, shape, dlg: MakeBlockDialog) -> None:
    session = window.session
    try:
        graph = session.graph
        at = graph.nodes[first_block(graph, ids, boundary(graph, ids)[0])].pos
        pos = free_spot(graph, at, ignore=ids, direction=window.canvas.graph_scene.direction) if at else None  # where the blocks it replaces were
        expose, moved = _still_exposed(session.scope, ids, dlg.expose())
        command, nid = make_block(graph, ids, dlg.name.text(), expose, dlg.repeat.value(), shape, pos)
    except MakeBlockError as e:  # the graph changed under the dialog
        window.statusBar().showMessage(f"Make block: {e}", 12000)
        return
    command.moved = {target: (nid, key) for target, key in moved.items()}  # (see gui/canvas/scope.py)
    record = _record(command, nid)
    if dlg.keep.isChecked():
        save_block(window, record)
    if session.scope is None:  # the project's own list (the palette's "in this project")
        command = Macro(command.label, [command, keep_definition(session.project, record)])
    session.push(command)
    session.select([nid])
    window.statusBar().showMessage(f"Made block {record['name']} ({nid}): right-click it → Edit inside to change "
                                   "its layers.", 8000)


def _still_exposed(scope, ids, expose: dict) -> tuple[dict, dict]:
    """Inside a block, the parameters the enclosing block exposes that the selection holds
    become the new block's own too (under the same name, unless ticked under another), so the
    enclosing block still sets them. → (expose, {(layer, parameter): the new block's key})."""
    expose = {k: [list(t) for t in v] for k, v in expose.items()}
    moved, made = {}, set()
    for n in ids if scope is not None else ():
        for pname, outer in scope.exposed(n).items():
            key = next((k for k, targets in expose.items() if [n, pname] in targets), None)
            if key is None:
                key = outer if outer not in expose or outer in made else f"{n}_{pname}"
                expose.setdefault(key, []).append([n, pname])
                made.add(key)
            moved[(n, pname)] = key
    return expose, moved


def _record(command, nid: str) -> dict:
    return definition(next(c.node.params for c in command.commands if getattr(c, "node", None) is not None
                           and c.node.id == nid and c.node.type == TYPE))


def save_block(window, record: dict) -> bool:
    record = definition(record)
    try:
        save_to_library(record)
    except (OSError, ProjectError) as e:
        window.statusBar().showMessage(f"Could not save {record['name']} in my blocks: {e}", 12000)
        return False
    window.palette.refresh_user_blocks()
    return True


def add_block_actions(menu, window, node_id: str | None = None) -> None:
    """The canvas menus' entries for user blocks: Make block from the selection; for a user
    block, Edit inside and Save in my blocks."""
    session = window.session
    sel = session.selection
    if node_id is not None and node_id not in sel:
        session.select([node_id])
        sel = session.selection
    menu.addSeparator()
    a = menu.addAction(f"Make block from {len(sel)} selected…" if len(sel) != 1 else "Make block…",
                       lambda: make_block_from_selection(window))
    a.setShortcut("Ctrl+G")
    a.setEnabled(bool(sel))
    node = session.graph.nodes.get(node_id) if node_id else None
    if node is not None and node.type == TYPE:
        menu.addAction("Edit inside", lambda: session.enter(node_id))
        menu.addAction("Save in my blocks", lambda: _save_from_menu(window, session.graph.nodes[node_id].params))


def _save_from_menu(window, record: dict) -> None:
    try:
        kept = {b["name"] for b in load_library()}
    except ProjectError:
        kept = set()
    if save_block(window, record):
        again = " (in place of the one kept there before)" if record["name"] in kept else ""
        window.statusBar().showMessage(f"Saved {record['name']} in my blocks{again}: the palette offers it in "
                                       "every project.", 8000)
