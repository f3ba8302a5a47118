"""Notes on the canvas (core/project/notes.py): a sticky note the user adds from the canvas's menu,
edits with a double-click, drags and deletes. Like the blocks, an item only shows what the
scene tells it; the scene turns gestures on it into undoable commands."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem, QInputDialog, QMenu

from ...core.project.notes import SetNotes, delete_notes, new_note_id, notes_of, put_note

NOTE_WIDTH = 200.0
PAD = 8.0


class NoteItem(QGraphicsItem):
    def __init__(self, scene, note_id: str):
        super().__init__()
        self.canvas, self.note_id = scene, note_id
        self.text, self.at = "", None
        self.height = 40.0
        self.setFlags(QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemIsMovable)
        self.setZValue(-1)  # under the blocks: a note never hides one

    def show_note(self, note: dict) -> None:
        pos = tuple(note["pos"])
        if note["text"] != self.text:
            self.prepareGeometryChange()
            self.text = note["text"]
            room = QRectF(0, 0, NOTE_WIDTH - 2 * PAD, 1e6)
            used = QFontMetricsF(QFont()).boundingRect(room, Qt.TextWordWrap, self.text or " ")
            self.height = used.height() + 2 * PAD
            self.setToolTip(self.text)
            self.update()
        if pos != self.at:
            self.at = pos
            self.setPos(*pos)

    def boundingRect(self):
        return QRectF(-2, -2, NOTE_WIDTH + 4, self.height + 4)

    def fill(self) -> QColor:
        return QColor("#4a4430" if self.canvas.colors.dark else "#fff6c4")

    def paint(self, painter, option, widget=None):
        dark = self.canvas.colors.dark
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setBrush(self.fill())
        border = self.canvas.colors.selected if self.isSelected() else QColor("#8a7d4a" if dark else "#e0cf7a")
        painter.setPen(QPen(border, 2.2 if self.isSelected() else 1.0))
        painter.drawRoundedRect(QRectF(0, 0, NOTE_WIDTH, self.height), 4, 4)
        painter.setPen(self.canvas.colors.text)
        painter.drawText(QRectF(PAD, PAD, NOTE_WIDTH - 2 * PAD, self.height - 2 * PAD), Qt.TextWordWrap, self.text)

    def mouseDoubleClickEvent(self, e):
        self.canvas.notes.edit(self.note_id)
        e.accept()


class NotesLayer:
    """The scene's note items, kept equal to the project's notes after every edit."""

    def __init__(self, scene):
        self.scene = scene
        self.items: dict[str, NoteItem] = {}

    def clear(self) -> None:
        self.items.clear()  # the scene removed the items themselves

    def sync(self) -> None:
        session = self.scene.session
        notes = {} if session.scope else {n["id"]: n for n in notes_of(session.project)}  # the network's notes
        for nid in [n for n in self.items if n not in notes]:
            self.scene.removeItem(self.items.pop(nid))
        for nid, note in notes.items():
            item = self.items.get(nid)
            if item is None:
                item = self.items[nid] = NoteItem(self.scene, nid)
                self.scene.addItem(item)
            item.show_note(note)

    def selected(self) -> list[str]:
        return [i.note_id for i in self.scene.selectedItems() if isinstance(i, NoteItem)]

    # --- gestures → commands ------------------------------------------------------------------
    def _ask(self, title: str, text: str) -> str | None:
        parent = self.scene.views()[0] if self.scene.views() else None
        typed, ok = QInputDialog.getMultiLineText(parent, title, "Note:", text)
        return typed if ok and typed.strip() else None

    def add(self, pos) -> str | None:
        project = self.scene.session.project
        text = self._ask("Add note", "")
        if text is None:
            return None
        nid = new_note_id(project)
        self.scene.session.push(put_note(project, nid, text, pos))
        return nid

    def edit(self, note_id: str) -> None:
        project = self.scene.session.project
        note = next(n for n in notes_of(project) if n["id"] == note_id)
        text = self._ask("Edit note", note["text"])
        if text is not None and text != note["text"]:
            self.scene.session.push(put_note(project, note_id, text, note["pos"]))

    def moved(self) -> SetNotes | None:
        """The command for the notes the user dragged (None: none moved); the scene pushes it,
        with the blocks dragged along, as one step."""
        project = self.scene.session.project
        notes, changed = [dict(n) for n in notes_of(project)], 0
        for n in notes:
            item = self.items.get(n["id"])
            if item is not None and item.at != (item.pos().x(), item.pos().y()):
                n["pos"] = [float(round(item.pos().x())), float(round(item.pos().y()))]
                changed += 1
        if not changed:
            return None
        return SetNotes(project, notes, "Move note" if changed == 1 else f"Move {changed} notes")

    def delete(self, note_ids) -> None:
        if note_ids:
            self.scene.session.push(delete_notes(self.scene.session.project, note_ids))

    def menu(self, note_id: str, parent) -> QMenu:
        menu = QMenu(parent)
        menu.addAction("Edit note…", lambda: self.edit(note_id))
        menu.addAction("Delete note", lambda: self.delete([note_id]))
        return menu
