"""The whole network small, in the canvas's corner, with the part in view outlined; a click or
drag there moves the view. It repaints at most a few times a second, never once per edit."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsView

REFRESH_MS = 400


class Minimap(QGraphicsView):
    def __init__(self, view):
        super().__init__(view.graph_scene, view)  # over the viewport, not in it (it scrolls)
        self.view = view
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
        view.graph_scene.changed.connect(lambda *_: self._timer.isActive() or self._timer.start())
        view.session.project_replaced.connect(lambda: QTimer.singleShot(0, self.refresh))
        view.horizontalScrollBar().valueChanged.connect(lambda *_: self.viewport().update())
        view.verticalScrollBar().valueChanged.connect(lambda *_: self.viewport().update())

    def refresh(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if not rect.isEmpty():
            self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.KeepAspectRatio)
        self.viewport().update()

    def in_view(self) -> QRectF:
        """The part of the scene the canvas shows, in scene coordinates."""
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

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
