"""File → Report… runs `cnnstudio report` in a child process: the window writes the report
without importing torch, and says in one line when it cannot. Run in a fresh process: the
test process has torch."""
from __future__ import annotations

import os
import subprocess
import sys

from cnnstudio.core import save_project

from ..train.conftest import small_project

SCRIPT = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog
app = QApplication([])
from cnnstudio.gui.main_window import MainWindow
win = MainWindow(settings=QSettings(sys.argv[3] + "/s.ini", QSettings.IniFormat))
win.show()
win.docs.ask_save = lambda: True
win.docs.open_path(sys.argv[1])
lines = []
outs = iter([sys.argv[2], sys.argv[3] + "/gone/report.html"])  # the second's folder does not exist
QFileDialog.getSaveFileName = lambda *a: (next(outs), "HTML report (*.html)")  # the user picks a file
def report():
    win.act_report.trigger()  # File → Report…
    lines.append(win.statusBar().currentMessage())
def done(ok, line):
    lines.append(line)
    QTimer.singleShot(0, report if len(lines) < 4 else app.quit)
QTimer.singleShot(0, lambda: (report(), win.reporter.finished.connect(done)))
QTimer.singleShot(120000, app.quit)
app.exec()
for line in lines:
    print("line", line)
print("torch", "torch" in sys.modules)
win.docs.journal.remove()
"""


def test_file_report_writes_the_report_in_a_child_process_without_torch_in_the_window(tmp_path):
    from cnnstudio.cli import main
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 1}), path)
    assert main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "tiny.runs" / "r1")]) == 0
    out = tmp_path / "report.html"
    (tmp_path / "cfg").mkdir()
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(out), str(tmp_path / "cfg")],
                         capture_output=True, text=True, timeout=180, cwd=tmp_path,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "CNNSTUDIO_CONFIG_DIR": str(tmp_path / "cfg")})
    lines = [l.split(" ", 1)[1] for l in run.stdout.splitlines() if l.startswith("line ")]
    assert len(lines) == 4, run.stdout + run.stderr
    assert lines[0] == "Writing the report on r1…" and lines[1].startswith(f"Wrote the report {out} (")
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    gone = tmp_path / "cfg" / "gone" / "report.html"
    assert lines[3] == f"Could not write {gone}: No such file or directory. Choose another folder."
    assert "Traceback" not in run.stdout + run.stderr
    assert "torch False" in run.stdout  # the window's process never loaded it
