"""The inspection process behind the panels: replies are plain data only, a crash says so in
one line and the panels come back, closing ends it."""
import os
import pickle
import signal

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from cnnstudio.core import load_project
from cnnstudio.core.inspect.service import dumps, loads_plain, newest_per_op
from cnnstudio.gui.inspect.docks import create_docks
from cnnstudio.gui.session import Session

from .test_panels import LOAD_MS, settle


def test_replies_unpickle_to_plain_data_only():
    reply = {"id": 3, "acts": {"c1": np.ones((2, 3), np.float32)}, "shape": [1, 2], "none": None, "f": 0.5}
    back = loads_plain(dumps(reply))
    assert back["acts"]["c1"].dtype == np.float32 and back["shape"] == [1, 2]
    with pytest.raises(pickle.UnpicklingError, match="torch"):
        loads_plain(dumps({"acts": torch.ones(2)}))  # a tensor would import torch in the window


def test_the_worker_answers_only_the_newest_request_of_each_kind():
    reqs = [{"id": 1, "op": "features"}, {"id": 2, "op": "detail"}, {"id": 3, "op": "features"}]
    assert [r["id"] for r in newest_per_op(reqs)] == [2, 3]


def test_a_crashed_inspection_process_says_so_and_comes_back(qtbot, small_run):
    session = Session()
    session.set_project(load_project(small_run / "project.cnnproj"))
    win = QMainWindow()
    qtbot.addWidget(win)
    docks = create_docks(session, win, backend="process")
    for d in docks:
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
    win.resize(1400, 1000)
    win.show()
    state = docks[0].inspect_state
    fm, pp = docks[1].widget(), docks[2].widget()
    try:
        with qtbot.waitSignal(state.changed, timeout=LOAD_MS):
            session.set_run(small_run)
        settle(qtbot, state)
        assert fm.acts and "Grad-CAM" in pp.detail.text.text()
        worker = state.client._worker.proc
        os.kill(worker.pid, signal.SIGKILL)  # as if it ran out of memory
        qtbot.waitUntil(lambda: "stopped unexpectedly" in fm.status.text(), timeout=LOAD_MS)
        assert fm.status.text().count("\n") == 0 and "Traceback" not in fm.status.text()
        assert "Restarted it" in pp.status.text()
        with qtbot.waitSignal(state.changed, timeout=LOAD_MS):  # the run, reloaded in a new process
            pass
        settle(qtbot, state)
        fm.sample.setValue(5)  # and the panels work again
        qtbot.waitUntil(lambda: "test sample 5" in fm.caption.text(), timeout=LOAD_MS)
        again = state.client._worker.proc
        assert again.pid != worker.pid and again.is_alive()
    finally:
        state.shutdown()
    assert not again.is_alive() and again.exitcode is not None


def _worker(small_run):
    from cnnstudio.core.inspect.service import InspectService
    from cnnstudio.core.inspect.source import from_run
    service = InspectService()
    assert "error" not in service.handle({"id": 0, "op": "adopt", "inspection": from_run(small_run)})
    return service


def test_a_features_request_is_answered_while_a_long_unit_request_runs(small_run):
    from cnnstudio.core.inspect.service import serve_loop
    service = _worker(small_run)
    assert len(service.inspection.images) > 32  # top patches take several batches
    unit = {"id": 1, "op": "unit", "node": "c1", "channel": 0}
    features = {"id": 2, "op": "features", "sample": 3, "key": [1, 3], "node": "c1"}
    inbox, replies = [[unit, features], None], []  # the user clicks a filter, then another sample
    serve_loop(lambda: inbox.pop(0), replies.append, service, poll=lambda: [])
    assert [r["id"] for r in replies] == [2, 1]  # the quick one did not wait for the unit
    assert replies[0]["maps"]["c1"]["acts"].shape[0] == 6 and "error" not in replies[1]
    assert replies[1]["caption"].startswith("c1 channel 0: the 9 test patches")


def test_a_newer_unit_request_cancels_the_one_running(small_run):
    from cnnstudio.core.inspect.service import serve_loop
    service = _worker(small_run)
    later = [[{"id": 3, "op": "unit", "node": "c1", "channel": 2}]]  # arrives while the first runs
    inbox, replies = [[{"id": 1, "op": "unit", "node": "c1", "channel": 0}], None], []
    serve_loop(lambda: inbox.pop(0), replies.append, service, poll=lambda: later.pop() if later else [])
    assert [r["id"] for r in replies] == [3] and replies[0]["caption"].startswith("c1 channel 2")
