"""The whole network small, in the canvas's corner, with the part in view outlined; a click or
drag there moves the view. It draws the zoomed-out overview's boxes and lines (overview.py),
not the blocks themselves, kept as a picture: redrawn at most a few times a second when the
network changed, and only copied when the view scrolls."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView

from .overview import Picture

REFRESH_MS = 400
LEAVE_MS = 600  # from the Map button to the map, across the gap between them


class Minimap(QGraphicsView):
    def __init__(self, view):
        # over the viewport, not in it (it scrolls); its own empty scene, in the same coordinates
        super().__init__(QGraphicsScene(view), view)
        self.view = view
        self._picture = Picture()
        self.setObjectName("minimap")
        self.setFixedSize(180, 130)
        self.setFrameShape(QFrame.StyledPanel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setInteractive(False)
        self.setRenderHints(QPainter.Antialiasing)
        self.setViewportUpdateMode(QGraphicsView.NoViewportUpdate)  # we repaint on our timer
        self.setToolTip("The whole network: click or drag to move the view")
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS, timeout=self.refresh)
        view.graph_scene.changed.connect(self._soon)
        view.session.analysis_changed.connect(self._soon)  # zoomed out, hidden items change no scene
        view.session.project_replaced.connect(lambda: QTimer.singleShot(0, self.refresh))
        view.horizontalScrollBar().valueChanged.connect(lambda *_: self.viewport().update())
        view.verticalScrollBar().valueChanged.connect(lambda *_: self.viewport().update())

    def _soon(self, *_) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        rect = self.view.graph_scene.bounds()  # the blocks and the notes, hidden or not
        if not rect.isEmpty():
            rect.adjust(-40, -40, 40, 40)
            self.setSceneRect(rect)
            self.fitInView(rect, Qt.KeepAspectRatio)
        self.viewport().update()

    def in_view(self) -> QRectF:
        """The part of the scene the canvas shows, in scene coordinates."""
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def drawBackground(self, painter, rect):
        overview, colors = self.view.graph_scene.overview, self.view.graph_scene.colors
        self._picture.paint(painter, colors.background, overview.draw, (overview.version, colors.wire.rgba()))
        for note in self.view.graph_scene.notes.items.values():  # the notes too (a few at most)
            painter.fillRect(note.sceneBoundingRect(), note.fill())

    def drawForeground(self, painter, rect):
        color = QColor(self.view.graph_scene.colors.selected)
        painter.setPen(QPen(color, 0))
        color.setAlpha(30)
        painter.setBrush(color)
        painter.drawRect(self.in_view())

    def showEvent(self, e):
        super().showEvent(e)
        self.refresh()

    def mousePressEvent(self, e):
        self.view.centerOn(self.mapToScene(e.position().toPoint()))
        self.viewport().update()

    def mouseMoveEvent(self, e):
        if e.buttons() & Qt.LeftButton:
            self.mousePressEvent(e)

    def wheelEvent(self, e):
        e.ignore()

    def leaveEvent(self, e):  # shown by the Map button's peek: back to a free corner, or away
        super().leaveEvent(e)
        self.leave_soon()

    def leave_soon(self) -> None:
        """The pointer left the map or the Map button: in a moment, unless it is on either
        again, the map goes back to a free corner or away."""
        # `self` as the timer's context: no call once the map is gone (a closed window)
        QTimer.singleShot(LEAVE_MS, self, lambda: self.underMouse() or self.view.overlay.map_button.underMouse()
                          or self.view.place_corner())
