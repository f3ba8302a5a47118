"""Pressing Start: the click does the buttons and the job, and the note, the fold, the bars and
the process's spawning follow a frame apart (gui/training/run_control._launch). What the user
does meanwhile (Stop, Pause, closing the window, a check) keeps its effect."""
from __future__ import annotations

from PySide6.QtCore import Qt

from cnnstudio.core import load_project, save_project

from .conftest import small_project

LEFT = Qt.LeftButton


def test_start_spawns_after_the_dock_is_laid_out_and_stop_at_once_ends_cleanly(qtbot, dock):
    """Start's click does the dock's own work; the process is spawned a few frames later (a spawning
    thread beside that work made it ≈20 ms longer). Stop in between ends the run with no process."""
    ended = []
    dock.run_finished.connect(ended.append)
    qtbot.mouseClick(dock.start_button, LEFT)
    assert dock.running and dock.stop_button.isEnabled() and not dock.start_button.isEnabled()
    assert dock.worker.process is None and not dock.worker.started.is_set()  # not in the click's turn
    qtbot.mouseClick(dock.stop_button, LEFT)
    qtbot.waitUntil(lambda: not dock.running, timeout=10_000)
    assert dock.worker.process is None
    assert "Stopped before the training process started" in dock.message.toolTip()
    assert dock.start_button.isEnabled() and dock.form.isEnabled() and not dock.settings_panel.folded
    dock.epoch_bar.setRange(0, 9)
    dock.epoch_bar.setValue(7)  # as a longer run before this one left it
    qtbot.mouseClick(dock.start_button, LEFT)  # and Start again trains
    assert (dock.epoch_bar.value(), dock.epoch_bar.maximum()) == (0, dock.form.epochs.value())  # this run's, at once
    assert dock.batch_bar.text() == "batch" and dock.speed_label.text() == ""  # not the last run's batches and speed
    qtbot.waitUntil(lambda: dock.worker.process is not None, timeout=5_000)
    assert dock.settings_panel.folded and not dock.form.isEnabled() and dock.epoch_bar.isVisible()
    qtbot.waitUntil(lambda: not dock.running, timeout=120_000)
    assert [m["status"] for m in ended] == ["stopped", "finished"], ended[-1]["message"]
    assert dock.form.isEnabled()


def test_what_happens_during_starts_steps_keeps_its_effect(qtbot, dock, session, tmp_path):
    """Pause, a stop from the window's closing, an overfit check stopped at once: none is undone by
    Start's steps still to come; the last run's "Apply: …" fix does not stay up during the next."""
    node = next(iter(session.graph.nodes))
    dock.handle({"type": "done", "status": "failed", "message": "The head does not fit.", "kind": "head",
                 "fix": {"node": node, "params": {"out_features": 3}}, "run_dir": None})
    assert dock.fix_button.isVisibleTo(dock)
    qtbot.mouseClick(dock.start_button, LEFT)
    assert not dock.fix_button.isVisibleTo(dock)
    qtbot.mouseClick(dock.pause_button, LEFT)
    qtbot.wait(200)  # Start's note, folding and bars are due meanwhile
    assert dock.message.toolTip().startswith("Pausing")
    dock.shutdown()  # what closing the window does once the user says Yes
    assert not dock.running and dock.form.isEnabled()
    other = tmp_path / "other.cnnproj"
    save_project(small_project(), other)
    session.set_project(load_project(other), other)
    qtbot.wait(200)
    assert dock.form.isEnabled() and not dock.settings_panel.folded and not dock.epoch_bar.isVisible()
    assert "Starting" not in dock.message.toolTip()
    qtbot.mouseClick(dock.overfit_button, LEFT)
    assert not dock.form.isEnabled()
    qtbot.mouseClick(dock.stop_button, LEFT)
    qtbot.waitUntil(lambda: not dock.running, timeout=10_000)
    assert dock.form.isEnabled() and dock.worker.process is None


def test_start_stopped_before_its_folder_keeps_the_run_shown_before(qtbot, dock):
    dock.form.epochs.setValue(300)
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: len(dock.curves.rows) >= 1, timeout=120_000)
    dock.stop()
    qtbot.waitUntil(lambda: not dock.running, timeout=60_000)
    first = dock.runs.current()
    assert first is not None and dock.resume_button.isEnabled()
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.mouseClick(dock.stop_button, LEFT)
    qtbot.waitUntil(lambda: not dock.running, timeout=10_000)
    assert not dock.run_dir.exists()  # nothing was made
    assert dock.runs.current() == first and dock.resume_button.isEnabled()
