"""The Experiments view as a person meets it: it names the score the project's trials will be
judged by at once (accuracy, mAP or IoU, as core/train/metrics.py names them) and follows the
project's task; a small space is tried once each (a grid), as the view says before Run sweep;
and it opens with room for its setup, from the View menu as from Vary…"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from cnnstudio.core import save_project

from ..sweep.conftest import ROOT, project_file, tiny_project  # noqa: F401 - project_file: a fixture
from .conftest import config_dir, make_window  # noqa: F401 - the window fixtures


def _objectives(view) -> list[str]:
    return [view.objective.itemText(i) for i in range(view.objective.count())]


def test_the_objective_names_the_projects_score_before_any_trial(qtbot, make_window, tmp_path):  # noqa: F811
    path = tmp_path / "tiny.cnnproj"
    save_project(tiny_project(), path)  # classifies generated shapes
    win = make_window()
    win.docs.open_path(path)
    view = win.experiments
    view.toggleViewAction().trigger()  # View → Experiments
    assert _objectives(view) == ["accuracy", "accuracy + parameters", "accuracy + MACs", "accuracy + latency"]
    assert view.objective.currentText() == "accuracy" and "predicted class" in view.objective.toolTip()
    tab = view.tabs.indexOf(view.scatter_page)
    assert view.tabs.tabText(tab) == "Accuracy vs cost"

    form = win.training.form  # the Training dock's dataset box: multi-label shapes
    form.dataset.setCurrentIndex(form.dataset.findData("multi_shapes"))
    qtbot.waitUntil(lambda: view.objective.currentText() == "mAP", timeout=10_000)
    assert _objectives(view)[1] == "mAP + parameters" and "mean average precision" in view.objective.toolTip()
    assert view.tabs.tabText(tab) == "mAP vs cost"
    win.session.undo()  # back to classification
    qtbot.waitUntil(lambda: view.objective.currentText() == "accuracy", timeout=10_000)

    win.docs.open_path(ROOT / "sample_projects" / "shape_localizer.cnnproj")  # boxes: IoU
    qtbot.waitUntil(lambda: view.objective.currentText() == "IoU", timeout=10_000)
    assert view.tabs.tabText(tab) == "IoU vs cost" and "intersection over union" in view.objective.toolTip()


def _answer(act) -> None:
    """`act(dialog)` on the Vary dialog once it is open."""
    from cnnstudio.gui.experiments.vary import VaryDialog
    QTimer.singleShot(200, lambda: act(next(w for w in QApplication.topLevelWidgets()
                                            if isinstance(w, VaryDialog) and w.isVisible())))


def _vary(qtbot, view, name: str, spec: str) -> None:
    """Vary… → type the setting and its values → OK."""
    def answer(dialog):
        dialog.name.setText(name)
        dialog.spec.setText(spec)
        dialog.accept()
    _answer(answer)
    button = next(b for b in view.findChildren(QPushButton) if b.text() == "Vary…")
    qtbot.mouseClick(button, Qt.LeftButton)


def _type(qtbot, spin, text: str) -> None:
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)


def test_a_small_space_is_tried_once_each_from_the_window(qtbot, make_window, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the sweep the window starts imports this copy
    path = tmp_path / "tiny.cnnproj"
    save_project(tiny_project(), path)
    win = make_window()
    win.docs.open_path(path)
    view = win.experiments
    view.toggleViewAction().trigger()
    _vary(qtbot, view, "c1.out_channels", "3,6,12")
    assert view.space.item(0).text() == "c1.out_channels ∈ {3, 6, 12}" and view.sampler.currentText() == "tpe"
    _type(qtbot, view.trials, "2")  # fewer trials than combinations: TPE samples, nothing to say
    assert not view.plan.isVisible()
    _type(qtbot, view.trials, "5")
    assert view.plan.isVisible() and "The space has 3 combinations, no more than the 5 trials asked: each is tried once (a grid search, not TPE)" in view.plan.text()
    _type(qtbot, view.epochs, "1")
    view.parallel.setValue(1)
    qtbot.mouseClick(view.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.process is None, timeout=240_000)
    qtbot.waitUntil(lambda: view.table.rowCount() == 3, timeout=10_000)
    assert sorted(int(view.table.item(i, 2).text()) for i in range(3)) == [3, 6, 12]
    assert "3 trials:" in view.status.text()


def _whole_in_view(widget) -> bool:
    """Nothing of it hidden by a scroll area or a dock too short."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


