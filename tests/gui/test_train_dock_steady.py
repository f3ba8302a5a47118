"""A run from Start to its end in the Train workspace at 1280×800: nothing above or below the
curves changes height while they show it (each change drew them again in full), the progress
bars appear at Start, and at its end the project's runs are read from disk once."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt

from cnnstudio.core import save_project

from ..train.conftest import small_project
from .test_train_workspace import train_window


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(), path)
    return path


class Resizes(QObject):
    """The curves' sizes while they show something (a resize before the first batch is the
    settings folding away at Start: nothing is drawn yet)."""

    def __init__(self, curves):
        super().__init__(curves)
        self.curves, self.seen = curves, []
        curves.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Resize and (self.curves.rows or self.curves.running):
            self.seen.append((len(self.curves.rows), event.oldSize(), event.size()))
        return False


def test_the_curves_keep_their_size_from_start_to_the_end_of_a_run(make_window, qtbot, project):
    win = train_window(make_window, project)
    dock = win.training
    assert not dock.epoch_bar.isVisible()  # no run yet
    resizes = Resizes(dock.curves)
    dock.form.epochs.setValue(3)  # the first epoch's end in the middle of the run
    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dock.epoch_bar.isVisible() and dock.batch_bar.isVisible(), timeout=5000)  # next turn
    qtbot.waitUntil(lambda: not dock.running, timeout=120_000)
    assert "Trained 3 epoch" in dock.message.text()
    assert len(dock.curves.rows) == 3
    qtbot.waitUntil(lambda: dock.curves.canvas is not None and dock.curves.canvas.isVisible())  # drawn
    assert resizes.seen == []  # (epochs shown, from, to) of every resize while it was drawn
    assert dock.epoch_bar.isVisible() and dock.epoch_bar.value() == 3  # how the run ended


def test_a_run_s_end_reads_the_runs_once(make_window, qtbot, project, monkeypatch):
    from cnnstudio.gui.training import run_history
    reads = []
    read = run_history.list_runs
    monkeypatch.setattr(run_history, "list_runs", lambda folder: reads.append(folder) or read(folder))
    win = train_window(make_window, project)
    dock = win.training
    reads_at = {}  # message type → folders read while the dock handled it
    handle = dock.handle

    def counted(msg):
        before = len(reads)
        handle(msg)
        reads_at.setdefault(msg.get("type"), []).append(len(reads) - before)
    monkeypatch.setattr(dock, "handle", counted)
    dock.form.epochs.setValue(1)
    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dock.running, timeout=120_000)
    assert reads_at["done"] == [1]
    run = dock.run_dir
    assert dock.runs.history.currentData() == str(run)  # both lists have the run that ended
    box = dock.transfer.start_from
    assert f"best weights of {run.name}" in [box.itemText(i) for i in range(box.count())]
