"""Quitting right after the Train workspace is first shown: the window makes the curves' figure
and imports what Start needs on threads of its own; killed mid-way by the interpreter's exit (as
daemon threads are) inside matplotlib's C++ code, the process aborted ("terminate called without
an active exception", exit code 134, or a segmentation fault)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import os, sys, tempfile
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from cnnstudio.gui.main_window import MainWindow
    folder = tempfile.mkdtemp()
    win = MainWindow(settings=QSettings(folder + "/s.ini", QSettings.IniFormat))
    win.resize(1280, 800)
    win.show()
    win.workspaces.switch("train")
    QTimer.singleShot(int(sys.argv[1]), app.quit)
    app.exec()
    win.docs.journal.remove()
""")


@pytest.mark.parametrize("after_ms", [100, 200, 300, 400, 500, 600])
def test_quitting_just_after_showing_train_exits_cleanly(after_ms, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"),
               XDG_DATA_HOME=str(tmp_path / ".local" / "share"), XDG_CACHE_HOME=str(tmp_path / ".cache"),
               CNNSTUDIO_CONFIG_DIR=str(tmp_path / ".config" / "cnnstudio"))
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(after_ms)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert "terminate called" not in out.stderr
