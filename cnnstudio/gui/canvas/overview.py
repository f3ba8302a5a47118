"""The zoomed-out canvas: every block a coloured box and every wire a line, drawn in a
handful of calls however big the network is.

Below `LOD_TEXT` (items.py) text is unreadable, and painting thousands of items one by one
is what made an idle repaint of a fitted 5,000-block canvas slow. So the blocks and wires
stay in the scene, hidden (Qt then skips them when painting and hit-testing, so the
overview also answers clicks and rubber bands), while the view paints them all over its
background. Items report their own changes here, so an edit costs
the overview only what it touched.
"""
from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QPen

from ..theme import ERROR
from .items import WIDTH


class Overview:
    def __init__(self, canvas):
        self.canvas = canvas  # the GraphScene
        self.active = False
        self._boxes: dict = {}  # node item → (colour, rect)
        self._lines: dict = {}  # wire item → line
        self._groups = None  # [(colour, [rects])], rebuilt from _boxes when they changed

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        self.active = on
        scene = self.canvas
        was, scene._syncing = scene._syncing, True  # hiding is not a change of selection
        try:
            for item in list(scene.nodes.values()) + list(scene.wires.values()):
                item.setVisible(not on)
            if not on:
                scene._select_from_session(scene.session.selection)
        finally:
            scene._syncing = was
        self.refresh()

    # --- what the items report -----------------------------------------------------------
    def node_changed(self, item) -> None:
        p = item.pos()
        color = ERROR if item.state == "error" else item.accent
        self._boxes[item] = (color, QRectF(p.x(), p.y(), WIDTH, item.height))
        self._changed()

    def wire_changed(self, wire) -> None:
        self._lines[wire] = QLineF(wire.start, wire.end)
        self._changed()

    def removed(self, item) -> None:
        if self._boxes.pop(item, None) is not None or self._lines.pop(item, None) is not None:
            self._changed()

    def clear(self) -> None:
        self._boxes.clear()
        self._lines.clear()
        self._changed()

    def _changed(self) -> None:
        self._groups = None

    def refresh(self) -> None:
        if self.active:
            for view in self.canvas.views():
                view.viewport().update()

    # --- clicks: transparent items take no mouse events, so the overview finds them ----------
    def node_at(self, scene_pos):
        for item, (_, rect) in self._boxes.items():
            if rect.contains(scene_pos):
                return item
        return None

    def nodes_in(self, scene_rect: QRectF) -> list:
        return [item for item, (_, rect) in self._boxes.items() if scene_rect.intersects(rect)]

    # --- painting --------------------------------------------------------------------------
    def paint(self, painter) -> None:
        """Into the view's background, in scene coordinates."""
        if not self.active:
            return
        if self._groups is None:
            groups: dict = {}
            for color, rect in self._boxes.values():
                groups.setdefault(color.rgba(), (color, []))[1].append(rect)
            self._groups = list(groups.values())
        painter.setRenderHint(painter.RenderHint.Antialiasing, False)  # boxes a few pixels wide
        painter.setPen(QPen(self.canvas.colors.wire, 0))  # hairlines at any zoom
        painter.drawLines(list(self._lines.values()))
        painter.setPen(Qt.NoPen)
        for color, rects in self._groups:
            painter.setBrush(color)
            painter.drawRects(rects)
        nodes = self.canvas.nodes
        selected = [self._boxes[nodes[n]][1] for n in self.canvas.session.selection
                    if n in nodes and nodes[n] in self._boxes]
        if selected:
            pen = QPen(self.canvas.colors.selected, 3)
            pen.setCosmetic(True)  # three pixels wide whatever the zoom
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRects(selected)
