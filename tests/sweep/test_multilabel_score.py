"""A multi-label experiment names its score for what it is — mAP, defined as metrics.py defines
it — in `cnnstudio sweep`'s lines, its --json, the study's report and the Experiments view; a
study keeps its "accuracy" objective key, so `--objective accuracy` resumes a `score` study. And
the Experiments view fits the window at 1400×900 and 1280×800: nothing squeezed, and what does
not fit scrolls with its scroll bar in view."""
from __future__ import annotations

import html
import json

from PySide6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QComboBox, QLabel, QScrollArea, QSpinBox,
                               QTabBar)

from cnnstudio.core import Graph, Project, save_project
from cnnstudio.core.train.metrics import DEFINITIONS

from ..gui.conftest import config_dir, make_window  # noqa: F401 - the window fixtures
from .conftest import cli, finish

STUDY = "labels"


def multilabel_project() -> Project:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16], id="input")
    x = g.add("Conv2d", x, id="c1", out_channels=4, kernel_size=3, padding=1, activation="relu")
    x = g.add("AdaptiveAvgPool2d", x, id="gap", output_size=1)
    x = g.add("Flatten", x, id="flat")
    g.add("Linear", x, id="out", out_features=5, activation="sigmoid")
    return Project("labels", g, {"id": "multi_shapes", "image_size": 16, "count": 160},
                   {"epochs": 1, "batch_size": 32, "optimizer": "adam", "lr": 0.01})


def test_a_multilabel_sweep_says_map_in_the_cli_the_report_and_the_window(qtbot, make_window, tmp_path):  # noqa: F811
    path = tmp_path / "labels.cnnproj"
    save_project(multilabel_project(), path)
    rc, lines, err = finish(cli("sweep", path, "--vary", "lr=0.01,0.03", "--sampler", "grid", "--epochs", "1",
                                "--objective", "score", "--study", STUDY, "--json"))
    assert rc == 0, err
    trials, final = lines[:-1], lines[-1]
    for t in trials:
        assert t["state"] == "complete" and t["metric"] == "mAP"
        assert f"trial {t['trial']}: epoch 1/1 val mAP " in err and "val mean F1" in err and "val exact match" in err
        assert f"trial {t['trial']}: complete: mAP {t['values']['accuracy']:.1%} (1 epoch," in err
    assert final["metric"] == "mAP" and f"Best: trial {final['best'][0]['trial']}: mAP " in err
    assert "mean average precision" in err and "accuracy" not in err.lower()

    from cnnstudio.core.sweep import study as st
    from cnnstudio.core.sweep.report import build_study_report
    from cnnstudio.core.sweep.setup import new_study
    from cnnstudio.core.sweep.space import parse_vary
    # the study keeps the objective key saved studies have: asking for "accuracy" is the same study (a resume)
    new_study(path, [parse_vary("lr=0.01,0.03")], sampler="grid", objectives=["accuracy"], name=STUDY)
    study, settings, _ = st.load(st.open_storage(st.default_url(path), create=False), STUDY)
    page = build_study_report(study, settings)
    assert "<th>mAP</th>" in page and "<h2>mAP against cost</h2>" in page and "objectives mAP." in page
    assert html.escape(DEFINITIONS["mAP"]) in page
    assert 'rotate(-90' in page and '">mAP</text>' in page  # the plot's axis
    assert "accuracy" not in page.lower()

    win = make_window()
    win.docs.open_path(path)
    for size in ((1400, 900), (1280, 800)):
        win.resize(*size)
        for workspace in ("design", "train"):  # beside the canvas (narrow), then beside Training (wide)
            _check_the_view(qtbot, win, workspace, size)
            win.grab().save(str(tmp_path / f"experiments-{workspace}-{size[0]}.png"))


def test_an_older_study_reads_its_score_from_a_trial_run(tmp_path):
    from cnnstudio.core.sweep.score import name, study_metric
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"task": "multilabel"}))  # trials made before "metric" was recorded
    rows = [{"state": "pruned", "run": None}, {"state": "complete", "run": str(run)}]
    assert name(study_metric(rows)) == "mAP"
    (run / "run.json").write_text(json.dumps({"task": "box"}))
    assert name(study_metric(rows)) == "IoU"
    assert name(study_metric([])) == "score"


def _squeezed(dock) -> list[str]:
    """Controls shown smaller than their text needs, in the dock."""
    out = []
    for kind in (QAbstractButton, QLabel, QComboBox, QSpinBox):
        for w in dock.findChildren(kind):
            if w.isVisible() and not isinstance(w.parent(), QTabBar) and not (isinstance(w, QLabel) and w.wordWrap()):
                hint = w.minimumSizeHint()
                if w.width() < hint.width() or w.height() < hint.height():
                    text = w.currentText() if isinstance(w, QComboBox) else getattr(w, "text", lambda: "")()
                    out.append(f"{type(w).__name__} {text!r} {w.size().toTuple()} < "
                               f"{hint.toTuple()}")
    return out


def _cut(view) -> list[str]:
    """What the Experiments view shows cut: a control squeezed, or a scroll area with more than it
    shows and no scroll bar for it."""
    areas = [a for a in view.findChildren(QScrollArea) if a.isVisible()]
    return _squeezed(view) + [f"{a.objectName() or type(a).__name__} hides its overflow" for a in areas
                              if not _scrolls_visibly(a)]


def _scrolls_visibly(area: QAbstractScrollArea) -> bool:
    """What does not fit the scroll area has its scroll bar shown."""
    return all(bar.maximum() == 0 or bar.isVisible() for bar in (area.horizontalScrollBar(), area.verticalScrollBar()))


def _check_the_view(qtbot, win, workspace, size) -> None:
    """The study's trials read with mAP named and defined, and nothing cut at this window size."""
    view = win.experiments
    win.workspaces.switch(workspace)
    view.reveal()
    view.refresh(force=True)
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=30_000)
    view.tabs.setCurrentWidget(view.table)
    qtbot.waitUntil(lambda: view.table.isVisible())
    table, header = view.table, view.table.horizontalHeader()
    texts = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    score = texts.index("mAP")
    assert "accuracy" not in texts and DEFINITIONS["mAP"] in table.horizontalHeaderItem(score).toolTip()
    assert all(table.item(r, score).text().endswith("%") for r in range(2))
    assert view.objective.currentText() == "mAP" and DEFINITIONS["mAP"] in view.objective.toolTip()
    assert "mAP vs cost" in [view.tabs.tabText(i) for i in range(view.tabs.count())]
    # every column is in view, or the table scrolls to it with its scroll bar shown (once laid out)
    qtbot.waitUntil(lambda: header.length() <= table.viewport().width() or table.horizontalScrollBar().isVisible(),
                    timeout=5000)
    assert _scrolls_visibly(table)
    bar = view.tabs.tabBar()  # every tab's title whole
    assert bar.tabRect(bar.count() - 1).right() <= bar.width(), (workspace, size)
    for page in (view.table, None if view.arrangement.wide else view.arrangement.setup_page):
        if page is not None:
            view.tabs.setCurrentWidget(page)
            try:  # once laid out
                qtbot.waitUntil(lambda: page.isVisible() and not _cut(view), timeout=5000)
            except qtbot.TimeoutError:
                assert _cut(view) == [], (workspace, size)
    assert view.arrangement.wide == (workspace == "train")  # beside Training the setup is a column
