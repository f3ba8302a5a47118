"""File → Report…: the run's HTML report (what `cnnstudio report` writes), built in a background
thread — it loads the weights and the test set with torch — and written atomically."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal


class ReportWriter(QObject):
    finished = Signal(bool, str)  # ok, a line for the user

    def __init__(self, parent=None):
        super().__init__(parent)
        self.busy = False

    def write(self, run_dir: Path, out: Path) -> None:
        self.busy = True
        threading.Thread(target=self._work, args=(Path(run_dir), Path(out)), daemon=True,
                         name="report").start()

    def _work(self, run_dir: Path, out: Path) -> None:
        try:
            from ..core.files import atomic_write_text
            from ..core.inspect.report import build_report
            from ..core.inspect.source import from_run
            text = build_report(from_run(run_dir))
            atomic_write_text(out, text)
            ok, line = True, f"Wrote the report {out} ({len(text.encode()) / 1024:.0f} KB)."
        except OSError as e:
            ok, line = False, f"Could not write {out}: {e.strerror or e}. Choose another folder."
        except Exception as e:  # noqa: BLE001 - a damaged run: say which and why, never a traceback
            ok, line = False, f"Could not report on the run {run_dir.name}: {e}"
        self.busy = False
        try:
            self.finished.emit(ok, line)
        except RuntimeError:  # the window closed meanwhile
            pass
