"""The block palette: every catalogue block by category, searchable, draggable onto the canvas."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..core.blocks import CATALOGUE, CATEGORIES
from .canvas.edits import MIME_BLOCK
from .theme import category_icon

TYPE_ROLE = Qt.UserRole + 1


class BlockTree(QTreeWidget):
    """Category folders of blocks; dragging an entry carries its block type."""

    def mimeTypes(self):
        return [MIME_BLOCK]

    def mimeData(self, items):
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if not types:
            return None
        mime = QMimeData()
        mime.setData(MIME_BLOCK, types[0].encode())
        mime.setText(types[0])
        return mime


class PaletteDock(QDockWidget):
    block_activated = Signal(str)  # double-click or Enter: add the block at the canvas centre

    def __init__(self, session, parent=None):
        super().__init__("Blocks", parent)
        self.setObjectName("PaletteDock")
        self.session = session
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        self.search = QLineEdit(placeholderText="Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.tree = BlockTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragOnly)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(14)
        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(self._show_help)
        self.help = QLabel("Drag a block onto the canvas, or double-click it.")
        self.help.setObjectName("hint")
        self.help.setWordWrap(True)
        self.help.setMinimumHeight(48)
        self.help.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        lay.addWidget(self.search)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.help)
        self.setWidget(body)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._populate()

    def _populate(self) -> None:
        for cat in CATEGORIES:
            specs = [s for s in CATALOGUE.values() if s.category == cat]
            if not specs:
                continue
            folder = QTreeWidgetItem(self.tree, [cat])
            folder.setFlags(Qt.ItemIsEnabled)
            folder.setIcon(0, category_icon(cat))
            f = folder.font(0)
            f.setBold(True)
            folder.setFont(0, f)
            for spec in specs:
                it = QTreeWidgetItem(folder, [spec.type])
                it.setData(0, TYPE_ROLE, spec.type)
                it.setIcon(0, category_icon(cat))
                it.setToolTip(0, spec.help)
                it.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
                self.items[spec.type] = it
            folder.setExpanded(True)

    def filter(self, text: str) -> None:
        """Matches the block name, its category or words of its help text."""
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            folder = self.tree.topLevelItem(i)
            shown = 0
            for j in range(folder.childCount()):
                it = folder.child(j)
                spec = CATALOGUE[it.data(0, TYPE_ROLE)]
                hay = f"{spec.type} {spec.category} {spec.help}".lower()
                ok = all(w in hay for w in words)
                it.setHidden(not ok)
                shown += ok
            folder.setHidden(shown == 0)
            folder.setExpanded(True)

    def visible_types(self) -> list[str]:
        return [t for t, it in self.items.items() if not it.isHidden() and not it.parent().isHidden()]

    def _activated(self, item, column=0) -> None:
        t = item.data(0, TYPE_ROLE)
        if t:
            self.block_activated.emit(t)

    def _show_help(self, item, previous=None) -> None:
        t = item.data(0, TYPE_ROLE) if item else None
        if t:
            spec = CATALOGUE[t]
            self.help.setText(f"<b>{t}</b> — {spec.help}")
