"""The Experiments view as a person meets it: it names the score the project's trials will be
judged by at once (accuracy, mAP or IoU, as core/train/metrics.py names them) and follows the
project's task; a small space is tried once each (a grid), as the view says before Run sweep."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from cnnstudio.core import save_project

from ..sweep.conftest import ROOT, tiny_project
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


def _vary(qtbot, view, name: str, spec: str) -> None:
    """Vary… → type the setting and its values → OK."""
    from cnnstudio.gui.experiments.vary import VaryDialog

    def answer():
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, VaryDialog) and w.isVisible())
        dialog.name.setText(name)
        dialog.spec.setText(spec)
        dialog.accept()
    QTimer.singleShot(200, answer)
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
