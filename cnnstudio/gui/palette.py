"""The block palette: every catalogue block by category, searchable, draggable onto the canvas."""
from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (QDockWidget, QLabel, QLineEdit, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from ..core.blocks import CATALOGUE, CATEGORIES
from ..core.blocks.custom import label
from ..core.analysis.make_block import block_key, forget_definition
from ..core.project import ProjectError
from ..core.project.userlib import library_path, load_library, remove_from_library
from .canvas.edits import MIME_BLOCK
from .theme import category_icon

TYPE_ROLE = Qt.UserRole + 1
WHERE_ROLE = Qt.UserRole + 2  # a user block's source: "this project" or "my blocks"


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
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
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
        self.user_folder = None
        self._user_seen = None
        self._populate()
        self.refresh_user_blocks()
        session.project_replaced.connect(self._user_blocks_changed)
        session.analysis_changed.connect(self._user_blocks_changed)

    def _populate(self) -> None:
        for cat in CATEGORIES:
            specs = [s for s in CATALOGUE.values() if s.category == cat and s.palette]
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

    # --- My blocks: the project's user blocks and the user library's ------------------------
    def _user_blocks_changed(self) -> None:
        path = library_path()
        seen = (id(self.session.project.blocks), len(self.session.project.blocks),
                path.stat().st_mtime_ns if path.exists() else None)
        if seen != self._user_seen:
            self.refresh_user_blocks()

    def refresh_user_blocks(self) -> None:
        """"My blocks": this project's blocks, then the library's (each once by name)."""
        path = library_path()
        project = self.session.project
        self._user_seen = (id(project.blocks), len(project.blocks), path.stat().st_mtime_ns if path.exists() else None)
        try:
            library = load_library()
        except ProjectError as e:
            library = []
            self.help.setText(f"My blocks: {e}")
        if self.user_folder is None:
            self.user_folder = QTreeWidgetItem(["My blocks"])
            self.tree.insertTopLevelItem(0, self.user_folder)
            self.user_folder.setFlags(Qt.ItemIsEnabled)
            self.user_folder.setIcon(0, category_icon("Composite"))
            f = self.user_folder.font(0)
            f.setBold(True)
            self.user_folder.setFont(0, f)
        self.user_folder.takeChildren()
        names = set()
        for record, where in [(b, "this project") for b in project.blocks] + [(b, "my blocks") for b in library]:
            if record["name"] in names:
                continue
            names.add(record["name"])
            it = QTreeWidgetItem(self.user_folder, [label(record)])
            it.setData(0, TYPE_ROLE, block_key(record))
            it.setData(0, WHERE_ROLE, where)
            it.setIcon(0, category_icon("Composite"))
            layers = [n["type"] for n in record["graph"]["nodes"] if n["type"] != "Input"]
            it.setToolTip(0, f"Your block ({where}): {' → '.join(layers) or 'no layers'}")
            it.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        if not names:  # how to make one
            hint = QTreeWidgetItem(self.user_folder, ["Select blocks, Ctrl+G"])
            hint.setFlags(Qt.ItemIsEnabled)
            hint.setToolTip(0, "Select blocks on the canvas, then Make block (Ctrl+G or right-click): your blocks are kept "
                             "in the project and in your library, for every project")
            hint.setForeground(0, self.palette().placeholderText())
        self.user_folder.setExpanded(True)

    def _context_menu(self, pos) -> None:
        menu = self.user_block_menu(pos)
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))

    def user_block_menu(self, pos) -> QMenu | None:
        """Right-click on an entry of My blocks: remove it (from the project's list, an undo step,
        or from the library)."""
        item = self.tree.itemAt(pos)
        if item is None or item.parent() is not self.user_folder:
            return None
        name = json.loads(item.data(0, TYPE_ROLE).split(":", 1)[1])["name"]
        menu = QMenu(self)
        if item.data(0, WHERE_ROLE) == "this project":
            menu.addAction(f"Remove {name} from this project's blocks",
                           lambda: self.session.push(forget_definition(self.session.project, name)))
        else:
            menu.addAction(f"Remove {name} from my blocks", lambda: self._forget(name))
        return menu

    def _forget(self, name: str) -> None:
        try:
            remove_from_library(name)
        except (OSError, ProjectError) as e:
            self.help.setText(f"Could not remove {name}: {e}")
        self.refresh_user_blocks()

    def user_blocks(self) -> list[str]:
        """The names "My blocks" lists."""
        children = [self.user_folder.child(i) for i in range(self.user_folder.childCount())]
        return [c.text(0) for c in children if c.data(0, TYPE_ROLE)]

    def filter(self, text: str) -> None:
        """Matches the block name, its category or words of its help text."""
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            folder = self.tree.topLevelItem(i)
            shown = 0
            for j in range(folder.childCount()):
                it = folder.child(j)
                spec = CATALOGUE.get(it.data(0, TYPE_ROLE))
                hay = (f"{spec.type} {spec.category} {spec.help}" if spec else f"{it.text(0)} my blocks").lower()
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
        if t in CATALOGUE:
            self.help.setText(f"<b>{t}</b> — {CATALOGUE[t].help}")
        elif t:
            self.help.setText(f"<b>{item.text(0)}</b> — {item.toolTip(0)}. Drag it onto the canvas or "
                              "double-click it; right-click it on the canvas → Edit inside.")
