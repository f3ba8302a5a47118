"""Defects seen on a real X display (Xvfb + Openbox) at 1280×800 and 1400×900: the curves'
"epoch" label cut off, a horizontal scrollbar in the New-project list, the Inspect canvas not
fitted to the network, the freeze list out of the network's order, a made block's name over its id."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from .conftest import show_themed
from .test_train_workspace import SIZE_1280x800, fake_run, project, train_window  # noqa: F401 (fixture)

SIZES = {"1280x800": SIZE_1280x800, "1400x900": (1400, 870)}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_curves_show_every_axis_label_whole(make_window, qtbot, project, size):  # noqa: F811
    run = fake_run(project.parent / "tiny.runs", "20261206-100000-tiny", project, epochs=3)
    metrics = run / "metrics.jsonl"  # a learning rate of 0.001: its ticks (0.0005) are the widest labels
    metrics.write_text(metrics.read_text().replace('"lr": 0.01', '"lr": 0.001'))
    win = train_window(make_window, project, size=size)
    curves = win.training.curves
    qtbot.waitUntil(lambda: curves.canvas is not None and curves.full_draws > 0, timeout=20000)

    def cut() -> list[str]:  # the labels not drawn whole inside the figure (as last drawn)
        box, renderer = curves.canvas.figure.bbox, curves.canvas.get_renderer()
        labels = [curves.ax_lr.xaxis.label] + [ax.yaxis.label for ax in (curves.ax_loss, curves.ax_acc, curves.ax_lr)]
        lo, hi = curves.ax_lr.get_xlim()
        labels += [t for t in curves.ax_lr.get_xticklabels() if t.get_text() and lo <= t.get_position()[0] <= hi]
        for ax in (curves.ax_loss, curves.ax_acc, curves.ax_lr):
            lo, hi = ax.get_ylim()
            labels += [t for t in ax.get_yticklabels() if t.get_text() and lo <= t.get_position()[1] <= hi]
        exts = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
        return [text for text, e in exts if not (box.x0 <= e.x0 and e.x1 <= box.x1 and box.y0 <= e.y0 and e.y1 <= box.y1)]

    qtbot.waitUntil(lambda: not cut(), timeout=5000)  # a second draw may make room for the widest labels
    assert curves.ax_lr.get_xlabel() == "epoch"


def test_the_new_project_list_shows_each_line_whole_without_a_horizontal_scrollbar(qtbot):
    from cnnstudio.gui.gallery import GalleryDialog
    d = show_themed(qtbot, GalleryDialog())
    lst = d.list
    fm = lst.fontMetrics()

    def whole(wrapped=False):  # every line of every item within the list's visible width
        QApplication.processEvents()
        assert not lst.horizontalScrollBar().isVisible()
        for i in range(lst.count()):
            item = lst.item(i)
            rect = lst.visualItemRect(item)
            assert rect.right() <= lst.viewport().width(), item.text()
            text_room = rect.width() - lst.iconSize().width()
            assert wrapped or all(fm.horizontalAdvance(line) <= text_room for line in item.text().split("\n")), \
                item.text()

    whole()
    assert d.width() <= d.screen().availableGeometry().width()
    d.resize(460, d.height())  # a narrow screen: the lines wrap instead
    qtbot.waitUntil(lambda: whole(wrapped=True) is None)
    assert lst.wordWrap()


def fitted(view) -> bool:
    """The whole network in view, filling most of it one way (not a left-over zoom)."""
    QApplication.processEvents()
    bounds = view.mapFromScene(view.graph_scene.bounds()).boundingRect()
    vp = view.viewport().rect()
    return vp.contains(bounds) and (bounds.width() > 0.5 * vp.width() or bounds.height() > 0.5 * vp.height()
                                    or view.zoom >= 1.0)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_each_workspace_shows_the_canvas_fitted_to_the_network(make_window, qtbot, size):
    from PySide6.QtCore import Qt
    from .test_first_hour import SAMPLES
    win = make_window()
    win.resize(*size)
    win.docs.open_path(SAMPLES / "multilabel_net.cnnproj")
    qtbot.waitUntil(lambda: fitted(win.canvas))
    qtbot.keyClick(win, Qt.Key_3, Qt.ControlModifier)  # Inspect: the canvas a narrow column
    qtbot.waitUntil(lambda: win.canvas.viewport().width() < 500)
    qtbot.waitUntil(lambda: fitted(win.canvas), timeout=3000)
    qtbot.keyClick(win, Qt.Key_1, Qt.ControlModifier)  # and back: the wide canvas fitted again
    qtbot.waitUntil(lambda: win.canvas.viewport().width() > 500)
    qtbot.waitUntil(lambda: fitted(win.canvas), timeout=3000)
    z = win.canvas.zoom
    qtbot.mouseClick(win.canvas.overlay.zoom_in, Qt.LeftButton)  # the user zooms in: the view is theirs now
    assert win.canvas.zoom > z
    z = win.canvas.zoom
    win.resize(size[0] - 200, size[1])
    qtbot.waitUntil(lambda: win.canvas.viewport().width() < 700)
    assert win.canvas.zoom == z  # a resize keeps their zoom


def test_the_freeze_list_follows_the_network_order(make_window, qtbot, tmp_path):
    """A BatchNorm added after the network was built (so last in the file) is listed where it
    sits in the network, not after the head."""
    import json
    from .test_first_hour import SAMPLES
    doc = json.loads((SAMPLES / "lenet5.cnnproj").read_text())
    doc["graph"]["nodes"].append({"id": "bn1", "type": "BatchNorm2d", "params": {}})
    edges = doc["graph"]["edges"]
    edges.remove(["c1", "s2"])
    edges += [["c1", "bn1"], ["bn1", "s2"]]
    path = tmp_path / "lenet_bn.cnnproj"
    path.write_text(json.dumps(doc))
    win = make_window()
    win.resize(*SIZE_1280x800)
    win.docs.open_path(path)
    win.workspaces.switch("train")
    freeze = win.training.transfer.freeze
    freeze.showPopup()  # the list is filled when it opens
    qtbot.waitUntil(lambda: freeze.count() > 2)
    shown = [freeze.itemData(i) for i in range(freeze.count())][1:]
    freeze.hidePopup()
    assert shown == ["bn1", "c3", "f5", "f6", "output"]
    assert freeze.itemText(freeze.count() - 1) == "everything before output (the head)"


@pytest.mark.parametrize("frozen", [False, True], ids=["trains", "frozen"])
def test_a_made_blocks_name_and_id_sit_side_by_side(make_window, qtbot, frozen):
    from PySide6.QtGui import QFontMetricsF
    from cnnstudio.core.analysis.make_block import make_block
    from cnnstudio.core.graph.commands import SetFrozen
    from cnnstudio.gui.canvas.items import _fonts
    from .test_first_hour import SAMPLES
    win = make_window()
    s = win.session
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    command, block = make_block(s.graph, ["c1", "s2"], "ConvReluPool")
    s.push(command)
    if frozen:  # the lock takes the title's first 16 px
        s.push(SetFrozen(s.graph, [block], True))
    item = win.canvas.graph_scene.nodes[block]
    qtbot.waitUntil(lambda: item.frozen == frozen, timeout=30000)
    (title_rect, title), (id_rect, node_id) = item.title_row()
    seen = f"title {title!r} {title_rect}, id {node_id!r} {id_rect}, texts {item.texts}, box {item.boundingRect()}"
    ft, fb = (QFontMetricsF(f) for f in _fonts())
    assert title == "ConvReluPool"  # the name whole
    assert node_id == block or "…" in node_id  # the id, shortened if it must be
    assert not title_rect.intersects(id_rect), seen  # apart, not over each other
    if id_rect.top() >= title_rect.bottom():  # no room beside the name: on the row below, after the parameters
        assert 14 + fb.horizontalAdvance(item.texts[0]) < id_rect.left(), seen
    assert ft.horizontalAdvance(title) <= title_rect.width(), seen
    assert fb.horizontalAdvance(node_id) <= id_rect.width() + 0.5, seen
    assert 0 < title_rect.left() and id_rect.right() <= item.boundingRect().right(), seen


def test_prediction_cards_take_the_rows_width(qtbot):
    """Seen with the multi-label sample: one column of cards 184 px wide in a 250 px list, each
    "#160 true: circle, s…" cut beside white space."""
    from cnnstudio.gui.inspect.gallery import CELL_W, GAP, Gallery
    g = Gallery()
    qtbot.addWidget(g)
    g.set_indices(list(range(7)))
    for width, cols in ((250, 1), (2 * CELL_W + 3 * GAP + 40, 2)):
        g.resize(width, 600)
        assert g.columns() == cols
        rows = [g.cell_rect(k) for k in range(cols)]
        assert rows[0].left() == GAP and width - GAP - 1 <= rows[-1].right() + 1 <= width  # the row filled
        assert all(a.right() < b.left() for a, b in zip(rows, rows[1:]))  # side by side, never overlapping
        assert g.index_at(rows[-1].center()) == cols - 1  # a click lands on the card drawn there


def test_the_zoomed_out_canvas_names_its_boxes(make_window, qtbot):
    """The 3-D sample fitted into the Inspect workspace's narrow canvas is drawn as coloured
    boxes (too small for the blocks' text): each box carries its block's id, to pick a layer by."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor
    from .test_first_hour import SAMPLES
    win = make_window()
    win.resize(*SIZE_1280x800)
    win.docs.open_path(SAMPLES / "volume_classifier.cnnproj")
    qtbot.keyClick(win, Qt.Key_3, Qt.ControlModifier)
    view, scene = win.canvas, win.canvas.graph_scene
    qtbot.waitUntil(lambda: fitted(view) and scene.overview.active, timeout=3000)
    img = view.viewport().grab().toImage()
    for node_id in ("conv1", "output"):
        box = view.mapFromScene(scene.nodes[node_id].sceneBoundingRect()).boundingRect().adjusted(3, 3, -3, -3)
        light = sum(QColor(img.pixel(x, y)).lightness() > 200 for x in range(box.left(), box.right())
                    for y in range(box.top(), box.bottom()))
        assert light > 15, (node_id, light)  # white letters on the block's colour


def test_a_cut_card_shows_its_labels_whole_on_hover(qtbot):
    """At 1280×800 the multi-label cards are narrow: "#1 true: circle, s…"; resting the pointer
    on one shows its labels whole."""
    from types import SimpleNamespace

    import numpy as np
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip
    from cnnstudio.gui.inspect.gallery import Gallery
    names = ["circle", "square", "triangle", "diamond", "cross"]
    preds = SimpleNamespace(boxes=None, targets=np.array([[1, 1, 1, 0, 0], [0, 1, 0, 0, 0]], float),
                            probs=np.array([[0.6, 0.9, 0.4, 0.55, 0.1], [0.2, 0.8, 0.1, 0.1, 0.1]]), threshold=0.5,
                            correct=np.array([False, True]), labels=None, pred=None)
    insp = SimpleNamespace(predictions=preds, display=np.zeros((2, 8, 8, 3), np.uint8), class_name=names.__getitem__,
                           run_dir="r", task="multilabel")
    g = Gallery()
    qtbot.addWidget(g)
    g.set_inspection(insp)
    g.set_indices([0, 1])
    g.resize(190, 300)
    g.show()
    qtbot.waitExposed(g)
    g.grab()  # it paints with the stub
    pos = g.cell_rect(0).center()
    QApplication.sendEvent(g, QHelpEvent(QEvent.Type.ToolTip, pos, g.mapToGlobal(pos)))
    qtbot.waitUntil(lambda: QToolTip.isVisible())
    assert QToolTip.text() == "#0 true: circle, square, triangle\npredicted: circle, square, diamond"
    QApplication.sendEvent(g, QHelpEvent(QEvent.Type.ToolTip, QPoint(2, 290), g.mapToGlobal(QPoint(2, 290))))
    qtbot.waitUntil(lambda: not QToolTip.isVisible())  # no card there: no tooltip
