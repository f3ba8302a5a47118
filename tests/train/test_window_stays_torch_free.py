"""The whole window trains a network without ever importing torch (or importing matplotlib
on its UI thread): the worker's messages are plain data, the curves' plotting library loads
on a background thread, and the inspection panels, present but behind other tabs, do not
load the run until one is looked at. Run in a fresh process: the test process has torch."""
from __future__ import annotations

import subprocess
import sys

from cnnstudio.core import save_project

from .conftest import small_project

SCRIPT = r"""
import sys, threading
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
import matplotlib  # noqa: only the package; its pyplot/backends are what cost (watched below)
main = threading.main_thread()
on_ui = []
class Watch:  # who imports matplotlib's Qt backend, and on which thread
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib.backends.backend_qtagg":
            on_ui.append(threading.current_thread() is main)
        return None
sys.meta_path.insert(0, Watch())
from cnnstudio.core import load_project
from cnnstudio.gui.main_window import MainWindow
win = MainWindow(settings=QSettings(sys.argv[2] + "/s.ini", QSettings.IniFormat))
win.show()
win.docs.ask_save = lambda: True
win.session.set_project(load_project(sys.argv[1]), sys.argv[1])
dock = win.training
result = []
dock.run_finished.connect(lambda msg: (result.append(msg["status"]), QTimer.singleShot(300, app.quit)))
win.act_workspaces[1].trigger()  # the Train workspace: the curves in view
QTimer.singleShot(100, dock.start)
QTimer.singleShot(170000, app.quit)
app.exec()
print("status", *result)
print("torch", "torch" in sys.modules)
print("curves", dock.curves.canvas is not None, "draws", dock.curves.draw_count)
print("backend_on_ui_thread", any(on_ui), "imports", len(on_ui))
win.docs.journal.remove()
"""


def test_training_from_the_window_never_imports_torch_there(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 2}), path)
    (tmp_path / "cfg").mkdir()
    env_out = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(tmp_path / "cfg")],
                             capture_output=True, text=True, timeout=180, cwd=tmp_path,
                             env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
                                  "CNNSTUDIO_CONFIG_DIR": str(tmp_path / "cfg")})
    lines = dict(line.split(" ", 1) for line in env_out.stdout.splitlines() if " " in line)
    assert lines.get("status") == "finished", env_out.stdout + env_out.stderr
    assert lines["torch"] == "False"
    assert lines["curves"].startswith("True")
    assert lines["backend_on_ui_thread"] == "False imports 1"
