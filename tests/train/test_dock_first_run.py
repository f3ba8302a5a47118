"""A first run of a project not saved yet, from the Training dock as a new user does it: where
its runs go, the run in the table at once, settings folded away and locked while it trains,
a one-epoch run's learning rate drawn, no Resume of a finished run, and the run kept with the
project once it is saved."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.train.runs import runs_folder

from .conftest import small_project


def test_first_run_of_an_unsaved_project(qtbot, tmp_path, monkeypatch):
    from cnnstudio.gui.session import Session
    from cnnstudio.gui.training.dock import TrainingDock
    s = Session()
    s.set_project(small_project(training={"epochs": 1}), None)
    dock = TrainingDock(s)
    qtbot.addWidget(dock)
    dock.resize(1250, 680)
    dock.show()
    assert dock.runs.where.isVisible() and str(runs_folder(None)) in dock.runs.where.text()

    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dock.runs.experiments.rowCount() == 1, timeout=60000)
    assert dock.running  # listed while it trains, and "show" names it
    assert dock.runs.current() == dock.run_dir and dock.run_dir.parent == runs_folder(None)
    assert dock.settings_panel.folded and not dock.form.processes.isEnabled()
    qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    assert "Trained 1 epoch" in dock.message.text()
    qtbot.waitUntil(lambda: dock.curves.canvas is not None and len(dock.curves.lines["lr"].get_xdata()) == 1,
                    timeout=10000)  # one epoch: one learning-rate point, drawn with a marker
    assert dock.curves.lines["lr"].get_marker() not in ("", "None", None)
    assert not dock.resume_button.isEnabled()  # finished as asked: nothing to resume

    run = dock.run_dir
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    s.mark_saved(tmp_path / "tiny.cnnproj")  # what File → Save as does once the file is written
    assert asked and "1 run(s)" in asked[0]
    kept = tmp_path / "tiny.runs" / run.name
    assert (kept / "run.json").exists() and not run.exists()
    assert s.run_dir == kept and dock.runs.experiments.rowCount() == 1 and not dock.runs.where.isVisible()
