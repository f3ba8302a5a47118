"""The canvas's keyboard and the edits it starts: Delete, Ctrl+C/X/V/D/A, arrows nudge,
F fits, Escape clears the selection; also the clipboard, auto layout and the flow's
direction, which the Edit and View menus call too. Each edit is one undo step.

A mixin of CanvasView (view.py).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from ...core.graph.commands import Macro
from ...core.project.notes import delete_notes
from ...core.project import ProjectError
from .edits import auto_layout, copy_payload, delete, is_payload
from .edits import nudge as nudge_blocks
from .edits import paste as paste_blocks
from .layout import set_direction


class ViewKeys:
    # --- keyboard and clipboard -----------------------------------------------------------------
    def keyPressEvent(self, e):
        self.hold_view()  # F fits again (and so keeps the view fitted)
        key, mods = e.key(), e.modifiers()
        ctrl = bool(mods & Qt.ControlModifier)
        step = 50.0 if mods & Qt.ShiftModifier else 10.0
        arrows = {Qt.Key_Left: (-step, 0), Qt.Key_Right: (step, 0), Qt.Key_Up: (0, -step), Qt.Key_Down: (0, step)}
        if key in (Qt.Key_Delete, Qt.Key_Backspace):
            self.delete_selection()
        elif ctrl and key == Qt.Key_C:
            self.copy()
        elif ctrl and key == Qt.Key_X:
            self.copy()
            self.delete_selection()
        elif ctrl and key == Qt.Key_V:
            self.paste()
        elif ctrl and key == Qt.Key_D:
            self.duplicate()
        elif ctrl and key == Qt.Key_A:
            self.session.select(list(self.session.graph.nodes))
        elif key in arrows and not ctrl:
            self.nudge(*arrows[key])
        elif key == Qt.Key_F and not ctrl:
            self.fit()
        elif key == Qt.Key_Escape:
            self.session.select([])
            self.graph_scene.clearSelection()  # notes and wires too
        else:
            super().keyPressEvent(e)
            return
        e.accept()

    def delete_selection(self) -> None:
        notes = self.graph_scene.notes.selected()
        c = delete(self.session.graph, list(self.session.selection), self.graph_scene.selected_edges())
        if notes:  # notes and blocks go in one undo step
            gone = delete_notes(self.session.project, notes)
            c = Macro(f"{c.label} and {gone.label.lower()}", [c, gone]) if c else gone
        if c is not None:
            self.session.push(c)

    def copy(self) -> bool:
        """Copies the selected blocks as JSON text (plain text: a QMimeData handed to the
        clipboard from Python is freed twice at exit by PySide6, crashing the app)."""
        if not self.session.selection:
            return False
        QGuiApplication.clipboard().setText(copy_payload(self.session.graph, self.session.selection))
        self._paste_count = 0
        return True

    def paste(self, payload: str | None = None) -> list[str]:
        if payload is None:
            payload = QGuiApplication.clipboard().text()
            if not is_payload(payload):
                self.graph_scene.message.emit("The clipboard holds no CNN Studio blocks to paste.")
                return []
        self._paste_count += 1
        d = 40.0 * self._paste_count
        try:
            c, ids = paste_blocks(self.session.graph, payload, (d, d), self.graph_scene.direction)
        except ProjectError as e:
            self.graph_scene.message.emit(f"Nothing was pasted: {e}")
            return []
        if c is not None:
            self.session.push(c)
            self.session.select(ids)
        return ids

    def duplicate(self) -> list[str]:
        if not self.session.selection:
            return []
        payload = copy_payload(self.session.graph, self.session.selection)
        c, ids = paste_blocks(self.session.graph, payload, (40.0, 40.0), self.graph_scene.direction)
        if c is not None:
            c.label = f"Duplicate {len(ids)} block(s)"
            self.session.push(c)
            self.session.select(ids)
        return ids

    def nudge(self, dx: float, dy: float) -> None:
        c = nudge_blocks(self.session.graph, self.session.selection, dx, dy)
        if c is not None:
            self.session.push(c)

    def arrange(self) -> None:
        c = auto_layout(self.session.graph, self.graph_scene.direction)
        if c is not None:
            self.session.push(c)
        self.fit()

    def set_direction(self, direction: str) -> None:
        """Lay the network out top to bottom ("TB") or left to right ("LR"): one undo step."""
        c = set_direction(self.session.project, direction)
        if c is not None:
            self.session.push(c)
            self.fit()
