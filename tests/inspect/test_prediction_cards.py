"""The multi-label sample's Predictions cards at 1280×800: every card's labels are whole
(wrapped between words, never cut to "#160 true: circle, s…") and its top-3 bars keep their
class names and scores in view, at the default threshold and at one that predicts every class."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QFontMetrics

from cnnstudio.gui.inspect.gallery import THUMB

from ..gui.conftest import config_dir, make_window  # noqa: F401 - the window fixtures
from .test_panels import LOAD_MS, settle

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


@pytest.fixture(scope="module")
def multilabel_run(tmp_path_factory):
    from cnnstudio.core import load_project
    from cnnstudio.core.train.engine import Trainer
    project = load_project(SAMPLES / "multilabel_net.cnnproj")
    project.dataset = dict(project.dataset, count=300)
    run = tmp_path_factory.mktemp("multilabel") / "run"
    result = Trainer(project, run, overrides={"epochs": 1, "device": "cpu"}, callbacks=[]).run()
    assert result["status"] == "finished", result
    return run


def words(row, classes) -> str:
    return ", ".join(classes[c] for c in np.flatnonzero(row)) or "none"


def assert_every_card_whole(gallery, insp) -> None:
    p, classes = insp.predictions, list(insp.classes)
    fm = QFontMetrics(gallery.small_font())  # the font the cards are painted in
    assert len(gallery.indices)
    for k, i in enumerate(gallery.indices):
        card = gallery.cell_rect(k)
        assert card.left() >= 0 and card.right() < gallery.width()  # the card itself is in view
        text_left = card.left() + THUMB + 10
        lines = gallery.label_lines(fm, int(i), card.width())
        for text, _ in lines:  # each line fits between the thumbnail and the card's right edge
            assert text_left + fm.horizontalAdvance(text) <= card.right(), (i, text)
        true = " ".join(t for t, predicted in lines if not predicted)
        pred = " ".join(t for t, predicted in lines if predicted)
        assert true == f"#{i} true: {words(p.targets[i] > 0.5, classes)}"  # all of it, nothing elided
        assert pred == f"pred: {words(p.probs[i] >= p.threshold, classes)}"
        top = card.top() + 4 + len(lines) * fm.height() + 4
        bars = gallery.bars(fm, p.probs[i], text_left, top, card.right() - 4)
        assert len(bars) == 3 and bars[-1][4].bottom() <= card.bottom()  # the bars below the labels, in the card
        for box, name, bar, prob, score in bars:
            assert fm.horizontalAdvance(name) <= box.width(), name  # the class name whole
            assert box.right() < bar.left() and bar.right() < score.left() and bar.width() >= 16
            assert fm.horizontalAdvance(f"{prob:.0%}") <= score.width() and score.right() <= card.right()


def test_multilabel_cards_show_their_labels_whole_at_1280x800(qtbot, multilabel_run, make_window):  # noqa: F811
    win = make_window(show=False)
    win.resize(1280, 800)
    win.show()
    win.docs.open_path(multilabel_run / "project.cnnproj")
    win.workspaces.switch("inspect")
    docks = {d.objectName().split(".")[1]: d for d in win.hosted[1:]}
    predictions = docks["predictions"].widget().widget()
    docks["predictions"].raise_()
    state = predictions.state
    win.session.set_run(multilabel_run)
    qtbot.waitUntil(lambda: state.inspection is not None, timeout=LOAD_MS)
    settle(qtbot, state)
    gallery, insp = predictions.gallery, state.inspection
    qtbot.waitUntil(lambda: len(gallery.indices) > 0, timeout=LOAD_MS)
    assert_every_card_whole(gallery, insp)
    # a low threshold predicts every class: the longest "pred:" line there is
    predictions.threshold.setValue(0.01)
    qtbot.waitUntil(lambda: "threshold 0.01" in predictions.status.text(), timeout=LOAD_MS)
    assert all(line.endswith("diamond, cross") for line in
               [" ".join(t for t, pr in gallery.label_lines(QFontMetrics(gallery.small_font()), int(i), 300) if pr)
                for i in gallery.indices])
    assert_every_card_whole(gallery, insp)
