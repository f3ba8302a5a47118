"""What the window shows follows the open project: its settings, its runs, its dataset fit,
whatever the user did before (another project, a run, an undo)."""
from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from cnnstudio.core import load_project, save_project

from ..train.conftest import small_project
from .conftest import answer_dialogs, click_item

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"
LEFT = Qt.LeftButton


def problem_texts(win) -> list[str]:
    lst = win.problems.list
    return [lst.item(i).text() for i in range(lst.count())]


def test_switching_projects_after_a_run_shows_each_projects_own_runs(qtbot, make_window, tmp_path):
    from cnnstudio.cli import main
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 1}), path)
    run = tmp_path / "tiny.runs" / "first"
    assert main(["train", str(path), "--epochs", "1", "--out", str(run)]) == 0
    win = make_window()
    dock, state = win.training, win.findChild(type(win.hosted[1].inspect_state))
    win.docs.open_path(path)
    # the project's newest run: its curves in the dock, its weights in every panel
    assert [r["epoch"] for r in dock.curves.rows] == [1] and dock.runs.history.currentData() == str(run)
    assert win.session.run_dir == run and state.run_dir == run
    qtbot.keyClick(win, Qt.Key_3, Qt.ControlModifier)  # the panels load a run when one is in view
    qtbot.waitUntil(lambda: state.inspection is not None, timeout=30000)
    qtbot.keyClick(win, Qt.Key_1, Qt.ControlModifier)
    panels = [d.widget().widget() for d in win.hosted[1:]]  # each inside its scroll area
    assert all(p.source.text() == "Run first · best checkpoint (epoch 1 of 1)" for p in panels)

    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)  # the Train workspace draws the run's curves
    qtbot.waitUntil(lambda: dock.curves.canvas is not None and len(dock.curves.lines["val_loss"].get_xdata()) == 1)
    qtbot.keyClick(win, Qt.Key_1, Qt.ControlModifier)
    win.act_new_empty.trigger()  # File → New empty project
    assert dock.curves.rows == [] and dock.runs.history.count() == 1  # only "(current)"
    assert win.session.run_dir is None and state.run_dir is None and state.inspection is None
    assert "No run to inspect yet" in state.message
    assert all(p.source.text() == "No run shown" for p in panels)
    assert not dock.resume_button.isEnabled()  # nothing of the last project's run to resume
    assert dock.form.dataset.currentText() == "(choose a dataset)" and win.session.project.dataset == {}
    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)  # nothing of the last run is drawn either:
    qtbot.waitUntil(lambda: not dock.curves.canvas.isVisible())  # no empty axes left from it:
    assert dock.arrangement.mode == "setup" and not dock.curves.isVisible()  # nothing to plot, the settings alone

    win.docs.open_path(path)  # back again: its run again
    assert [r["epoch"] for r in dock.curves.rows] == [1] and state.run_dir == run


def test_the_dataset_fit_is_the_same_after_delete_and_undo(qtbot, make_window, tmp_path):
    win = make_window()
    path = tmp_path / "lenet.cnnproj"
    project = load_project(SAMPLES / "lenet5.cnnproj")
    project.dataset = {"id": "shapes"}  # 3×32×32 images: the Input does not fit
    save_project(project, path)
    win.docs.open_path(path)
    at_open = problem_texts(win)
    assert any("expects [1, 28, 28] but Shapes images are [3, 32, 32]" in t for t in at_open)
    click_item(qtbot, win, win.canvas.graph_scene.nodes["f6"])
    win.canvas.setFocus()
    qtbot.keyClick(win.canvas, Qt.Key_Delete)
    assert "f6" not in win.session.graph.nodes
    qtbot.keyClick(win.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert "f6" in win.session.graph.nodes and problem_texts(win) == at_open

    # a sample without a dataset: no fit warning when opened, none after delete + undo
    shutil.copy(SAMPLES / "resnet18.cnnproj", tmp_path / "resnet18.cnnproj")
    win.docs.open_path(tmp_path / "resnet18.cnnproj")
    at_open = problem_texts(win)
    assert not any("dataset" in t.lower() or "images are" in t for t in at_open)
    assert "Choose a dataset" in win.training.check_label.text()
    win.session.select(["fc"])
    qtbot.keyClick(win.canvas, Qt.Key_Delete)
    qtbot.keyClick(win.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert problem_texts(win) == at_open and win.session.project.dataset == {}


def test_an_empty_project_is_not_ready_and_an_input_is_never_fixed_to_mnist(qtbot, make_window):
    from .conftest import drop_block
    win = make_window()
    win.act_new_empty.trigger()
    dock = win.training
    assert "canvas is empty" in dock.check_label.text() and "fit together" not in dock.check_label.text()
    assert not dock.start_button.isEnabled() and not dock.overfit_button.isEnabled()
    inp = drop_block(win, "Input", (300, 200))
    win.session.select([inp])
    for spin, value in zip(win.properties.editors["shape"].spins, ("3", "32", "32")):
        spin.setFocus()
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin, value)
        qtbot.keyClick(spin, Qt.Key_Tab)
    assert win.session.project.dataset == {}  # no dataset until one is chosen
    assert "Choose a dataset" in dock.check_label.text() and not dock.start_button.isEnabled()
    assert not any("28" in t for t in problem_texts(win))  # nothing says to make it MNIST-shaped
    assert win.session.graph.nodes[inp].params["shape"] == [3, 32, 32]


def test_dataset_and_training_settings_are_undo_steps(qtbot, make_window, tmp_path):
    path = tmp_path / "lenet.cnnproj"
    shutil.copy(SAMPLES / "lenet5.cnnproj", path)
    win = make_window()
    win.docs.open_path(path)
    form, s = win.training.form, win.session
    epochs = form.epochs.value()
    form.epochs.setFocus()
    qtbot.keyClick(form.epochs, Qt.Key_Up)
    qtbot.keyClick(form.epochs, Qt.Key_Up)  # two arrow steps on one field: one undo step
    assert s.project.training["epochs"] == epochs + 2 and win.isWindowModified()
    assert "epochs" in win.act_undo.toolTip()
    form.dataset.setCurrentIndex(form.dataset.findData("shapes"))  # the Input no longer fits
    assert any("Shapes images are [3, 32, 32]" in t for t in problem_texts(win))
    win.act_undo.trigger()
    assert form.dataset.currentData() == "mnist5k" and s.project.dataset == {"id": "mnist5k"}
    assert not any("Shapes" in t for t in problem_texts(win))
    win.act_undo.trigger()
    assert form.epochs.value() == epochs and s.project.training["epochs"] == epochs
    assert not win.isWindowModified()
    win.act_redo.trigger()
    assert form.epochs.value() == epochs + 2
