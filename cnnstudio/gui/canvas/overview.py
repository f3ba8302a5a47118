"""The zoomed-out canvas: every block a coloured box and every wire a line, drawn in a
handful of calls however big the network is.

Below `LOD_TEXT` (items.py) text is unreadable, and painting thousands of items one by one
is what made an idle repaint of a fitted 5,000-block canvas slow. So the blocks and wires
stay in the scene, hidden (Qt then skips them when painting and hit-testing, so the
overview also answers clicks and rubber bands), while the view paints them all over its
background. Items report their own changes here, so an edit costs
the overview only what it touched. What it draws is kept as a picture of the viewport until a
block or wire changes or the view moves: an edit or an idle repaint only copies it. The
minimap draws the same boxes and lines (`draw`).
"""
from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap

from ..theme import ERROR
from .items import WIDTH

LABELS_MAX = 300  # up to this many blocks the boxes carry their ids (a 3-column network fitted in Inspect)
LABEL_PX = 10  # the ids' height on screen, whatever the zoom


class Picture:
    """What a view's background shows, kept as a pixmap of the viewport until the view moves,
    resizes or `key` changes: repainting it is one copy."""

    def __init__(self):
        self._key = self._pixmap = None

    def clear(self) -> None:
        self._key = None

    def paint(self, painter, background, draw, key=()) -> None:
        """`draw(painter)` paints in scene coordinates over `background`, when the picture is stale."""
        device, t = painter.device(), painter.worldTransform()
        ratio = device.devicePixelRatioF()
        key = (t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy(), device.width(), device.height(), ratio,
               background.rgba(), *key)
        if key != self._key:
            self._pixmap = QPixmap(round(device.width() * ratio), round(device.height() * ratio))
            self._pixmap.setDevicePixelRatio(ratio)
            self._pixmap.fill(background)
            p = QPainter(self._pixmap)
            p.setTransform(t)
            draw(p)
            p.end()
            self._key = key
        painter.save()
        painter.resetTransform()
        painter.drawPixmap(0, 0, self._pixmap)
        painter.restore()


class Overview:
    def __init__(self, canvas):
        self.canvas = canvas  # the GraphScene
        self.active = False
        self._boxes: dict = {}  # node item → (colour, rect)
        self._corners: dict = {}  # node item → (left, top, right, bottom): the extent in one pass
        self._lines: dict = {}  # wire item → its segments
        self._groups = None  # [(colour, [rects])], rebuilt from _boxes when they changed
        self._picture = Picture()
        self._bounds = None  # the boxes' extent, when asked
        self._shown = None  # (version, selection) the views last painted
        self.version = 0  # counts changes: the minimap redraws when it moved

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        self.active = on
        self._shown = None
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
        self._corners[item] = (p.x(), p.y(), p.x() + WIDTH, p.y() + item.height)
        self._changed()

    def wire_changed(self, wire, points=None) -> None:
        """`points`: the wire's corners, drawn as its route (else a line from end to end)."""
        if points:
            self._lines[wire] = [QLineF(*p, *q) for p, q in zip(points, points[1:])]
        else:
            self._lines[wire] = [QLineF(wire.start, wire.end)]
        self._changed()

    def removed(self, item) -> None:
        self._corners.pop(item, None)
        if self._boxes.pop(item, None) is not None or self._lines.pop(item, None) is not None:
            self._changed()

    def clear(self) -> None:
        self._boxes.clear()
        self._corners.clear()
        self._lines.clear()
        self._changed()

    def _changed(self) -> None:
        self._groups = None
        self._picture.clear()
        self._bounds = None
        self.version += 1

    def bounds(self) -> QRectF:
        """Where the blocks are, in scene coordinates (the scene's own answer asks every item)."""
        if self._bounds is None:
            self._bounds = QRectF()
            if self._corners:
                left, top, right, bottom = zip(*self._corners.values())
                self._bounds = QRectF(QPointF(min(left), min(top)), QPointF(max(right), max(bottom)))
        return QRectF(self._bounds)

    def refresh(self) -> None:
        """Repaint the views, if what it shows (boxes, lines, selection) changed since they last did."""
        if self.active and self._shown != (self.version, self.canvas.session.selection):
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
        colors = self.canvas.colors
        self._shown = (self.version, list(self.canvas.session.selection))
        self._picture.paint(painter, colors.background, self.draw, (colors.wire.rgba(),))
        nodes = self.canvas.nodes
        selected = [self._boxes[nodes[n]][1] for n in self.canvas.session.selection
                    if n in nodes and nodes[n] in self._boxes]
        if selected:
            pen = QPen(colors.selected, 3)
            pen.setCosmetic(True)  # three pixels wide whatever the zoom
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRects(selected)

    def draw(self, painter) -> None:
        """Every block as a box and every wire as a line, in a handful of calls."""
        if self._groups is None:
            groups: dict = {}
            for color, rect in self._boxes.values():
                groups.setdefault(color.rgba(), (color, []))[1].append(rect)
            self._groups = list(groups.values())
        painter.setRenderHint(QPainter.Antialiasing, False)  # boxes a few pixels wide
        painter.setPen(QPen(self.canvas.colors.wire, 0))  # hairlines at any zoom
        painter.drawLines([line for lines in self._lines.values() for line in lines])
        painter.setPen(Qt.NoPen)
        for color, rects in self._groups:
            painter.setBrush(color)
            painter.drawRects(rects)
        zoom = painter.worldTransform().m11()
        if len(self._boxes) <= LABELS_MAX and min(rect.height() for _, rect in self._boxes.values()) * zoom >= 1.5 * LABEL_PX:
            self._labels(painter, zoom)

    def _labels(self, painter, zoom: float) -> None:
        """Each box's block id, LABEL_PX high on screen: which box is conv1 and which conv2,
        readable where the blocks themselves are too small for their text."""
        font = QFont()
        font.setPixelSize(max(1, round(LABEL_PX / zoom)))  # scene units: the painter scales by zoom
        fm = QFontMetricsF(font)
        pad = 4 / zoom
        painter.setFont(font)
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        painter.setPen(QColor("white"))
        for item, (_, rect) in self._boxes.items():
            room = rect.adjusted(pad, 0, -pad, 0)
            painter.drawText(room, Qt.AlignLeft | Qt.AlignVCenter, fm.elidedText(item.node_id, Qt.ElideRight, room.width()))
