"""A first run of a project not saved yet, from the Training dock as a new user does it: where
its runs go, the run in the table at once (and only its runs, not other unsaved projects' in
the same folder), settings folded away and locked while it trains,
a one-epoch run's learning rate drawn, no Resume of a finished run, and the run kept with the
project once it is saved."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.exceptions import TimeoutError as WaitTimedOut

from cnnstudio.core.project import save_project
from cnnstudio.core.train.runs import RUN_FORMAT, list_runs, runs_folder

from .conftest import SMALL_SHAPES, small_project


def unsaved_dock(qtbot, monkeypatch, tmp_path, epochs: int):
    """The Training dock of a project not saved yet, shown; its epochs long enough (≈1 s) to be
    seen while it trains, on a fast machine too. Unsaved projects' runs go to one per-user folder:
    this test's own, so runs other tests in this process left there are not in its table."""
    monkeypatch.setenv("CNNSTUDIO_DATA", str(tmp_path / "user" / "datasets"))
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
    s, dock = unsaved_dock(qtbot, monkeypatch, tmp_path, epochs=1)
    assert dock.runs.where.isVisible() and str(runs_folder(None)) in dock.runs.where.text()
    other = runs_folder(None) / "20260101-000000-another-unsaved-project"  # shares the folder, not the table
    other.mkdir(parents=True)
    save_project(small_project(SMALL_SHAPES, {"epochs": 1}), other / "project.cnnproj")
    (other / "run.json").write_text(json.dumps({"format": RUN_FORMAT, "status": "finished", "created": "2026-01-01"}))
    assert [r.path for r in list_runs(runs_folder(None))] == [other]

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
    assert dock.runs.history.findData(str(other)) < 0
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


def test_the_running_run_counts_its_epochs_in_the_table(qtbot, monkeypatch, tmp_path):
    """While a run trains, its row and its "show" line say how many epochs are done (they said
    "running, 0 epoch(s)" until it ended). Three epochs: two finished ones can be seen while it
    runs, however late a loaded machine lets the window look."""
    _, dock = unsaved_dock(qtbot, monkeypatch, tmp_path, epochs=3)
    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    table = dock.runs.experiments
    seen = []

    def epochs_shown():
        if dock.running and table.rowCount() == 1:
            seen.append((table.item(0, 1).text(), table.item(0, 2).text(), dock.runs.history.currentText()))
        return bool(seen) and seen[-1][1] in ("1", "2")
    try:
        qtbot.waitUntil(epochs_shown, timeout=60000)
    except WaitTimedOut:  # say what the table showed instead
        raise AssertionError(f"rows {table.rowCount()}, seen {seen[-3:]}, {dock.message.text()!r}") from None
    status, done, line = seen[-1]
    assert status == "running" and f"running, {done} epoch(s)" in line
    qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    assert table.item(0, 2).text() == "3" and "finished, 3 epoch(s)" in dock.runs.history.currentText()


def test_a_resumed_run_is_listed_once(qtbot, monkeypatch, tmp_path):
    """Stop, then Resume, in a project not saved yet: the run was listed twice (and its first
    save offered to keep "2 run(s)")."""
    _, dock = unsaved_dock(qtbot, monkeypatch, tmp_path, epochs=3)
    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    table = dock.runs.experiments
    qtbot.waitUntil(lambda: not dock.running or (table.rowCount() == 1 and table.item(0, 2).text() in ("1", "2")),
                    timeout=60000)
    qtbot.mouseClick(dock.stop_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    if table.item(0, 1).text() == "stopped":  # a loaded machine may let it finish first: nothing to resume then
        qtbot.waitUntil(dock.resume_button.isEnabled, timeout=10000)
        qtbot.mouseClick(dock.resume_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    assert table.rowCount() == 1 and dock.runs.history.count() == 2  # "(current)" and the run
    assert table.item(0, 1).text() == "finished" and table.item(0, 2).text() == "3"
