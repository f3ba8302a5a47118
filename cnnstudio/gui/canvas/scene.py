"""The graph as a QGraphicsScene: mirrors the session's graph and analysis, and turns
gestures (wire drags, moves, quick fixes) into undoable commands.

After every edit the scene diffs the graph against its items, so only blocks whose
text changed are repainted; that keeps a 500-block network responsive.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QMenu

from ...core.blocks import CATALOGUE, inner_layers
from ...core.commands import MoveNodes
from ..text import fmt_count, fmt_shape, key_params
from ..theme import CanvasColors
from . import edits
from .items import EdgeItem, NodeItem, PortItem, wire_path


class GraphScene(QGraphicsScene):
    message = Signal(str)  # a short note for the status bar (e.g. why a wire was refused)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.colors = CanvasColors()
        self.setBackgroundBrush(self.colors.background)
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[tuple, EdgeItem] = {}
        self._syncing = False
        self._drag_wire = None  # (start port, temporary path item)
        self._press_positions: dict[str, tuple] = {}
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        session.project_replaced.connect(self.rebuild)
        session.analysis_changed.connect(self.sync)
        session.selection_changed.connect(self._select_from_session)
        self.selectionChanged.connect(self._selection_to_session)
        self.rebuild()

    # --- mirroring the model ------------------------------------------------------------
    def rebuild(self) -> None:
        self._syncing = True
        try:
            for item in list(self.wires.values()) + list(self.nodes.values()):
                self.removeItem(item)
            self.nodes.clear()
            self.wires.clear()
        finally:
            self._syncing = False
        self.sync()

    def sync(self) -> None:
        g, a = self.session.graph, self.session.analysis
        self._syncing = True
        try:
            edits.place_missing(g)
            for nid in [n for n in self.nodes if n not in g.nodes]:
                item = self.nodes.pop(nid)
                for e in list(item.edges):
                    self._remove_wire(e.edge)
                self.removeItem(item)
            graph_edges = set(g.edges)
            for edge in [e for e in self.wires if e not in graph_edges]:
                self._remove_wire(edge)
            by_node: dict[str, list] = {}
            for p in a.problems:
                by_node.setdefault(p.node, []).append(p)
            for nid, node in g.nodes.items():
                item = self.nodes.get(nid)
                if item is None or item.type != node.type:
                    if item is not None:
                        self.removeItem(item)
                    spec = CATALOGUE[node.type]
                    item = NodeItem(self, nid, node.type, spec.category, spec.inputs, self.colors)
                    self.nodes[nid] = item
                    self.addItem(item)
                if (item.pos().x(), item.pos().y()) != tuple(node.pos):
                    item.setPos(QPointF(*node.pos))
                self._update_node(item, node, a, by_node.get(nid, []))
            edge_set = set(self.wires)
            for e in g.edges:
                if e not in edge_set:
                    w = EdgeItem(self.nodes[e[0]], self.nodes[e[1]], self.colors)
                    self.wires[e] = w
                    self.addItem(w)
            wire_problems = {p.edge: p for p in a.problems if p.edge}
            shapes = {}
            for e, w in self.wires.items():
                if e[0] not in shapes:
                    info = a.info.get(e[0])
                    shapes[e[0]] = fmt_shape(info.shape) if info and info.shape else ""
                p = wire_problems.get(e)
                w.set_label(shapes[e[0]], p is not None, p.message if p else f"{e[0]} → {e[1]}")
            self._select_from_session(self.session.selection)
        finally:
            self._syncing = False

    def _update_node(self, item: NodeItem, node, a, problems) -> None:
        info = a.info.get(node.id)
        # skip blocks whose inputs to the texts did not change (most of them, after one edit)
        # (commands replace a node's params dict on every change, so identity tells "unchanged";
        # the item holds a reference, so the id cannot be reused)
        key = (info and info.in_shapes and tuple(info.in_shapes), info and info.out and (info.out.shape, info.out.params),
               tuple((p.severity, p.message) for p in problems), node.frozen)
        if item.key == key and item.params_ref is node.params:
            return
        item.set_frozen(node.frozen)
        item.key, item.params_ref = key, node.params
        errors = [p for p in problems if p.severity == "error"]
        state = "error" if errors else ("warning" if problems else None)
        shape = fmt_shape(info.shape) if info and info.shape else ("error" if errors else "?")
        count = f"{fmt_count(info.out.params)} params" if info and info.out and info.out.params else ""
        spec = CATALOGUE[node.type]
        tip = [f"<b>{node.type}</b> {node.id}: {spec.help}"]
        if node.frozen:
            tip.append("🔒 Frozen: its parameters are not trained (BatchNorm keeps its statistics).")
        tip += [("✖ " if p.severity == "error" else "⚠ ") + p.message
                + (f"<br><i>Quick fix: {p.fix.label}</i>" if p.fix else "") for p in problems]
        fix = next((p.fix for p in errors + problems if p.fix), None)
        inner = inner_layers(node.type, node.params, info.in_shapes[0] if info and info.in_shapes else None) \
            if spec.category == "Composite" else []
        item.set_content(key_params(node), shape, count, state, "<br>".join(tip), fix, inner)

    def _remove_wire(self, edge) -> None:
        w = self.wires.pop(edge, None)
        if w is not None:
            w.detach()
            self.removeItem(w)

    # --- selection -----------------------------------------------------------------------
    def _selection_to_session(self) -> None:
        if self._syncing:
            return
        ids = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        order = list(self.session.graph.nodes)
        self.session.select(sorted(ids, key=order.index))

    def _select_from_session(self, ids) -> None:
        was = self._syncing
        self._syncing = True
        try:
            want = set(ids)
            for nid, item in self.nodes.items():
                if item.isSelected() != (nid in want):
                    item.setSelected(nid in want)
        finally:
            self._syncing = was

    def selected_edges(self) -> list[tuple]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    # --- commands from gestures -----------------------------------------------------------
    def apply_fix(self, node_id: str, problem=None) -> bool:
        a = self.session.analysis
        problems = [problem] if problem else [p for p in a.problems_for(node_id) if p.fix]
        problems.sort(key=lambda p: p.severity != "error")
        if not problems or not problems[0].fix:
            return False
        p = problems[0]
        self.session.apply_fix(p)
        self.message.emit(f"Applied: {p.fix.label}")
        return True

    def drop_block(self, type_: str, scene_pos: QPointF) -> str:
        """A block dropped at `scene_pos` (its centre lands there); onto a wire, it is inserted."""
        wire = self.wire_at(scene_pos)
        from .items import BASE_HEIGHT, WIDTH
        pos = (round(scene_pos.x() - WIDTH / 2), round(scene_pos.y() - BASE_HEIGHT / 2))
        command, nid = edits.add_block(self.session.graph, type_, pos, wire.edge if wire else None)
        self.session.push(command)
        self.session.select([nid])
        return nid

    def append_block(self, type_: str, after: str) -> str:
        command, nid = edits.append_after(self.session.graph, type_, after)
        self.session.push(command)
        self.session.select([nid])
        return nid

    def wire_at(self, scene_pos: QPointF):
        for item in self.items(scene_pos):
            if isinstance(item, EdgeItem):
                return item
            if isinstance(item, NodeItem):
                return None
        return None

    def connect_nodes(self, source: str, target: str) -> bool:
        command, why = edits.connect(self.session.graph, source, target)
        if command is None:
            self.message.emit(why)
            return False
        self.session.push(command)
        return True

    def node_context_menu(self, item: NodeItem, screen_pos) -> None:
        if not item.isSelected():
            self.session.select([item.node_id])
        menu = QMenu()
        for p in self.session.analysis.problems_for(item.node_id):
            if p.fix:
                menu.addAction(f"Fix: {p.fix.label}", lambda p=p: self.apply_fix(item.node_id, p))
        if item.expand_chip:
            menu.addAction("Hide inner layers" if item.expanded else "Show inner layers",
                           lambda: item.set_expanded(not item.expanded))
        menu.addAction("Delete", lambda: self.views()[0].delete_selection())
        menu.exec(screen_pos)

    # --- mouse: wire drags and moves ------------------------------------------------------
    def mousePressEvent(self, e):
        item = self.itemAt(e.scenePos(), self.views()[0].transform()) if self.views() else None
        if e.button() == Qt.LeftButton and isinstance(item, PortItem):
            path = QGraphicsPathItem()
            path.setPen(QPen(self.colors.selected, 2, Qt.DashLine))
            path.setZValue(10)
            self.addItem(path)
            self._drag_wire = (item, path)
            e.accept()
            return
        super().mousePressEvent(e)
        self._press_positions = {i.node_id: (i.pos().x(), i.pos().y())
                                 for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, e):
        if self._drag_wire:
            port, path_item = self._drag_wire
            a, b = port.scene_center(), e.scenePos()
            if port.kind == "in":
                a, b = b, a
            path_item.setPath(wire_path(a, b))
            return
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e):
        if self._drag_wire:
            port, path_item = self._drag_wire
            self._drag_wire = None
            self.removeItem(path_item)
            target = self._node_at(e.scenePos())
            if target is not None and target is not port.node:
                if port.kind == "out":
                    self.connect_nodes(port.node.node_id, target.node_id)
                else:
                    self.connect_nodes(target.node_id, port.node.node_id)
            return
        super().mouseReleaseEvent(e)
        self._commit_move(e.scenePos())

    def _node_at(self, scene_pos):
        for item in self.items(scene_pos):
            if isinstance(item, PortItem):
                return item.node
            if isinstance(item, NodeItem):
                return item
        return None

    def _commit_move(self, at=None) -> None:
        moved = {}
        for nid, old in self._press_positions.items():
            item = self.nodes.get(nid)
            if item is not None and (item.pos().x(), item.pos().y()) != old:
                moved[nid] = (round(item.pos().x()), round(item.pos().y()))
        self._press_positions = {}
        if len(moved) == 1 and at is not None:  # one unwired block let go over a wire: insert it
            (nid,) = moved
            wire = next((w for w in self.items(at) if isinstance(w, EdgeItem) and nid not in w.edge), None)
            command = edits.move_onto_wire(self.session.graph, nid, wire.edge) if wire else None
            if command is not None:
                self.session.push(command)
                return
        if moved:
            self.session.push(MoveNodes(self.session.graph, moved))
