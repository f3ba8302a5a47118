"""A numpy picture on screen: one QImage, zoomable, click → image pixel, box overlays."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QFileDialog, QScrollArea, QSizePolicy, QWidget


def to_qimage(img: np.ndarray) -> QImage:
    """uint8 H×W (grey) or H×W×3 (RGB) → QImage owning a copy of the pixels, in the format the
    screen paints fastest (drawing an RGB888 or grey image converts it on every paint: 4–5×
    slower)."""
    a = np.ascontiguousarray(img, dtype=np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = np.ascontiguousarray(a[:, :, 0])
    h, w = a.shape[:2]
    if a.ndim == 2:
        q = QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        q = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return q.convertToFormat(QImage.Format.Format_RGB32)  # a copy: detached from the numpy buffer


class ImageView(QWidget):
    """Shows one image scaled by an integer-free zoom, crisp (no smoothing).

    zoom None = fit the widget; otherwise a fixed factor (inside a ZoomArea it scrolls).
    clicked(x, y) gives the image pixel under the mouse.
    """

    clicked = Signal(int, int)

    def __init__(self, parent=None, fit: bool = True):
        super().__init__(parent)
        self._img: QImage | None = None
        self._shape = (0, 0)
        self.zoom: float | None = None if fit else 1.0
        self.boxes: list[tuple] = []  # (y0, y1, x0, x1, QColor) in image pixels, inclusive
        self.message = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(80, 60)

    def set_image(self, img: np.ndarray | None, message: str = "") -> None:
        self._img = to_qimage(img) if img is not None else None
        self._shape = img.shape[:2] if img is not None else (0, 0)
        self.message = message
        self.updateGeometry()
        if self.zoom is not None:  # fixed zoom: the widget takes the picture's size
            self.resize(self.sizeHint())
        self.update()

    def image_size(self) -> tuple[int, int]:
        return self._shape

    def set_zoom(self, zoom: float | None) -> None:
        self.zoom = zoom
        self.updateGeometry()
        if zoom is not None:
            self.resize(self.sizeHint())
        self.update()

    def scale(self) -> float:
        h, w = self._shape
        if not h or not w:
            return 1.0
        if self.zoom is not None:
            return self.zoom
        return max(min(self.width() / w, self.height() / h), 0.01)

    def sizeHint(self) -> QSize:
        h, w = self._shape
        if self.zoom is None or not h:
            return QSize(max(w, 200), max(h, 150))
        return QSize(int(w * self.zoom), int(h * self.zoom))

    def _target(self) -> QRectF:
        h, w = self._shape
        s = self.scale()
        tw, th = w * s, h * s
        x0 = max((self.width() - tw) / 2, 0) if self.zoom is None else 0
        y0 = max((self.height() - th) / 2, 0) if self.zoom is None else 0
        return QRectF(x0, y0, tw, th)

    def to_image(self, pos: QPoint) -> tuple[int, int] | None:
        r = self._target()
        if not self._img or not r.contains(pos.x(), pos.y()):
            return None
        s = self.scale()
        x, y = int((pos.x() - r.x()) / s), int((pos.y() - r.y()) / s)
        h, w = self._shape
        return (x, y) if 0 <= x < w and 0 <= y < h else None

    def paintEvent(self, _):
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        if self._img is None:
            p.setPen(self.palette().text().color())
            p.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.message)
            return
        r = self._target()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(r, self._img)
        s = self.scale()
        for y0, y1, x0, x1, color in self.boxes:
            p.setPen(QPen(QColor(color), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(r.x() + x0 * s, r.y() + y0 * s, (x1 - x0 + 1) * s, (y1 - y0 + 1) * s))

    def mousePressEvent(self, e):
        hit = self.to_image(e.position().toPoint())
        if hit is not None and e.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(*hit)


class ZoomArea(QScrollArea):
    """An ImageView in a scroll area: Ctrl+wheel (or zoom_in/zoom_out) zooms, 'fit' fits."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = ImageView(fit=True)
        self.setWidget(self.view)
        self.setWidgetResizable(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def set_zoom(self, zoom: float | None) -> None:
        self.setWidgetResizable(zoom is None)
        self.view.set_zoom(zoom)

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(min(max(self.view.scale() * factor, 0.25), 32.0))

    def wheelEvent(self, e):
        if e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.25 if e.angleDelta().y() > 0 else 0.8)
            e.accept()
        else:
            super().wheelEvent(e)


def read_picture(path: str) -> np.ndarray:
    """An image file (PNG, JPEG, BMP, ...) → uint8 H×W×3. ValueError with the reason."""
    img = QImage(path)
    if img.isNull():
        raise ValueError(f"{Path(path).name} is not an image Qt can read (PNG, JPEG, BMP, GIF).")
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    a = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return a[:, :3 * w].reshape(h, w, 3).copy()


class DropTarget:
    """Mix-in for a panel: an image file, dropped or chosen, becomes the state's custom input."""

    picture_title = "Image to feed the network"
    no_run_text = "Open a trained run first: there is no network to feed the image to."

    def enable_drops(self) -> None:
        self.setAcceptDrops(True)

    def dragEnterEvent(self, e):
        if e.mimeData().hasUrls() and any(u.isLocalFile() for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e):
        files = [u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_picture(files[0])
            e.acceptProposedAction()

    def open_picture(self, path: str) -> None:
        try:
            rgb = read_picture(path)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.picture_dropped(rgb)

    def choose_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.picture_title, "",
                                              "Images (*.png *.jpg *.jpeg *.bmp *.gif)")
        if path:
            self.open_picture(path)

    def picture_dropped(self, rgb) -> None:
        insp = self.state.inspection
        if insp is None:
            self.show_error(self.no_run_text)
            return
        x = insp.from_pixels(rgb)
        self.state.set_custom(x, insp.to_display(x[None])[0])
