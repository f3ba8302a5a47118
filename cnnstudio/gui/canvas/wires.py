"""What the canvas draws for a wire: EdgeItem, routed orthogonally around the blocks
(routing.py) with rounded bends, with its shape label. Passive like the blocks: the scene turns gestures on it into commands."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFontMetricsF, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem

from ..theme import ERROR, CanvasColors
from .items import NodeItem, _fonts
from .routing import SpatialHash, route

RADIUS = 8.0  # rounded bends
LABEL_ROOM = 150.0  # the widest wire label ("[1024, 112, 112]" fits)
_METRICS = []  # the label font's metrics, made once a QApplication exists


def _label_metrics() -> QFontMetricsF:
    if not _METRICS:
        _METRICS.append(QFontMetricsF(_fonts()[1]))
    return _METRICS[0]


def wire_path(a: QPointF, b: QPointF, direction: str = "TB") -> QPainterPath:
    """The wire being dragged out of a port: orthogonal, blocks not yet avoided."""
    return _rounded([QPointF(*p) for p in route((a.x(), a.y()), (b.x(), b.y()), SpatialHash(), (), direction)])


def _rounded(points: list) -> QPainterPath:
    path = QPainterPath(points[0])
    for prev, corner, nxt in zip(points, points[1:], points[2:]):
        r = min(RADIUS, _dist(prev, corner) / 2, _dist(corner, nxt) / 2)
        path.lineTo(_toward(corner, prev, r))
        path.quadTo(corner, _toward(corner, nxt, r))
    path.lineTo(points[-1])
    return path


def _bounds(points) -> tuple:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _dist(p: QPointF, q: QPointF) -> float:
    return abs(p.x() - q.x()) + abs(p.y() - q.y())  # segments are horizontal or vertical


def _toward(p: QPointF, q: QPointF, r: float) -> QPointF:
    d = _dist(p, q) or 1.0
    return QPointF(p.x() + (q.x() - p.x()) * r / d, p.y() + (q.y() - p.y()) * r / d)


class EdgeItem(QGraphicsItem):
    """A wire from a block's output port to another's input port, labelled with its tensor shape."""

    def __init__(self, source: NodeItem, target: NodeItem, colors: CanvasColors):
        super().__init__()
        self.source, self.target, self.colors = source, target, colors
        self.label = ""
        self.error = False
        self.hot = False  # a block dragged over it would be inserted here
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        self._path = QPainterPath()
        self._shape = QPainterPath()
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self.start = self.end = QPointF()
        source.edges.append(self)
        target.edges.append(self)
        self.update_path()

    @property
    def edge(self):
        return (self.source.node_id, self.target.node_id)

    def detach(self):
        for n in (self.source, self.target):
            if self in n.edges:
                n.edges.remove(self)

    def set_label(self, text: str, error: bool, tooltip: str) -> None:
        # compared in Python: every wire is asked on every edit, and most are unchanged
        if (text, error, tooltip) == (self.label, self.error, getattr(self, "_tip", None)):
            return
        self.label, self.error, self._tip = text, error, tooltip
        self.setToolTip(tooltip)
        self._label_rect = None  # placed when painted; the bounds already leave room for it
        self.update()

    def set_hot(self, on: bool) -> None:
        self.hot = on
        self.update()

    def update_path(self):
        self.prepareGeometryChange()
        a = self.source.out_port.scene_center()
        b = self.target.in_port.scene_center() if self.target.in_port else self.target.scenePos()
        self.start, self.end = a, b
        canvas = self.source.canvas
        points = route((a.x(), a.y()), (b.x(), b.y()), canvas.blocks, self.edge, canvas.direction)
        canvas.overview.wire_changed(self, points)
        canvas.wire_places.put(self.edge, _bounds(points))
        self._path = _rounded([QPointF(*p) for p in points])
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        self._shape = stroker.createStroke(self._path)
        self._place_label()

    def _place_label(self):
        self._label_rect = None
        mid = self._path.pointAtPercent(0.5)
        room = QRectF(mid.x() - LABEL_ROOM / 2, mid.y() - 9, LABEL_ROOM, 18)
        # asked for on every repaint: kept, not recomputed; wide enough for any label, so a
        # new label (every wire's, after an Input-size edit) needs no geometry change
        self._bounds = self._shape.boundingRect().united(room).adjusted(-2, -2, 2, 2)

    def label_rect(self) -> QRectF:
        if self._label_rect is None:
            if not self.label:
                self._label_rect = QRectF()
            else:
                w, h = min(_label_metrics().horizontalAdvance(self.label) + 10, LABEL_ROOM), 16
                mid = self._path.pointAtPercent(0.5)
                self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        return self._label_rect

    def boundingRect(self):
        return self._bounds

    def shape(self):
        p = QPainterPath(self._shape)
        if not self.label_rect().isNull():
            p.addRect(self._label_rect)
        return p

    def paint(self, painter, option, widget=None):
        c = self.colors
        color = ERROR if self.error else (c.selected if self.isSelected() or self.hot else c.wire)
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 4.0 if self.hot else 2.4 if self.isSelected() or self.error else 1.6))
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self._path)
        if self.label and option.levelOfDetailFromTransform(painter.worldTransform()) >= 0.45:
            painter.setPen(QPen(color, 1))
            painter.setBrush(QBrush(c.background))
            r = self.label_rect()
            painter.drawRoundedRect(r, 6, 6)
            painter.setFont(_fonts()[1])
            painter.setPen(ERROR if self.error else c.muted)
            painter.drawText(r, Qt.AlignCenter, self.label)
