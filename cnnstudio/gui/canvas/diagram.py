"""The canvas as a picture: PNG, SVG or PDF of the whole network (File → Export diagram…)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QImage, QPainter, QPageSize, QPdfWriter
from PySide6.QtWidgets import QGraphicsItem

FORMATS = {".png": "PNG image", ".svg": "SVG drawing", ".pdf": "PDF document"}
MARGIN = 24.0


def export_diagram(scene, path) -> None:
    """Draw every block and wire of `scene` into `path` (its suffix picks the format).
    Raises OSError when the file cannot be written, ValueError for an unknown suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path.name}: choose a file ending in {', '.join(FORMATS)}.")
    source = scene.itemsBoundingRect().marginsAdded(QMarginsF(MARGIN, MARGIN, MARGIN, MARGIN))
    selected = scene.selectedItems()
    for it in selected:  # the picture shows the network, not the current selection
        it.setSelected(False)
    cached = {it: it.cacheMode() for it in scene.items() if it.cacheMode() != QGraphicsItem.NoCache}
    for it in cached:  # drawn afresh: vector text and lines in SVG and PDF, not cached bitmaps
        it.setCacheMode(QGraphicsItem.NoCache)
    try:
        if suffix == ".png":
            image = QImage((source.size() * 2).toSize(), QImage.Format_ARGB32)  # 2×: sharp on any screen
            image.fill(scene.backgroundBrush().color())
            _render(scene, image, QRectF(image.rect()), source)
            if not image.save(str(path)):
                raise OSError(f"cannot write {path}")
        elif suffix == ".svg":
            from PySide6.QtSvg import QSvgGenerator
            gen = QSvgGenerator()
            gen.setFileName(str(path))
            gen.setSize(source.size().toSize())
            gen.setViewBox(QRectF(0, 0, source.width(), source.height()))
            gen.setTitle("CNN Studio diagram")
            _render(scene, gen, QRectF(0, 0, source.width(), source.height()), source)
            if not path.exists():
                raise OSError(f"cannot write {path}")
        else:
            pdf = QPdfWriter(str(path))
            pdf.setPageSize(QPageSize(QSizeF(source.width(), source.height()), QPageSize.Unit.Point))
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0))
            pdf.setResolution(72)
            _render(scene, pdf, QRectF(0, 0, source.width(), source.height()), source)
            if not path.exists():
                raise OSError(f"cannot write {path}")
    finally:
        for it, mode in cached.items():
            it.setCacheMode(mode)
        for it in selected:
            it.setSelected(True)


def _render(scene, device, target: QRectF, source: QRectF) -> None:
    painter = QPainter(device)
    if not painter.isActive():
        raise OSError("cannot write the file (is the folder writable?)")
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.TextAntialiasing)
    scene.render(painter, target, source, Qt.KeepAspectRatio)
    painter.end()