@pytest.mark.parametrize("size", [(1400, 900), (1280, 800), (1264, 752)])
def test_the_view_opens_with_room_for_its_setup_from_the_menu_or_vary(qtbot, make_window, size):  # noqa: F811
    """Design workspace: View → Experiments, and right-click a parameter → Vary…, give the view
    the same room; every setting of the Sweep tab and Run sweep in view without scrolling. 1264×752:
    the window on a 1280×800 screen under a window manager (its frame and title bar)."""
    win = make_window(show=False)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    win.docs.open_path(ROOT / "sample_projects" / "lenet5.cnnproj")
    view = win.experiments
    setup = [view.run_button, view.objective, view.sampler, view.epochs, view.nproc, view.parallel, view.trials,
             next(b for b in view.findChildren(QPushButton) if b.text() == "Vary…"), view.space]
    menu = next(a for a in win.view_menu.actions() if a.text() == "Experiments")
    menu.trigger()
    qtbot.waitUntil(lambda: all(map(_whole_in_view, setup)), timeout=10_000)
    by_menu = view.size()
    menu.trigger()  # closed again
    qtbot.waitUntil(lambda: not view.isVisible())
    win.session.select(["c1"])
    label = win.properties.findChild(QLabel, "label_out_channels")
    label.customContextMenuRequested.emit(QPoint(2, 2))  # right-click the parameter's name
    _answer(lambda dialog: dialog.reject())
    win.properties.param_menu.actions()[0].trigger()  # Vary in an experiment… → Cancel
    qtbot.waitUntil(lambda: all(map(_whole_in_view, setup)), timeout=10_000)
    assert view.size() == by_menu
    assert view.height() >= 250 and view.width() >= 500
    _vary(qtbot, view, "c1.out_channels", "3,6,12")  # a small space: the grid note appears under the list
    qtbot.waitUntil(lambda: view.plan.isVisible() and all(map(_whole_in_view, setup + [view.plan])), timeout=10_000)


def test_opened_in_design_it_waits_behind_the_training_dock_in_train(qtbot, make_window):  # noqa: F811
    """It sat above the Training dock as a strip, its settings squeezed into a scroll box."""
    win = make_window(show=False)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.docs.open_path(ROOT / "sample_projects" / "lenet5.cnnproj")
    next(a for a in win.view_menu.actions() if a.text() == "Experiments").trigger()
    qtbot.waitUntil(lambda: win.experiments.isVisible())
    bar = win.workspaces.bar
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(1).center())  # Train
    assert win.workspaces.current == "train"
    assert win.experiments in win.tabifiedDockWidgets(win.training)
    qtbot.waitUntil(lambda: _whole_in_view(win.training.start_button) and win.training.height() > 600)


def test_a_study_shows_its_search_as_asked_and_as_it_will_resume(qtbot, make_window, project_file):  # noqa: F811
    """A grid the sweep chose was shown as if the user had picked it (Search "grid", 3 trials: a
    float range added then was refused); raising the trials of a sampling study said "each is
    tried once (a grid…)" while the sweep, resuming it, goes on sampling."""
    from cnnstudio.core.sweep.setup import new_study
    from cnnstudio.core.sweep.space import parse_vary
    new_study(project_file, [parse_vary("c1.out_channels=2,4,6")], trials=5, sampler="tpe", name="enumerated")
    new_study(project_file, [parse_vary("c1.out_channels=2,4,6")], trials=2, sampler="tpe", name="sampled")
    win = make_window()
    win.docs.open_path(project_file)
    view = win.experiments
    view.reveal()
    qtbot.waitUntil(lambda: view.settings is not None and view.study.count() == 2, timeout=30_000)
    view.study.setCurrentText("enumerated")
    qtbot.waitUntil(lambda: view.settings["study"] == "enumerated" and view.space.count() == 1, timeout=10_000)
    assert (view.sampler.currentText(), view.trials.value()) == ("tpe", 5)  # as asked; the note says it is a grid
    assert "each is tried once" in view.plan.text()
    view.study.setCurrentText("sampled")
    qtbot.waitUntil(lambda: view.settings["study"] == "sampled" and view.space.count() == 1, timeout=10_000)
    view.trials.setValue(5)
    assert "each is tried once" not in view.plan.text()  # resuming it, the sweep samples on
