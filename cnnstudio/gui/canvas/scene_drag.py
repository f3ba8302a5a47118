"""The scene's mouse: dragging a wire from a port to another block, and moving blocks (a
move is one undo step when the mouse is let go; one block let go over a wire is inserted
into it).

A mixin of GraphScene (scene.py).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from ...core.graph.commands import Macro, MoveNodes
from .edits import move_onto_wire
from .items import NodeItem, PortItem
from .wires import EdgeItem, wire_path


class SceneDrag:
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
            path_item.setPath(wire_path(a, b, self.direction))
            return
        super().mouseMoveEvent(e)
        for nid in self._press_positions:  # blocks being dragged take their wires along
            item = self.nodes.get(nid)
            if item is not None:
                item.update_wires()
        if self._press_positions:
            self.overview.refresh()

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
        if len(moved) == 1 and at is not None and self.notes.moved() is None:  # one unwired block let go over a wire: insert it
            (nid,) = moved
            wire = next((w for w in self.items(at) if isinstance(w, EdgeItem) and nid not in w.edge), None)
            command = move_onto_wire(self.session.graph, nid, wire.edge, self.direction) if wire else None
            if command is not None:
                self.session.push(command)
                return
        notes = self.notes.moved()
        blocks = MoveNodes(self.session.graph, moved) if moved else None
        if blocks and notes:  # dragged together: one step
            self.session.push(Macro(f"{blocks.label} and {notes.label.lower()}", [blocks, notes]))
        elif blocks or notes:
            self.session.push(blocks or notes)
