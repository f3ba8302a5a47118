"""Help: the keyboard shortcuts, links to the docs, and a short tour shown on first start."""
from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from .gallery import templates_dir

SHORTCUTS = (
    ("Ctrl+1 / Ctrl+2 / Ctrl+3", "Design / Train / Inspect workspace"),
    ("Ctrl+N, Ctrl+O, Ctrl+S", "New (from a template), open, save"),
    ("Ctrl+Z, Ctrl+Shift+Z", "Undo, redo (edits, fixes and settings)"),
    ("Double-click a palette block", "Add it — after the selected block, wired, if one is selected"),
    ("Drag a block onto a wire", "Insert it there"),
    ("Ctrl+C, Ctrl+X, Ctrl+V, Ctrl+D", "Copy, cut, paste, duplicate the selected blocks"),
    ("Del", "Delete the selection"),
    ("F2, or double-click a block's title", "Rename the block"),
    ("Right-click the empty canvas", "Add a note (double-click it to edit, drag it, Del deletes it)"),
    ("Ctrl+G (or right-click)", "Make block: the selected blocks become one block of your own"),
    ("Double-click a block of your own, Ctrl+E", "Edit inside it (Alt+Up or the breadcrumb: back out)"),
    ("Ctrl+A", "Select every block"),
    ("Arrows (Shift: ×5)", "Nudge the selection"),
    ("Ctrl+F", "Find a block by name or type"),
    ("F", "Fit the network in view"),
    ("Ctrl+L", "Arrange the blocks in layers"),
    ("Ctrl++ / Ctrl+− / wheel", "Zoom"),
    ("Middle-drag", "Pan"),
)

TOUR = (
    ("Design", "Build the network in the <b>Design</b> workspace (Ctrl+1): drag blocks from the palette "
               "onto the canvas and wire them, or start from a template (File → New…). Every block shows "
               "its output shape and parameter count as you edit."),
    ("Fix", "A mistake turns the block red and says what is wrong, with the numbers. Its <b>Fix</b> chip "
            "repairs it; <b>Problems</b> lists them all. Ctrl+Z undoes anything."),
    ("Train", "In the <b>Train</b> workspace (Ctrl+2) choose a dataset (MNIST 5k needs no download) and "
              "press <b>Start</b>: the curves fill in live, and every run is kept in the experiment table."),
    ("Inspect", "The <b>Inspect</b> workspace (Ctrl+3) looks inside the trained network: filters, feature "
                "maps, predictions with Grad-CAM, the confusion matrix. Click a block on the canvas to see "
                "its maps."),
)


def docs_url(name: str = "") -> QUrl:
    """A file in the checkout's docs/ folder (or the README), as a local URL."""
    root = templates_dir().parent
    return QUrl.fromLocalFile(str(root / "docs" / name if name else root / "README.md"))


class ShortcutsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard and mouse")
        self.table = QTableWidget(len(SHORTCUTS), 2)
        self.table.setHorizontalHeaderLabels(["keys", "does"])
        self.table.verticalHeader().hide()
        for row, (keys, what) in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        self.table.resizeColumnToContents(0)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.setWordWrap(True)  # a long "does" wraps onto a second line instead of ending in "…"
        self.table.setTextElideMode(Qt.ElideNone)
        self.table.horizontalHeader().sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(760, 520)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.table.resizeRowsToContents()


class TourDialog(QDialog):
    """A few pages, Back / Next; "Done" on the last. Help → Tour shows it again."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to CNN Studio")
        self.page = 0
        self.title = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.step = QLabel()
        self.step.setObjectName("hint")
        self.back, self.next = QPushButton("Back"), QPushButton("Next")
        self.back.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next.clicked.connect(lambda: self.show_page(self.page + 1) if self.page + 1 < len(TOUR) else self.accept())
        row = QHBoxLayout()
        row.addWidget(self.step, 1)
        row.addWidget(self.back)
        row.addWidget(self.next)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.text, 1)
        lay.addLayout(row)
        # one size for every page, not resizable (nothing to gain; a window manager then draws
        # no resize handle under it)
        heights = []
        for i in range(len(TOUR)):
            self.show_page(i)
            heights.append(lay.totalHeightForWidth(460))
        self.setFixedSize(460, max(220, *heights))
        self.show_page(0)

    def show_page(self, i: int) -> None:
        self.page = max(0, min(i, len(TOUR) - 1))
        head, body = TOUR[self.page]
        self.title.setText(f"<span style='font-size:13pt; font-weight:600'>{head}</span>")
        self.text.setText(body)
        self.step.setText(f"{self.page + 1} of {len(TOUR)}")
        self.back.setEnabled(self.page > 0)
        self.next.setText("Done" if self.page == len(TOUR) - 1 else "Next")


def open_docs(name: str = "") -> bool:
    return QDesktopServices.openUrl(docs_url(name))
