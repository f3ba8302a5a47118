"""The Experiments view as a person meets it before any sweep: it names the score the project's
trials will be judged by at once (accuracy, mAP or IoU, as core/train/metrics.py names them)
and follows the project's task when the dataset changes."""
from __future__ import annotations

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
