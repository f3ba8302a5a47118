"""The Experiments view, driven as a person does: right-click a block's parameter → "Vary in an
experiment…", Run sweep, watch the trials arrive, click a dot on the accuracy-vs-cost plot to
see its run, and open a trial as the project (one undo step)."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from cnnstudio.core import load_project

from ..gui.conftest import config_dir, make_window  # noqa: F401 - the window fixtures
from .conftest import ROOT


def _answer_vary_dialog(spec: str) -> None:
    """Type `spec` into the dialog the menu opens, and press OK."""
    def answer():
        from cnnstudio.gui.experiments.vary import VaryDialog
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, VaryDialog) and w.isVisible())
        dialog.spec.setText(spec)
        dialog.accept()
    QTimer.singleShot(200, answer)


def test_vary_run_watch_and_open_a_trial(qtbot, make_window, project_file, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the sweep the window starts imports this copy
    win = make_window()
    win.docs.open_path(project_file)
    win.session.select(["c1"])
    label = win.properties.findChild(QLabel, "label_out_channels")
    label.customContextMenuRequested.emit(QPoint(2, 2))  # right-click the parameter's name
    menu = win.properties.param_menu
    assert [a.text() for a in menu.actions()] == ["Vary in an experiment…"]
    _answer_vary_dialog("2,6")
    menu.actions()[0].trigger()
    view = win.experiments
    assert view.isVisible() and view.space.item(0).text() == "c1.out_channels ∈ {2, 6}"
    view.sampler.setCurrentText("grid")
    view.parallel.setValue(1)
    view.epochs.setValue(100)  # a trial of a second or more: it is seen running at a 100 ms poll
    view.timer.setInterval(100)  # poll the study often, to catch the trial while it runs
    seen = []  # what the table and buttons showed at each poll (a short trial can finish between two waits)
    refresh = view.refresh

    def watched(*a, **k):
        refresh(*a, **k)
        if any(view.table.item(i, 1).text() == "running" for i in range(view.table.rowCount())):
            seen.append((view.process is not None, view.stop_button.isEnabled()))
    monkeypatch.setattr(view, "refresh", watched)
    view.timer.timeout.disconnect()
    view.timer.timeout.connect(view.refresh)
    bar = view.arrangement.verticalScrollBar()
    win.resize(1400, 520)  # a short window, as on a small screen: the view scrolls
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    bar.setValue(bar.maximum())  # scrolled down to Run sweep
    assert bar.value() > 0
    qtbot.mouseClick(view.run_button, Qt.LeftButton)
    assert view.process is not None and not view.run_button.isEnabled()
    assert bar.value() == 0 and view.tabs.currentWidget() is view.table  # the trials and their header in view
    qtbot.waitUntil(lambda: view.process is None, timeout=240_000)
    # while it ran, the table showed the trial in progress (read live from the study), Stop enabled
    assert seen and seen[0] == (True, True), (seen, view.status.text(), view.table.rowCount())
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=5000)
    states = {view.table.item(i, 1).text() for i in range(2)}
    assert states == {"complete"} and "2 trials: 2 complete" in view.status.text()
    runs = win.training.runs.experiments  # the trials' runs in the Training dock's run table too
    trial = [runs.horizontalHeaderItem(c).text() for c in range(runs.columnCount())].index("trial")
    assert runs.rowCount() == 2 and all(runs.item(r, trial).text() for r in range(2))

    view.tabs.setCurrentWidget(view.scatter_page)  # accuracy against parameters: click a dot, see its run
    assert view.tabs.tabText(view.tabs.indexOf(view.scatter_page)) == "Accuracy vs cost"
    trial = view.rows[0]["trial"]
    x, y = view.scatter.point_of(trial)
    qtbot.mouseClick(view.scatter, Qt.LeftButton, pos=QPoint(round(x), round(y)))
    assert str(win.session.run_dir) == view.rows[0]["run"]

    wide = next(r for r in view.rows if r["params"]["c1.out_channels"] == 6)
    view.table.select_trial(wide["trial"])
    qtbot.mouseClick(view.open_button, Qt.LeftButton)
    assert win.session.project.graph.nodes["c1"].params["out_channels"] == 6
    assert win.session.stack.commands[-1].label == f"Open trial {wide['trial']} of tiny"
    win.session.undo()  # one step back to the project as it was
    assert win.session.project.graph.nodes["c1"].params["out_channels"] == 4
    assert load_project(project_file).graph.nodes["c1"].params["out_channels"] == 4


def test_processes_per_trial_come_from_the_study_and_go_to_the_sweep(qtbot, make_window, project_file):  # noqa: F811
    from cnnstudio.core.sweep.setup import new_study
    from cnnstudio.core.sweep.space import parse_vary
    new_study(project_file, [parse_vary("lr=0.01,0.1")], sampler="grid", nproc=2)  # a study run with --nproc 2
    win = make_window()
    win.docs.open_path(project_file)
    view = win.experiments
    view.reveal()
    qtbot.waitUntil(lambda: view.settings is not None, timeout=30_000)  # the view read the study
    assert view.nproc.value() == 2 and view.space.item(0).text() == "lr ∈ {0.01, 0.1}"
    command = view.command()
    assert command[command.index("--nproc") + 1] == "2" and command[command.index("--parallel") + 1] == str(view.parallel.value())
    for typed, expect in (("1", None), ("3", "3")):  # one process each is the sweep's default: left out
        view.nproc.lineEdit().selectAll()
        qtbot.keyClicks(view.nproc, typed)
        command = view.command()
        assert (command[command.index("--nproc") + 1] if "--nproc" in command else None) == expect


def test_a_refused_sweep_says_why_beside_the_study_it_would_resume(qtbot, make_window, project_file, monkeypatch):  # noqa: F811
    """The study's summary, read again when the sweep's process ends, hid the reason it refused."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the sweep the window starts imports this copy
    from cnnstudio.core.sweep.setup import new_study
    from cnnstudio.core.sweep.space import parse_vary
    new_study(project_file, [parse_vary("lr=0.01,0.1")], sampler="grid")  # an earlier sweep's study
    win = make_window()
    win.docs.open_path(project_file)
    view = win.experiments
    view.reveal()
    qtbot.waitUntil(lambda: view.settings is not None, timeout=30_000)
    summary = view.status.text()
    view.objective.setCurrentIndex(view.objective.findData("score,latency"))
    view.nproc.setValue(2)  # latency is timed in the trial's own process: refused with several
    qtbot.mouseClick(view.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.process is None, timeout=120_000)
    assert "leave --nproc out" in view.status.text() and view.status.text() != summary
    assert view.run_button.isEnabled()
