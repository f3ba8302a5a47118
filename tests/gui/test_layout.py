"""The canvas lays itself out: top to bottom or left to right (ports, wires and new blocks
follow), a composite that shows its inner layers moves its neighbours, and wires go round
any block, wherever the user drags it. Asserted on the geometry of the items on screen."""
from __future__ import annotations

import itertools

import pytest
import json
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt

from cnnstudio.gui.canvas.items import WIDTH

from .conftest import view_point
from .test_placement import double_click_palette, overlaps

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def body(item) -> QRectF:
    return QRectF(item.pos().x(), item.pos().y(), WIDTH, item.height)


def segments(wire) -> list[tuple[QPointF, QPointF]]:
    """The straight runs of a wire (its rounded corners are short curves between them)."""
    path = wire._path
    els = [path.elementAt(i) for i in range(path.elementCount())]
    return [(QPointF(e.x, e.y), QPointF(f.x, f.y)) for e, f in zip(els, els[1:]) if f.isLineTo()]


def crosses(wire, rect: QRectF) -> bool:
    """Any straight run, or any point of a rounded corner, inside the rectangle."""
    inner = rect.adjusted(1, 1, -1, -1)
    for p, q in segments(wire):
        if QRectF(p, q).normalized().adjusted(-0.01, -0.01, 0.01, 0.01).intersects(inner):
            return True
    return any(inner.contains(wire._path.pointAtPercent(i / 200)) for i in range(201))


def double_click(qtbot, widget, pos) -> None:
    """What a person's double-click delivers: press, release, the double-click, release."""
    qtbot.mouseClick(widget, Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.LeftButton, pos=pos)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=pos)


def test_left_to_right_layout_and_back(qtbot, make_window, tmp_path):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene = win.session, win.canvas.graph_scene
    assert win.act_layouts["TB"].isChecked()
    assert win.act_layouts["LR"] in win.view_menu.actions()

    win.act_layouts["LR"].trigger()
    assert win.act_layouts["LR"].isChecked() and s.project.layout["direction"] == "LR"
    c1, s2 = scene.nodes["c1"], scene.nodes["s2"]
    # data flows right: the next block is to the right, ports on the side edges, wires run across
    assert s2.pos().x() > c1.pos().x() + WIDTH and abs(s2.pos().y() - c1.pos().y()) < 1
    assert c1.out_port.scene_center().x() == c1.pos().x() + WIDTH
    assert s2.in_port.scene_center().x() == s2.pos().x()
    a, b = segments(scene.wires[("c1", "s2")])[0]
    assert abs(a.y() - b.y()) < 0.01 and b.x() > a.x()
    assert overlaps(win) == []

    # appending after c1 puts the new block right of it and pushes the rest of the row right
    s.select(["c1"])
    s2_x = s2.pos().x()
    bn = double_click_palette(qtbot, win, "BatchNorm2d")
    new = scene.nodes[bn]
    assert s.graph.inputs_of(bn) == ["c1"] and s.graph.inputs_of("s2") == [bn]
    assert new.pos().x() > c1.pos().x() + WIDTH and abs(new.pos().y() - c1.pos().y()) < 1
    assert s2.pos().x() > s2_x and overlaps(win) == []

    # saved in the project's layout section; undo takes the block, then the direction back
    path = tmp_path / "lr.cnnproj"
    win.docs.save_as(path)
    assert json.loads(path.read_text())["layout"]["direction"] == "LR"
    win.act_undo.trigger()
    win.act_undo.trigger()
    assert "direction" not in s.project.layout and win.act_layouts["TB"].isChecked()
    assert s2.pos().y() > c1.pos().y() + c1.height and abs(s2.pos().x() - c1.pos().x()) < 1
    assert c1.out_port.scene_center().y() == c1.pos().y() + c1.height
    win.act_redo.trigger()
    assert win.act_layouts["LR"].isChecked() and s2.pos().x() > c1.pos().x() + WIDTH
    win.act_layouts["TB"].trigger()  # and back by the menu, one more step
    assert "direction" not in s.project.layout and s2.pos().y() > c1.pos().y() and overlaps(win) == []


def test_expanding_a_composite_moves_its_neighbours_and_collapsing_moves_them_back(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: pytest.fail("a rename was asked for"))
    win = make_window()
    win.docs.open_path(SAMPLES / "resnet18.cnnproj")
    s, scene, vp = win.session, win.canvas.graph_scene, win.canvas.viewport()
    win.canvas.set_zoom(1.0 / win.canvas.zoom)
    before = {n: (it.pos().x(), it.pos().y()) for n, it in scene.nodes.items()}
    steps = s.stack.index
    for block in ("layer1_0", "layer2_1"):  # one at the foot of a column, one inside one
        item = scene.nodes[block]
        win.canvas.centerOn(item.sceneBoundingRect().center())
        h = item.height
        double_click(qtbot, vp, view_point(win, item.mapToScene(WIDTH / 2, 50)))
        assert item.expanded and item.height > h + 30
        assert overlaps(win) == [], block
    below = scene.nodes["layer3_0"]  # under layer2_1 in its column: it moved down
    assert below.pos().y() > before["layer3_0"][1]
    assert all(not crosses(w, body(it)) for w in scene.wires.values() for n, it in scene.nodes.items()
               if n not in w.edge)
    for block in ("layer2_1", "layer1_0"):
        item = scene.nodes[block]
        win.canvas.centerOn(item.sceneBoundingRect().center())
        double_click(qtbot, vp, view_point(win, item.mapToScene(WIDTH / 2, 50)))
        assert not item.expanded
    assert {n: (it.pos().x(), it.pos().y()) for n, it in scene.nodes.items()} == before
    assert s.stack.index == steps  # showing layers is a view, not an edit


def test_a_wire_goes_round_a_block_dragged_between_its_ends(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene, vp = win.session, win.canvas.graph_scene, win.canvas.viewport()
    win.canvas.fit()
    c1, s2, f6 = scene.nodes["c1"], scene.nodes["s2"], scene.nodes["f6"]
    # pull s2 far to the side and down, so the c1 → s2 wire has a long way to go...
    win.canvas.set_zoom(0.5 / win.canvas.zoom)
    win.canvas.centerOn(c1.sceneBoundingRect().center())

    def drag(item, to_scene: QPointF):
        grab = view_point(win, item.mapToScene(60, 12))
        to = view_point(win, to_scene)
        qtbot.mousePress(vp, Qt.LeftButton, pos=grab)
        qtbot.mouseMove(vp, (grab + to) / 2)
        qtbot.mouseMove(vp, to)
        qtbot.mouseRelease(vp, Qt.LeftButton, pos=to)
    drag(s2, c1.mapToScene(60 + 120, 12 + 300))
    # ... then drag f6 right between them, across the straight line from c1 to s2
    mid = (c1.out_port.scene_center() + s2.in_port.scene_center()) / 2
    drag(f6, mid - QPointF(WIDTH / 2 - 60, 36 - 12))
    wire = scene.wires[("c1", "s2")]
    assert body(f6).contains(mid)
    assert not crosses(wire, body(f6))
    for p, q in segments(wire):  # still orthogonal
        assert abs(p.x() - q.x()) < 0.01 or abs(p.y() - q.y()) < 0.01
    # and every other wire avoids every block too, after both moves
    for w, (n, it) in itertools.product(scene.wires.values(), scene.nodes.items()):
        if n not in w.edge:
            assert not crosses(w, body(it)), (w.edge, n)
    win.act_undo.trigger()  # f6 back in its place: the wire is straight again
    assert len(segments(scene.wires[("c1", "s2")])) <= 3 * 2
