"""The Training dock launching 2 data-parallel processes (torchrun, gloo on the CPU), driven like a
user: start, pause and go on, one rank dies mid-run, the message names it, the checkpoint is kept, Resume finishes
the same run folder."""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from cnnstudio.core import load_project, save_project
from cnnstudio.core.train.pointer import read_pointer
from cnnstudio.core.train.runs import read_metrics

from .conftest import small_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the rank processes in /proc")


def rank_pids() -> dict[int, int]:
    """rank → pid of the training processes this test started (their environment says so)."""
    found = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = dict(kv.split(b"=", 1) for kv in (d / "environ").read_bytes().split(b"\0") if b"=" in kv)
        except OSError:
            continue
        if b"CNNSTUDIO_LAUNCH_DIR" in env and b"RANK" in env and _descends_from_us(int(d.name)):
            found[int(env[b"RANK"])] = int(d.name)
    return found


def _descends_from_us(pid: int) -> bool:
    while pid > 1:
        if pid == os.getpid():
            return True
        try:
            pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
    return False


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_processes_from_the_window_a_rank_dies_then_resume(qtbot, tmp_path):
    from cnnstudio.gui.session import Session
    from cnnstudio.gui.training.dock import TrainingDock

    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 1000, "lr": 0.005}), path)
    session = Session()
    session.set_project(load_project(path), path)
    dock = TrainingDock(session)
    qtbot.addWidget(dock)
    dock.resize(480, 1200)
    dock.show()

    dock.form.processes.selectAll()
    qtbot.keyClicks(dock.form.processes, "2")
    assert dock.form.nproc() == 2
    qtbot.mouseClick(dock.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(dock.curves.rows) >= 1, timeout=90000)  # live curves from rank 0
    assert "in 2 processes" in dock.message.text() or "Epoch" in dock.message.text()
    run_dir = dock.run_dir
    # Pause holds every rank; Resume goes on
    qtbot.mouseClick(dock.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dock.paused, timeout=30000)
    assert "Paused in epoch" in dock.message.text()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "paused"
    qtbot.mouseClick(dock.resume_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dock.paused, timeout=30000)
    seen = len(dock.curves.rows)
    qtbot.waitUntil(lambda: len(dock.curves.rows) > seen, timeout=30000)
    pids = rank_pids()
    assert sorted(pids) == [0, 1]

    with qtbot.waitSignal(dock.run_finished, timeout=60000) as done:
        os.kill(pids[1], signal.SIGKILL)
    msg = done.args[0]
    assert msg["status"] == "failed" and msg["failed_rank"] == 1
    assert "rank 1 of 2" in msg["message"] and "SIGKILL" in msg["message"]
    assert "checkpoint of epoch" in msg["message"] and "is kept" in msg["message"]
    assert "rank 1 of 2" in dock.message.text()
    qtbot.waitUntil(lambda: not alive(pids[0]), timeout=30000)  # rank 0 stopped too
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "failed" and info["failed_rank"] == 1 and info["world_size"] == 2
    assert not (run_dir / ".lock").exists() and (run_dir / "launcher.log").exists()
    kept = read_pointer(run_dir)["last"]
    assert kept >= 1 and [m["epoch"] for m in read_metrics(run_dir)] == list(range(1, kept + 1))

    # Resume with the same 2 processes: the run continues in the same folder to the end
    dock.form.epochs.setValue(kept + 1)
    assert dock.resume_button.isEnabled()
    with qtbot.waitSignal(dock.run_finished, timeout=90000) as done:
        qtbot.mouseClick(dock.resume_button, Qt.LeftButton)
    assert done.args[0]["status"] == "finished", done.args[0]["message"]
    assert [m["epoch"] for m in read_metrics(run_dir)] == list(range(1, kept + 2))
    assert [p.name for p in (tmp_path / "tiny.runs").iterdir()] == [run_dir.name]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
    # the window says the run used 2 processes: the status line and the run table
    assert "(2 processes)" in dock.message.text()
    table = dock.runs.experiments
    column = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index("processes")
    assert table.item(0, column).text() == "2"
