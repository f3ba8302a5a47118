"""New project: an empty canvas or a template from sample_projects/, each with a thumbnail of
its layers, what it is in one line and its size, in the order people learn them."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout)

from ..core import ProjectError, analyze, load_project
from ..core.blocks import CATALOGUE
from ..core.analysis.cost import totals
from .text import fmt_count, fmt_shape
from .theme import category_color, icon

PATH_ROLE = Qt.UserRole + 1
THUMB = QSize(40, 64)

# learning order first (the lectures' path from LeNet to ResNet); any other template follows by name
LESSONS = {
    "lenet5": "The classic digit reader: two conv + pool stages, three dense layers.",
    "binary_classifier": "One sigmoid output: circle or square? Trains in seconds.",
    "cifar10_convnet": "Conv–BatchNorm–ReLU stages with dropout, for 32×32 colour photos.",
    "shape_localizer": "Predicts where a shape is: a box regressed from conv features.",
    "alexnet": "The 2012 ImageNet winner: large early kernels, ReLU, dropout.",
    "vgg16": "Deep stacks of 3×3 convolutions: depth instead of large kernels.",
    "mini_inception": "Parallel 1×1, 3×3 and 5×5 branches joined by Concat.",
    "resnet18": "Residual blocks with shortcuts let very deep networks train.",
    "resnet34": "The same residual recipe, twice as deep.",
}


def templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for d in (here.parent / "sample_projects", here / "sample_projects"):
        if d.is_dir():
            return d
    return here.parent / "sample_projects"


def list_templates() -> list[tuple[Path, str]]:
    """(file, one-line description) for every readable template, learning order first."""
    return [(path, text) for path, text, _ in _templates()]


def _templates() -> list[tuple[Path, str, object]]:
    order = list(LESSONS)
    paths = sorted(templates_dir().glob("*.cnnproj"),
                   key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem))
    out = []
    for path in paths:
        try:
            p = load_project(path)
        except ProjectError:
            continue  # a broken template is skipped, never fatal
        a = analyze(p.graph)
        inp = next((n for n in p.graph.nodes.values() if n.type == "Input"), None)
        shape = fmt_shape(inp.params["shape"]) if inp else "no input"
        what = LESSONS.get(path.stem, "")
        out.append((path, f"{p.name} — {fmt_count(totals(a)['total_params'])} parameters · {len(p.graph.nodes)} "
                          f"blocks · input {shape}" + (f"\n{what}" if what else ""), p.graph))
    return out


def thumbnail(graph) -> QPixmap:
    """The layers top to bottom as coloured bars: the network's shape at a glance."""
    order, _ = graph.topological_order()
    pix = QPixmap(THUMB)
    pix.fill(Qt.transparent)
    if not order:
        return pix
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.Antialiasing)
    step = min(8.0, (THUMB.height() - 2) / len(order))
    for i, nid in enumerate(order):
        spec = CATALOGUE.get(graph.nodes[nid].type)
        color = category_color(spec.category) if spec else QColor("#888888")
        painter.setPen(color.darker(130))
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(4, 1 + i * step, THUMB.width() - 8, max(1.0, step - 1.5)), 2, 2)
    painter.end()
    return pix


class GalleryDialog(QDialog):
    """`exec()`, then `choice`: None for an empty project, or the template's path."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.resize(620, 560)
        self.choice: Path | None = None
        lay = QVBoxLayout(self)
        title = QLabel("<span style='font-size:14pt; font-weight:600'>Start a new network</span>")
        hint = QLabel("Start from an empty canvas, or from a classic architecture you can change — "
                      "listed in the order they are usually taught.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setIconSize(THUMB)
        self.list.setSpacing(2)
        empty = QListWidgetItem(icon("app"), "Empty project\nDrag blocks in from the palette, starting with Input.")
        empty.setData(PATH_ROLE, "")
        self.list.addItem(empty)
        for path, text, graph in _templates():
            it = QListWidgetItem(thumbnail(graph), text)
            it.setData(PATH_ROLE, str(path))
            it.setToolTip(str(path))
            self.list.addItem(it)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(title)
        lay.addWidget(hint)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)
        self._fit_width()

    def _fit_width(self) -> None:
        """Wide enough for the longest line (a horizontal scrollbar hid the list's right end at
        1280×800), within the screen; on a narrower screen the lines wrap instead."""
        lst = self.list
        lst.setWordWrap(True)
        lst.setResizeMode(QListWidget.Adjust)  # re-wrap when the dialog is resized
        lst.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        need = (lst.sizeHintForColumn(0) + 2 * lst.frameWidth() + lst.verticalScrollBar().sizeHint().width()
                + 2 * lst.spacing() + self.layout().contentsMargins().left() + self.layout().contentsMargins().right())
        screen = (self.parentWidget() or self).screen().availableGeometry()
        self.resize(max(self.width(), min(need + 8, int(screen.width() * 0.9))), self.height())

    def select(self, name: str) -> bool:
        """Pick the template whose file stem is `name` (keyboard users and tests)."""
        for i in range(self.list.count()):
            p = self.list.item(i).data(PATH_ROLE)
            if p and Path(p).stem == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def accept(self):
        it = self.list.currentItem()
        p = it.data(PATH_ROLE) if it else ""
        self.choice = Path(p) if p else None
        super().accept()
