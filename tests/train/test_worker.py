"""The worker-process protocol the window relies on, without any window."""
from __future__ import annotations

import time

from cnnstudio.core.project import project_to_dict
from cnnstudio.core.train.worker import start_worker

from .conftest import small_project


def test_worker_process_reports_small_messages_at_most_20_hz(tmp_path):
    from .conftest import SMALL_SHAPES
    # epochs long enough (≈270 steps) that progress is throttled inside them, not only at their ends
    p = small_project(dataset={**SMALL_SHAPES, "count": 1200}, training={"epochs": 10, "batch_size": 4, "lr": 0.005})
    handle = start_worker({"project": project_to_dict(p), "run_dir": str(tmp_path / "run")})
    messages = []
    deadline = time.monotonic() + 120
    while not handle.finished and time.monotonic() < deadline:
        for m in handle.poll():
            messages.append(m)
        time.sleep(0.01)
    handle.join()
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "status" and "started" in kinds and kinds[-1] == "done"
    assert messages[-1]["status"] == "finished", messages[-1]["message"]
    assert kinds.count("epoch") == 10
    assert all(isinstance(v, (int, float, str, bool, type(None), list, dict)) for m in messages for v in m.values())
    batch = [m for m in messages if m["type"] == "batch"]
    throttled = [(a, b) for a, b in zip(batch, batch[1:]) if b["batch"] < b["batches"]]
    assert throttled and all(b["time"] - a["time"] >= 0.05 for a, b in throttled)  # ≤ 20 a second
    assert [m["batch"] == m["batches"] for m in batch].count(True) == 10  # plus one closing each epoch


def test_worker_reports_a_broken_job_as_a_message(tmp_path):
    handle = start_worker({"project": {"format": "not a project"}, "run_dir": str(tmp_path / "run")})
    deadline = time.monotonic() + 60
    got = []
    while not handle.finished and time.monotonic() < deadline:
        got += handle.poll()
        time.sleep(0.02)
    assert got[-1]["type"] == "done" and got[-1]["status"] == "failed"
    assert "not a CNN Studio project" in got[-1]["message"]


def test_a_worker_stopped_before_its_launch_spawns_nothing(tmp_path):
    """The window makes the handle at Start and launches it a few frames later: Stop in between
    ends it as stopped, with no process and no run folder; join() does not wait for a launch."""
    p = small_project(training={"epochs": 1})
    handle = start_worker({"project": project_to_dict(p), "run_dir": str(tmp_path / "run")}, background=True)
    assert handle.poll() == [] and not handle.finished  # not launched: nothing yet, still running
    handle.stop()
    t = time.monotonic()
    handle.join()
    assert time.monotonic() - t < 1
    got = handle.poll()
    assert [(m["type"], m["status"]) for m in got] == [("done", "stopped")] and handle.finished
    assert "before the training process started" in got[0]["message"]
    assert handle.process is None and not (tmp_path / "run").exists()
    handle.launch()  # a launch step still queued in the window: nothing more
    assert handle.process is None and handle.poll() == []
