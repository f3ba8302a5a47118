"""File → Report…: the run's HTML report, written by `cnnstudio report RUN -o OUT` in a child
process (it loads the weights and the test set with torch), so the window never imports torch
and never waits on it; the command writes the file atomically."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal


class ReportWriter(QObject):
    finished = Signal(bool, str)  # ok, a line for the user

    def __init__(self, parent=None):
        super().__init__(parent)
        self.busy = False

    def write(self, run_dir: Path, out: Path) -> None:
        self.busy = True
        run_dir, out = Path(run_dir), Path(out)
        proc = QProcess(self)
        proc.setProgram(sys.executable)
        proc.setArguments(["-m", "cnnstudio", "report", str(run_dir), "-o", str(out)])
        proc.finished.connect(lambda *_: self._done(proc, run_dir, out))
        proc.errorOccurred.connect(lambda err: err == QProcess.ProcessError.FailedToStart and self._done(proc, run_dir, out))
        proc.start()

    def _done(self, proc: QProcess, run_dir: Path, out: Path) -> None:
        if not self.busy:
            return
        self.busy = False
        err = bytes(proc.readAllStandardError()).decode(errors="replace").strip()
        why = (err.splitlines()[-1] if err else proc.errorString()).removeprefix("cnnstudio report: ")
        if proc.exitStatus() == QProcess.ExitStatus.NormalExit and proc.exitCode() == 0 and out.is_file():
            ok, line = True, f"Wrote the report {out} ({out.stat().st_size / 1024:.0f} KB)."
        elif why.startswith(f"cannot write {out}: "):
            reason = why.removeprefix(f"cannot write {out}: ").removesuffix(" Choose another file with -o.")
            ok, line = False, f"Could not write {out}: {reason} Choose another folder."
        else:  # a damaged run (or the command could not start): which and why, never a traceback
            ok, line = False, f"Could not report on the run {run_dir.name}: {why}"
        proc.deleteLater()
        self.finished.emit(ok, line)
