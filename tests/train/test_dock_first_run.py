"""A first run of a project not saved yet, from the Training dock as a new user does it: where
its runs go, the run in the table at once, settings folded away and locked while it trains,
a one-epoch run's learning rate drawn, no Resume of a finished run, and the run kept with the
project once it is saved."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.train.runs import runs_folder

from .conftest import SMALL_SHAPES, small_project


def unsaved_dock(qtbot, epochs: int):
    """The Training dock of a project not saved yet, shown; its epochs long enough (≈1 s) to be
    seen while it trains, on a fast machine too."""
    from cnnstudio.gui.session import Session
    from cnnstudio.gui.training.dock import TrainingDock
    s = Session()
    s.set_project(small_project({**SMALL_SHAPES, "image_size": 32, "count": 6000}, {"epochs": epochs}, size=32), None)
    dock = TrainingDock(s)
    qtbot.addWidget(dock)
    dock.resize(1250, 680)
    dock.show()
    return s, dock


def test_first_run_of_an_unsaved_project(qtbot, tmp_path, monkeypatch):
    s, dock = unsaved_dock(qtbot, epochs=1)
    assert dock.runs.where.isVisible() and str(runs_folder(None)) in dock.runs.where.text()

    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    running_when_listed = []

    def listed():
        if dock.runs.experiments.rowCount() == 1:
            running_when_listed.append((dock.running, dock.runs.current() == dock.run_dir,
                                        dock.settings_panel.folded, dock.form.processes.isEnabled()))
            return True
        return False
    qtbot.waitUntil(listed, timeout=60000)
    # listed while it trains, "show" names it, the settings folded away and processes locked
    assert running_when_listed == [(True, True, True, False)]
    assert dock.run_dir.parent == runs_folder(None)
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


def test_the_running_run_counts_its_epochs_in_the_table(qtbot):
    """While a run trains, its row and its "show" line say how many epochs are done (they said
    "running, 0 epoch(s)" until it ended)."""
    _, dock = unsaved_dock(qtbot, epochs=2)
    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    table = dock.runs.experiments
    seen = []

    def one_epoch_shown():
        if dock.running and table.rowCount() == 1:
            seen.append((table.item(0, 1).text(), table.item(0, 2).text(), dock.runs.history.currentText()))
        return bool(seen) and seen[-1][1] == "1"
    qtbot.waitUntil(one_epoch_shown, timeout=60000)
    status, _, line = seen[-1]
    assert status == "running" and "running, 1 epoch(s)" in line
    qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    assert table.item(0, 2).text() == "2" and "finished, 2 epoch(s)" in dock.runs.history.currentText()
