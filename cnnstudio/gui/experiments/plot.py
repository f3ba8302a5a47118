"""An SVG picture from core/sweep/plots.py, scaled to the widget; a click near a dot names
its trial."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QWidget

HIT_PX = 10
MAX_SCALE = 1.6  # a big dock shows the picture larger, but not its text huge


class SvgPlot(QWidget):
    trial_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.renderer = QSvgRenderer(self)
        self.hits: list[tuple] = []  # (trial, x, y) in SVG units
        self.setMinimumHeight(100)  # scaled to fit: a short dock shows it smaller (arrangement.py)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def show_svg(self, svg: str, hits=()) -> None:
        self.renderer.load(svg.encode())
        self.hits = list(hits)
        self.update()

    def _frame(self) -> QRectF:
        """Where the picture is drawn: scaled to fit, aspect kept, centred."""
        size = self.renderer.defaultSize()
        if size.isEmpty():
            return QRectF(self.rect())
        k = min(self.width() / size.width(), self.height() / size.height(), MAX_SCALE)
        w, h = size.width() * k, size.height() * k
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, _):
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.white)
        self.renderer.render(p, self._frame())

    def point_of(self, trial: int):
        """The widget position of a trial's dot (for tests and tooltips), or None."""
        f, size = self._frame(), self.renderer.defaultSize()
        for n, x, y in self.hits:
            if n == trial:
                return f.x() + x * f.width() / size.width(), f.y() + y * f.height() / size.height()
        return None

    def mousePressEvent(self, e):
        best, dist = None, HIT_PX
        for n, _, _ in self.hits:
            x, y = self.point_of(n)
            d = ((x - e.position().x()) ** 2 + (y - e.position().y()) ** 2) ** 0.5
            if d <= dist:
                best, dist = n, d
        if best is not None:
            self.trial_clicked.emit(best)
