"""File handling for the window: new, open, save, save as, recent files, the recovery
journal, and asking before unsaved work is lost. Every failure is a dialog in the
user's terms; the open project stays as it was."""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core import Graph, Project, ProjectError, load_project, save_project
from ..core.project import SUFFIX
from . import recovery
from .canvas.edits import place_missing
from .canvas.layout import direction_of
from .gallery import GalleryDialog

MAX_RECENT = 8
JOURNAL_DELAY_MS = 1500


def config_dir() -> Path:
    env = os.environ.get("CNNSTUDIO_CONFIG_DIR")
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.GenericConfigLocation) or str(Path.home() / ".config")
    return Path(base) / "cnnstudio"


def open_settings() -> QSettings:
    d = config_dir()
    d.mkdir(parents=True, exist_ok=True)
    return QSettings(str(d / "cnnstudio.ini"), QSettings.IniFormat)


def empty_project() -> Project:
    return Project("Untitled", Graph())


class Documents(QObject):
    recent_changed = Signal()
    journal_failed = Signal(str)  # from the journal's writer thread

    def __init__(self, window, session, settings: QSettings):
        super().__init__(window)
        self.window, self.session, self.settings = window, session, settings
        self.journal = recovery.Journal(config_dir() / "recovery")
        self._timer = QTimer(self, singleShot=True, interval=JOURNAL_DELAY_MS)
        self._timer.timeout.connect(self.write_journal)
        self.journal_failed.connect(self._journal_failed)
        session.analysis_changed.connect(self._edited)
        session.dirty_changed.connect(lambda _: self._edited())  # settings edits too
        # an opened model (gui/interop/open_model.py): its weights, written beside it on the first save
        self.pending_weights, self.imported_from, self.opener = None, None, None
        session.project_replaced.connect(self._forget_import)

    # --- dialogs ---------------------------------------------------------------------------
    def error(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Warning, title, title, QMessageBox.Ok, self.window)
        box.setInformativeText(text)
        box.setObjectName("errorDialog")
        box.exec()

    def ask_save(self) -> bool:
        """True when it is fine to drop the current project (saved, or the user said discard)."""
        if not self.session.dirty:
            return True
        name = self.session.project.name
        box = QMessageBox(QMessageBox.Question, "Unsaved changes", f"Save the changes to “{name}”?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self.window)
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setDefaultButton(QMessageBox.Save)
        answer = box.exec()
        if answer == QMessageBox.Save:
            return self.save()
        if answer == QMessageBox.Discard:
            self.journal.remove()
            return True
        return False

    def stop_training(self) -> bool:
        """Before another project replaces this one: a running training stops (after asking)."""
        training = getattr(self.window, "training", None)
        if training is None or not training.running:
            return True
        answer = QMessageBox.question(
            self.window, "Training is running",
            f"“{self.session.project.name}” is training. Stop it and close the project? Its last finished "
            "epoch is kept, and Resume continues it later.", QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        if answer != QMessageBox.Yes:
            return False
        training.shutdown()
        return True

    # --- new and open ------------------------------------------------------------------------
    def new_empty(self) -> bool:
        if not self.stop_training() or not self.ask_save():
            return False
        self.journal.remove()
        self.session.set_project(empty_project(), None)
        return True

    def new_from_gallery(self) -> bool:
        if not self.stop_training() or not self.ask_save():
            return False
        dlg = GalleryDialog(self.window)
        if not dlg.exec():
            return False
        if dlg.choice is None:
            self.journal.remove()
            self.session.set_project(empty_project(), None)
            return True
        return self.open_path(dlg.choice, as_template=True, confirmed=True)

    def open_any(self, source, weights: str = "none", shape=None) -> bool:
        """A project opens at once; a model (an .onnx or .pt2 file, torchvision:NAME, a weights file
        and the model it belongs to) is imported in the background as an unsaved project."""
        from ..core.project.sources import kind
        if kind(source) in ("project", "unknown"):
            return self.open_path(source)
        if self.opener is None:
            from .interop.open_model import ModelOpener
            self.opener = ModelOpener(self.window)
        if weights != "none" or shape is not None:
            return self.opener.open(str(source), weights, shape)
        return self.opener.open_file(str(source))

    def _forget_import(self) -> None:
        self.pending_weights = self.imported_from = None

    def start_folder(self) -> Path:
        """Where Open and Save as start: the project's folder, else the last project's, else the
        home folder; never the program's working folder."""
        if self.session.path:
            return self.session.path.parent
        last = self.settings.value("last_project", "")
        return Path(last).parent if last and Path(last).parent.is_dir() else Path.home()

    def open_dialog(self) -> bool:
        start = str(self.start_folder())
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", start,
                                              f"CNN Studio projects (*{SUFFIX});;All files (*)")
        return self.open_path(Path(path)) if path else False

    def open_path(self, path, as_template: bool = False, confirmed: bool = False) -> bool:
        """Open a project file; a template opens as a new, unsaved copy."""
        path = Path(path)
        if not confirmed and not (self.stop_training() and self.ask_save()):
            return False
        try:
            project = load_project(path)
            place_missing(project.graph, direction=direction_of(project))
            self.session.set_project(project, None if as_template else path)  # all or nothing
        except ProjectError as e:
            self.error(f"Could not open “{path.name}”", f"{e}\n\nThe file was not changed. "
                       "Fix it in a text editor, or open another project.")
            return False
        except Exception as e:  # noqa: BLE001 - a bug must not leave a half-open project behind
            self.error(f"Could not open “{path.name}”", f"{e.__class__.__name__}: {e}\n\nThe file was not "
                       "changed and the project you had open is still open. Please report this file as a bug.")
            return False
        self.journal.remove()
        if not as_template:
            self._add_recent(path)
        return True

    # --- save ------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.session.path is None:
            return self.save_as()
        return self._write(self.session.path)

    def save_as(self, path=None) -> bool:
        if path is None:
            start = str(self.session.path or self.start_folder() / (self.session.project.name + SUFFIX))
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save project as", start,
                                                    f"CNN Studio projects (*{SUFFIX})")
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        if self.session.project.name in ("", "Untitled"):
            self.session.project.name = path.stem
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            if self.pending_weights is None:
                save_project(self.session.project, path)
            else:
                self._write_with_weights(path)
        except OSError as e:
            self.error(f"Could not save “{path.name}”",
                       f"{e.strerror or e} ({path}).\n\nYour work is still open and nothing was "
                       "overwritten. Choose another folder with Save As.")
            return False
        self.session.mark_saved(path)
        self.journal.remove()
        self._timer.stop()
        self._add_recent(path)
        return True

    def _write_with_weights(self, path: Path) -> None:
        """An opened model's first save: the project and its weights beside it, both or neither."""
        from ..core.interop.open_model import weights_name
        from ..core.interop.weights import weights_bytes
        from ..core.project import dumps_project
        from ..core.project.atomic import atomic_write_many
        project, before = self.session.project, self.session.project.weights
        project.weights = weights_name(path)
        data = weights_bytes(self.pending_weights)
        try:
            text = dumps_project(project)
            atomic_write_many({path.with_name(project.weights): lambda tmp: Path(tmp).write_bytes(data),
                               path: lambda tmp: Path(tmp).write_text(text, encoding="utf-8")})
        except BaseException:
            project.weights = before
            raise
        self.pending_weights = self.imported_from = None

    # --- recent files ------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)]

    def _add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        items = [p] + [r for r in self.recent() if r != p]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self.settings.setValue("last_project", p)
        self.recent_changed.emit()

    # --- recovery journal --------------------------------------------------------------------
    def _edited(self) -> None:
        if self.session.dirty:
            self._timer.start()
        else:
            self._timer.stop()
            self.journal.remove()

    def write_journal(self) -> None:
        if not self.session.dirty:
            return
        # a full disk must not interrupt editing: the failure is a status-bar note
        self.journal.write_soon(self.session.project, self.session.path, self.journal_failed.emit)

    def _journal_failed(self, message: str) -> None:
        self.window.statusBar().showMessage(f"Could not write the recovery journal: {message}", 8000)

    def offer_recovery(self) -> bool:
        """Offer each left-behind journal: Restore, Discard, or Later (kept). True if restored."""
        for path in recovery.pending(self.journal.dir, own=self.journal.path):
            try:
                project, original, saved_at = recovery.read(path)
            except ProjectError as e:
                self.error("A recovery journal could not be read", f"{e}\n\nIt was left in place: {path}")
                continue
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(saved_at or path.stat().st_mtime))
            where = f" ({original.name})" if original else ""
            box = QMessageBox(QMessageBox.Question, "Restore unsaved work?",
                              f"CNN Studio closed before “{project.name}”{where} was saved.",
                              QMessageBox.NoButton, self.window)
            box.setObjectName("recoveryDialog")
            box.setInformativeText(f"Unsaved changes from {when} were kept. Restore them?")
            restore = box.addButton("Restore", QMessageBox.AcceptRole)
            discard = box.addButton("Discard", QMessageBox.DestructiveRole)
            box.addButton("Later", QMessageBox.RejectRole)
            box.setDefaultButton(restore)
            box.exec()
            clicked = box.clickedButton()
            if clicked is restore:
                place_missing(project.graph, direction=direction_of(project))
                self.session.set_project(project, original, dirty=True)
                self.journal.adopt(path)
                return True
            if clicked is discard:
                path.unlink(missing_ok=True)
        return False
