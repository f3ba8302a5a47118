"""The whole window trains a network without ever importing torch (or importing matplotlib
on its UI thread): the worker's messages are plain data, the curves' plotting library and the
worker's module load on background threads when the Train workspace is shown, and the inspection panels, present but behind other tabs, do not
load the run until one is looked at; with every panel in view they show the live run, computed
in the inspection process. Run in fresh processes: the test process has torch."""
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
on_ui, worker_on_ui = [], []
class Watch:  # who imports matplotlib's Qt backend and the worker's module, and on which thread
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib.backends.backend_qtagg":
            on_ui.append(threading.current_thread() is main)
        if name == "cnnstudio.core.train.worker":
            worker_on_ui.append(threading.current_thread() is main)
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
ready = []
def start(tries=[0]):  # as a user presses Start after reading the settings
    tries[0] += 1
    if "cnnstudio.core.train.worker" not in sys.modules and tries[0] < 600:
        return QTimer.singleShot(50, start)
    ready.append("cnnstudio.core.train.worker" in sys.modules)
    dock.start()
QTimer.singleShot(100, start)
QTimer.singleShot(170000, app.quit)
app.exec()
print("status", *result)
print("torch", "torch" in sys.modules)
print("curves", dock.curves.canvas is not None, "draws", dock.curves.draw_count)
print("backend_on_ui_thread", any(on_ui), "imports", len(on_ui))
print("worker_imported_before_start", *ready, "on_ui_thread", any(worker_on_ui))
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
    assert lines["worker_imported_before_start"] == "True on_ui_thread False"


PANELS_SCRIPT = r"""
import json, os, sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from cnnstudio.core import load_project
from cnnstudio.gui.main_window import MainWindow
win = MainWindow(settings=QSettings(sys.argv[2] + "/s.ini", QSettings.IniFormat))
win.resize(1400, 900)
win.show()
win.docs.ask_save = lambda: True
win.session.set_project(load_project(sys.argv[1]), sys.argv[1])
win.act_workspaces[2].trigger()  # the Inspect workspace
docks = win.hosted[1:]
for d in docks:  # every inspection panel in view at once, none behind a tab
    d.setFloating(True)
    d.resize(800, 600)
    d.show()
state = docks[0].inspect_state
p = {d.objectName().split(".")[1]: d.widget() for d in docks}
p = {k: getattr(w, "widget", lambda: w)() or w for k, w in p.items()}  # panels sit in scroll areas
out, done = {}, []
def look():  # once the run is done and the panels show its last epoch: what they show
    fm, fp, pp, cp, tp = p["features"], p["filters"], p["predictions"], p["confusion"], p["timeline"]
    if not done or state.pending() or "of 2)" not in fp.source.text():
        return QTimer.singleShot(100, look)
    if "unit" not in out:  # click the first filter: what its unit looks for
        out["unit"] = True
        fp.filter_clicked(fp.mosaic.pad + 1, fp.mosaic.pad + 1)
        return QTimer.singleShot(100, look)
    if "finding" in fp.unit_caption.text():  # its patches are still being looked for
        return QTimer.singleShot(100, look)
    worker = state.client._worker.proc
    out.update(sources=sorted({w.source.text() for w in p.values()}), features=fm.caption.text(),
               mosaic=list(fm.area.view.image_size()), filters=fp.caption.text(), unit=fp.unit_caption.text(),
               gallery=len(pp.gallery.indices), samples=len(state.inspection.images), cm=int(cp.cm.sum()),
               detail=pp.detail.text.text(), heat=list(pp.detail.heat.shape), epochs=len(tp.epochs),
               statuses=[w.status.text() for w in p.values()], torch="torch" in sys.modules)
    win.close()  # as a user closes it: the inspection process ends
    out["worker_alive_after_close"] = worker.is_alive()
    app.quit()
win.training.run_finished.connect(lambda msg: (done.append(msg["status"]), look()))
QTimer.singleShot(100, win.training.start)
QTimer.singleShot(170000, app.quit)
app.exec()
print(json.dumps({"status": done, **out}))
"""


def test_every_inspection_panel_follows_a_training_run_without_torch_in_the_window(tmp_path):
    """Training from the window with all five inspection panels in view: they show the live
    run (maps, filters, a unit's patches, predictions, Grad-CAM, the matrix, the timeline)
    computed in the inspection process, and the window's process never imports torch."""
    import json
    import os
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 2}), path)
    (tmp_path / "cfg").mkdir()
    run = subprocess.run([sys.executable, "-c", PANELS_SCRIPT, str(path), str(tmp_path / "cfg")],
                         capture_output=True, text=True, timeout=180, cwd=tmp_path,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "CNNSTUDIO_INSPECT_BACKEND": "process",
                              "CNNSTUDIO_CONFIG_DIR": str(tmp_path / "cfg")})
    try:
        r = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise AssertionError(run.stdout + run.stderr) from None
    assert r["status"] == ["finished"], run.stderr
    assert r["torch"] is False
    assert len(r["sources"]) == 1 and r["sources"][0].startswith("Run ") and "checkpoint (epoch" in r["sources"][0]
    assert r["features"].startswith("conv1 [8×16×16] for test sample 0: 8 maps") and min(r["mosaic"]) > 0
    assert r["filters"].startswith("conv1: 8 filters")
    assert r["unit"].startswith("conv1 channel 0: the 9 test patches")
    assert r["gallery"] == r["samples"] > 0 and r["cm"] == r["samples"]
    assert "test sample 0" in r["detail"] and "Grad-CAM of class" in r["detail"] and r["heat"] == [16, 16]
    assert r["epochs"] == 2
    assert not any("omputing" in s or "Could not" in s or "stopped" in s for s in r["statuses"]), r["statuses"]
    assert r["worker_alive_after_close"] is False
