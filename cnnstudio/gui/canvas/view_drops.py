"""What the canvas accepts when dropped on it: a block from the palette (onto a wire, it
is inserted there, and the wire lights up while the drag is over it), a project or a model file
(core/project/sources.py: DROPPABLE).

A mixin of CanvasView (view.py).
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData

from ...core.project.sources import droppable
from .edits import MIME_BLOCK


class ViewDrops:
    # --- drops ------------------------------------------------------------------------------
    def _accepts(self, mime: QMimeData) -> bool:
        return mime.hasFormat(MIME_BLOCK) or any(droppable(u.toLocalFile()) for u in mime.urls())

    def dragEnterEvent(self, e):
        if self._accepts(e.mimeData()):
            e.acceptProposedAction()
        else:
            e.ignore()

    def dragMoveEvent(self, e):
        if self._accepts(e.mimeData()):
            e.acceptProposedAction()
            if e.mimeData().hasFormat(MIME_BLOCK):  # show which wire a drop would split
                self._hover_wire(self.graph_scene.wire_at(self.mapToScene(e.position().toPoint())))
        else:
            e.ignore()

    def dragLeaveEvent(self, e):
        self._hover_wire(None)
        super().dragLeaveEvent(e)

    def _hover_wire(self, wire) -> None:
        old = getattr(self, "_hot_wire", None)
        if old is not wire:
            if old is not None and old.scene() is not None:
                old.set_hot(False)
            if wire is not None:
                wire.set_hot(True)
            self._hot_wire = wire

    def dropEvent(self, e):
        self.hold_view()
        self._hover_wire(None)
        mime = e.mimeData()
        if mime.hasFormat(MIME_BLOCK):
            type_ = bytes(mime.data(MIME_BLOCK)).decode()
            self.graph_scene.drop_block(type_, self.mapToScene(e.position().toPoint()))
            self.setFocus()
            e.acceptProposedAction()
            return
        paths = [u.toLocalFile() for u in mime.urls() if droppable(u.toLocalFile())]
        if paths:
            e.acceptProposedAction()
            self.files_dropped.emit(paths)
