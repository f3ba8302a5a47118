"""The properties panel: a form generated from the selected block's parameter specs.

Every finished edit becomes one undoable SetParams; the block's problems show inline,
under the field they concern, with their quick fix.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QDockWidget, QFormLayout, QLabel, QMenu, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from ..core.blocks import CATALOGUE
from ..core.blocks.custom import TYPE as USER_TYPE
from ..core.blocks.custom import form_params, get_value, with_value
from ..core.blocks.custom import label as user_label
from ..core.graph.commands import SetParams
from .param_editors import make_editor
from .text import fmt_count, fmt_shape
from .theme import category_icon


class PropertiesDock(QDockWidget):
    vary_requested = Signal(str, object, object)  # node id, Param, its value: "Vary in an experiment…"

    def __init__(self, session, parent=None):
        super().__init__("Properties", parent)
        self.setObjectName("PropertiesDock")
        self.session = session
        self.node_id: str | None = None
        self.node_type: str | None = None
        self.editors: dict = {}
        self.field_errors: dict[str, QLabel] = {}
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # wrap, never scroll sideways
        self.setWidget(self.scroll)
        session.selection_changed.connect(lambda ids: self.refresh())
        session.analysis_changed.connect(self.refresh)
        session.project_replaced.connect(self.refresh)
        self.refresh()

    # --- building the form -----------------------------------------------------------------
    def refresh(self) -> None:
        sel = self.session.selection
        node = self.session.graph.nodes.get(sel[0]) if len(sel) == 1 else None
        if node is None:
            self.node_id = self.node_type = None
            self.editors = {}
            self._message("Select a block to see and edit its parameters." if not sel
                          else f"{len(sel)} blocks selected. Select one to edit it.")
            return
        if (node.id, node.type, self._names(node)) != (self.node_id, self.node_type, getattr(self, "names", None)):
            self._build(node)
        self._update_values(node)

    @staticmethod
    def _names(node) -> tuple:
        return tuple(p.name for p in form_params(node.type, node.params))

    def _message(self, text: str) -> None:
        w = QLabel(text)
        w.setObjectName("hint")
        w.setWordWrap(True)
        w.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        w.setContentsMargins(10, 10, 10, 10)
        self.scroll.setWidget(w)

    def _build(self, node) -> None:
        self._problems_key, self._shown = None, 0  # a fresh form shows its problems anew
        spec = CATALOGUE[node.type]
        self.node_id, self.node_type, self.names = node.id, node.type, self._names(node)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(8)
        head = QLabel()
        head.setTextFormat(Qt.RichText)
        title = user_label(node.params) if node.type == USER_TYPE else node.type
        head.setText(f"<span style='font-size:13pt; font-weight:600'>{title}</span>"
                     f"&nbsp;&nbsp;<span style='color:gray'>{node.id}</span>")
        icon = QLabel()
        icon.setPixmap(category_icon(spec.category).pixmap(22, 22))
        row = QWidget()
        rl = QFormLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addRow(icon, head)
        lay.addWidget(row)
        helptext = QLabel(spec.help)
        helptext.setObjectName("hint")
        helptext.setWordWrap(True)
        lay.addWidget(helptext)
        if node.type == USER_TYPE:
            inside = QPushButton("Edit inside")
            inside.setObjectName("edit_inside")
            inside.setToolTip("Show this block's layers on the canvas to edit them (the breadcrumb leads back)")
            # after the click: entering rebuilds this form, button and all
            inside.clicked.connect(lambda: QTimer.singleShot(0, lambda: self.session.enter(self.node_id)))
            lay.addWidget(inside)
        self.shape_label = QLabel()
        self.shape_label.setObjectName("totals")
        lay.addWidget(self.shape_label)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow dock: the label goes above, nothing clips
        form.setVerticalSpacing(4)
        self.editors, self.field_errors = {}, {}
        params = form_params(node.type, node.params)
        scope = self.session.scope
        shared = scope.exposed(node.id) if scope is not None else {}  # set by the enclosing block
        for p in params:
            ed = make_editor(p)
            ed.setObjectName(f"param_{p.name}")
            ed.changed.connect(lambda name=p.name: self.commit(name))
            err = QLabel()
            err.setObjectName("fieldError")
            err.setWordWrap(True)
            err.hide()
            holder = QWidget()
            hl = QVBoxLayout(holder)
            hl.setContentsMargins(0, 0, 0, 0)
            hl.setSpacing(2)
            hl.addWidget(ed)
            hl.addWidget(err)
            label = QLabel(p.name.replace("_", " "))
            label.setObjectName(f"label_{p.name}")
            label.setToolTip(p.help)
            if scope is not None and node.type == "Input":  # a block's input is whatever feeds it
                ed.setEnabled(False)
                label.setText(f"{label.text()}<br><span style='color:gray'>= what feeds {scope.names()[-1]}</span>")
                label.setToolTip("Inside a block of your own, its Input takes the shape of whatever feeds the "
                                 "block: change the layers before the block to change it.")
            if p.name in shared:
                block = scope.names()[-1]
                label.setText(f"{label.text()}<br><span style='color:gray'>= {block}'s {shared[p.name]}</span>")
                label.setToolTip(f"{p.help}\n\nThe block {block} sets it with its own parameter "
                                 f"{shared[p.name]}: a change here changes that, and every layer it sets.")
            if scope is None:  # a block of the project itself: a sweep names it block.param
                label.setContextMenuPolicy(Qt.CustomContextMenu)
                label.customContextMenuRequested.connect(lambda at, p=p, w=label: self._param_menu(p, w.mapToGlobal(at)))
            form.addRow(label, holder)
            self.editors[p.name] = ed
            self.field_errors[p.name] = err
        if not params:
            none = QLabel("This block has no parameters.")
            none.setObjectName("hint")
            form.addRow(none)
        lay.addLayout(form)
        self.problem_box = QVBoxLayout()
        self.problem_box.setSpacing(6)
        lay.addLayout(self.problem_box)
        lay.addStretch(1)
        self.scroll.setWidget(body)

    def _update_values(self, node) -> None:
        for name, ed in self.editors.items():
            ed.set_value(get_value(node.type, node.params, name))
        a = self.session.analysis
        info = a.info.get(node.id)
        if info and info.out:
            ins = " + ".join(fmt_shape(s) for s in info.in_shapes or []) or "—"
            self.shape_label.setText(f"{ins} → {fmt_shape(info.shape)}   ·   "
                                     f"{fmt_count(info.out.params)} params")
        else:
            self.shape_label.setText("output shape unknown")
        problems = a.problems_for(node.id)
        key = [(p.severity, p.message) for p in problems]
        if key == getattr(self, "_problems_key", None) and self.problem_box.count() == self._shown:
            return
        self._problems_key = key
        for err in self.field_errors.values():
            err.hide()
        while self.problem_box.count():
            w = self.problem_box.takeAt(0).widget()
            if w:
                w.deleteLater()
        for p in problems:
            field = next((n for n in self.editors if p.message.startswith(f"{node.id}: {n} ")), None)
            if field:  # a range error belongs under its field
                self.field_errors[field].setText(p.message.split(": ", 1)[1])
                self.field_errors[field].show()
            label = QLabel(("✖ " if p.severity == "error" else "⚠ ") + p.message)
            label.setWordWrap(True)
            label.setObjectName("fieldError" if p.severity == "error" else "")
            self.problem_box.addWidget(label)
            if p.fix:
                b = QPushButton(f"Fix: {p.fix.label}")
                b.clicked.connect(lambda _=False, p=p: self.session.apply_fix(p))
                self.problem_box.addWidget(b)
        self._shown = self.problem_box.count()

    def _param_menu(self, param, at) -> None:
        node = self.session.graph.nodes.get(self.node_id)
        if node is None:
            return
        self.param_menu = QMenu(self)
        act = self.param_menu.addAction("Vary in an experiment…")
        act.triggered.connect(lambda: self.vary_requested.emit(node.id, param, get_value(node.type, node.params, param.name)))
        self.param_menu.popup(at)

    # --- applying edits --------------------------------------------------------------------
    def commit(self, name: str) -> None:
        node = self.session.graph.nodes.get(self.node_id)
        if node is None:
            return
        value = self.editors[name].value()
        if get_value(node.type, node.params, name) == value:
            return
        command = SetParams(self.session.graph, node.id, with_value(node.type, node.params, name, value))
        command.label = f"Set {node.id} {name}={value}"
        self.session.push(command)
