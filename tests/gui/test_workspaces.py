"""Design, Train and Inspect: whole-window arrangements, switched by keyboard or the bar at
the top, each remembered as the user leaves it and resettable."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from cnnstudio.core import save_project

from ..train.conftest import small_project

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def visible(win) -> set[str]:
    docks = [win.palette, win.properties, win.problems, win.summary, win.training, *win.hosted[1:]]
    return {d.objectName() for d in docks if d.isVisible()}


def test_three_workspaces_by_keyboard_and_by_the_bar(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    design_canvas = win.canvas.width()
    assert {"PaletteDock", "PropertiesDock", "ProblemsDock", "SummaryDock"} <= visible(win)
    assert "TrainingDock" not in visible(win) and win.canvas.isVisible()

    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)  # Train: the dock has the whole window
    assert win.workspaces.current == "train" and visible(win) == {"TrainingDock"}
    assert not win.canvas.isVisible() and win.training.width() > 0.9 * win.width()
    # no run yet: the settings take the width in columns, the run table below them, no empty curves
    assert win.training.arrangement.mode == "setup" and not win.training.curves.isVisible()
    assert win.training.settings_panel.width() > 0.9 * win.training.width() and win.training.form.columns >= 3

    qtbot.keyClick(win, Qt.Key_3, Qt.ControlModifier)  # Inspect: panels large, canvas small to pick a layer
    assert visible(win) >= {"inspect.features", "inspect.predictions"} and "PaletteDock" not in visible(win)
    features = next(d for d in win.hosted if d.objectName() == "inspect.features")
    assert win.canvas.isVisible() and win.canvas.width() < design_canvas and features.width() > win.canvas.width()

    bar = win.workspaces.bar  # the switcher at the top
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(0).center())
    assert win.workspaces.current == "design" and "PaletteDock" in visible(win) and win.canvas.width() == design_canvas


def test_each_workspace_remembers_its_layout_and_resets(qtbot, make_window):
    win = make_window()
    win.palette.toggleViewAction().trigger()  # the user closes the palette in Design
    assert not win.palette.isVisible()
    qtbot.keyClick(win, Qt.Key_3, Qt.ControlModifier)
    qtbot.keyClick(win, Qt.Key_1, Qt.ControlModifier)
    assert not win.palette.isVisible() and win.properties.isVisible()  # as they left it
    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)
    win.close()
    again = make_window()  # the next start opens the workspace they were in
    assert again.workspaces.current == "train" and again.training.isVisible()
    qtbot.keyClick(again, Qt.Key_1, Qt.ControlModifier)
    assert not again.palette.isVisible()
    again.act_reset_layout.trigger()  # View → Reset workspace layout
    assert again.palette.isVisible() and again.summary.isVisible() and not again.training.isVisible()


def test_the_experiment_table_sorts_runs_and_overlays_two(qtbot, make_window, tmp_path):
    from cnnstudio.cli import main
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 1}), path)
    for name, lr in (("slow", "0.001"), ("fast", "0.05")):
        assert main(["train", str(path), "--epochs", "1", "--lr", lr, "--out", str(tmp_path / "tiny.runs" / name)]) == 0
    win = make_window()
    win.docs.open_path(path)
    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)
    table = win.training.runs.experiments
    assert table.isVisible() and table.rowCount() == 2
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    lr, best = header.index("lr"), header.index("best")
    head = table.horizontalHeader()
    qtbot.mouseClick(head.viewport(), Qt.LeftButton, pos=QPoint(head.sectionViewportPosition(lr) + 5, 5))
    col = [table.item(r, lr).text() for r in range(2)]
    assert col in (["0.001", "0.05"], ["0.05", "0.001"]) and all(table.item(r, best).text().endswith("%") for r in range(2))
    for r in range(2):  # tick both: their validation curves overlay the current one
        rect = table.visualItemRect(table.item(r, 0))
        qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.topLeft() + QPoint(10, rect.height() // 2))
    assert sorted(label for label, _ in win.training.curves.compare) == ["fast", "slow"]
    assert all(len(rows) == 1 for _, rows in win.training.curves.compare)

    # evaluate the two ticked runs together, as `cnnstudio evaluate` would
    from cnnstudio.core.train.evaluate import evaluate_runs
    panel = win.training.runs.ensemble
    panel.tta.setCurrentIndex(panel.tta.findData("flip"))
    with qtbot.waitSignal(panel.finished, timeout=120000) as got:
        qtbot.mouseClick(panel.button, Qt.LeftButton)
    shown = got.args[0]
    want = evaluate_runs(table.ticked(), tta="flip")
    assert [r["accuracy"] for r in shown["runs"]] == [r["accuracy"] for r in want["runs"]]
    assert shown["ensemble"]["accuracy"] == want["ensemble"]["accuracy"]
    assert f"ensemble of 2 runs {want['ensemble']['accuracy']:.1%}" in panel.result.text()
    assert panel.button.isEnabled()
