"""Opening a model in the window as an unsaved imported project, as a model viewer does: from
`cnnstudio open model.onnx` or a file dropped on the window (.onnx, .pt2, or a weights file whose
model the user names). The import runs in a thread (the import dialog's Job); the project on the
canvas is replaced only when it succeeded, after the usual question about unsaved changes, so a
bad file is one message and leaves the open project as it was. The weights stay in memory
(Documents.pending_weights) until the first save writes them beside the project."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog

from ...core.project.sources import kind
from .import_dialog import Job


def shown_name(source: str) -> str:
    """A file by its name, a zoo model or factory as written."""
    return Path(source).name if Path(source).exists() else source


def guess_source(weights_file: str) -> str:
    """torchvision's own weight files are named NAME-HASH (resnet18-f37072fd): a first guess."""
    return "torchvision:" + Path(weights_file).stem.split("-")[0]


class ModelOpener(QObject):
    finished = Signal(bool)  # opened or not (after the message a failure shows)

    def __init__(self, window):
        super().__init__(window)
        self.window, self.docs, self.session = window, window.docs, window.session
        self.job: Job | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.isRunning()

    def open_file(self, path: str) -> bool:
        """A dropped file: a model file opens; a weights file first asks which model it belongs to."""
        if kind(path) == "weights":
            last = self.window.settings.value("open/weights_model", "")
            source, ok = QInputDialog.getText(
                self.window, "Which model are these weights for?",
                f"{Path(path).name} holds weights only. Name the model they belong to:\n"
                "torchvision:NAME, timm:NAME or package.module:factory.",
                text=last if isinstance(last, str) and last else guess_source(path))
            if not ok or not source.strip():
                return False
            self.window.settings.setValue("open/weights_model", source.strip())
            return self.open(source.strip(), weights=path)
        return self.open(path)

    def open(self, source: str, weights: str = "none", shape=None) -> bool:
        """Start importing `source`; False when another import is still running."""
        if self.busy:
            self.window.statusBar().showMessage("Still opening the last model: wait for it to finish.", 6000)
            return False
        from ...core.interop.open_model import open_model
        name = shown_name(source)
        self.window.statusBar().showMessage(f"Opening {name}…")
        cancel = threading.Event()
        self.job = Job(lambda: open_model(source, weights, shape, cancel=cancel), self)
        self.job.cancel = cancel
        self.job.done.connect(lambda opened: self._done(opened, name))
        self.job.failed.connect(lambda message: self._failed(message, name))
        self.job.start()
        return True

    def _done(self, opened, name: str) -> None:
        from ..canvas.edits import place_missing
        from ..canvas.layout import direction_of
        if not (self.docs.stop_training() and self.docs.ask_save()):
            self.window.statusBar().showMessage(f"{name} was not opened: the open project is kept.", 8000)
            self.finished.emit(False)
            return
        project = opened.project
        place_missing(project.graph, direction=direction_of(project))
        self.session.set_project(project, None, dirty=True)  # unsaved: Save asks where
        self.docs.journal.remove()
        self.docs.pending_weights, self.docs.imported_from = opened.weights, name
        self.window._update_title()
        n = len(project.graph.nodes)
        check = (f"; outputs equal the source's to {opened.max_abs_difference:.1e}"
                 if opened.max_abs_difference is not None else "")
        self.window.statusBar().showMessage(f"Opened {name}: {n} blocks{check}. Not saved yet.", 15000)
        self.finished.emit(True)

    def _failed(self, message: str, name: str) -> None:
        self.window.statusBar().clearMessage()
        self.docs.error(f"Could not open “{name}”", f"{message}\n\nThe project you had open is still open.")
        self.finished.emit(False)

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.job.wait()
