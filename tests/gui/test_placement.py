"""New blocks go where they belong: never on top of another block (asserted on the blocks'
geometry on the canvas), inserted into a chain they push what is below them down."""
from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt

from cnnstudio.gui.canvas.items import WIDTH
from cnnstudio.gui.canvas.minimap import LEAVE_MS

from .conftest import drop_block, view_point

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def overlaps(win) -> list[tuple[str, str]]:
    items = win.canvas.graph_scene.nodes
    rects = {n: QRectF(it.pos().x(), it.pos().y(), WIDTH, it.height) for n, it in items.items()}
    return [(a, b) for a, b in itertools.combinations(rects, 2) if rects[a].intersects(rects[b])]


def double_click_palette(qtbot, win, type_: str) -> str:
    tree = win.palette.tree
    item = win.palette.items[type_]
    tree.scrollToItem(item)
    before = set(win.session.graph.nodes)
    at = tree.visualItemRect(item).center()
    qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=at)  # a double-click is a click, then a second one
    qtbot.mouseDClick(tree.viewport(), Qt.LeftButton, pos=at)
    (added,) = set(win.session.graph.nodes) - before
    return added


def test_new_blocks_never_land_on_others(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene = win.session, win.canvas.graph_scene
    assert overlaps(win) == []

    # a block selected: the palette's block is appended after it, wired, and the chain moves down
    scene.nodes["c1"].setSelected(True)
    s2_y = scene.nodes["s2"].pos().y()
    bn = double_click_palette(qtbot, win, "BatchNorm2d")
    assert s.graph.inputs_of(bn) == ["c1"] and s.graph.inputs_of("s2") == [bn]
    assert scene.nodes[bn].pos().x() == scene.nodes["c1"].pos().x() and scene.nodes["s2"].pos().y() > s2_y
    assert overlaps(win) == []

    # dropped on a wire: inserted there, the rest of the chain moves down
    win.canvas.fit()
    wire = scene.wires[("s2", "c3")]
    mid = view_point(win, wire._path.pointAtPercent(0.5))
    drop = drop_block(win, "Dropout2d", (mid.x(), mid.y()))
    assert s.graph.inputs_of(drop) == ["s2"] and overlaps(win) == []

    # nothing selected: the block goes mid-view, or below that if it is taken, several times over
    s.select([])
    for _ in range(3):
        double_click_palette(qtbot, win, "ReLU")
    assert overlaps(win) == []

    # duplicate and paste: beside the originals, never on them
    s.select(["c3", "s4"])
    win.canvas.setFocus()
    qtbot.keyClick(win.canvas, Qt.Key_D, Qt.ControlModifier)
    qtbot.keyClick(win.canvas, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(win.canvas, Qt.Key_V, Qt.ControlModifier)
    qtbot.keyClick(win.canvas, Qt.Key_V, Qt.ControlModifier)
    assert len(s.graph.nodes) == 9 + 2 + 3 + 6 and overlaps(win) == []
    win.act_undo.trigger()  # each insertion is one step, its pushes included
    assert len(s.graph.nodes) == 18


def test_zoom_buttons_show_the_percentage_and_ctrl_f_finds_a_block(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "resnet18.cnnproj")
    overlay, vp = win.canvas.overlay, win.canvas.viewport()
    win.resize(1300, 850)  # in the bar below the drawing area, at its right end, whatever its size
    def in_corner():
        g, v = overlay.geometry(), vp.geometry()
        return v.right() - 16 < g.right() <= v.right() and 0 <= g.top() - v.bottom() < 16
    qtbot.waitUntil(in_corner)
    assert overlay.isVisible() and overlay.percent.text() == f"{round(win.canvas.zoom * 100)} %"
    qtbot.mouseClick(overlay.zoom_in, Qt.LeftButton)
    assert overlay.percent.text() == f"{round(win.canvas.zoom * 100)} %"
    before = win.canvas.zoom
    qtbot.mouseClick(overlay.zoom_out, Qt.LeftButton)
    assert win.canvas.zoom < before
    win.canvas.centerOn(win.canvas.graph_scene.nodes["fc"])  # scrolling the canvas leaves them in place
    assert in_corner()

    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)  # even from the Train workspace
    qtbot.keyClick(win, Qt.Key_F, Qt.ControlModifier)
    assert win.workspaces.current == "design" and overlay.find.hasFocus()
    qtbot.keyClicks(overlay.find, "layer3")
    assert overlay.count.text() == "2 found"
    qtbot.keyClick(overlay.find, Qt.Key_Return)
    assert win.session.selection == ["layer3_0"] and overlay.count.text() == "1 of 2"
    qtbot.keyClick(overlay.find, Qt.Key_Return)
    item = win.canvas.graph_scene.nodes["layer3_1"]
    assert win.session.selection == ["layer3_1"]
    assert win.canvas.viewport().rect().contains(win.canvas.mapFromScene(item.sceneBoundingRect().center()))
    qtbot.keyClick(overlay.find, Qt.Key_Escape)
    assert not overlay.find.isVisible()


def test_dragging_an_unwired_block_onto_a_wire_inserts_it(qtbot, make_window):
    from PySide6.QtCore import QPointF
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene, vp = win.session, win.canvas.graph_scene, win.canvas.viewport()
    win.canvas.fit()
    spare = drop_block(win, "Dropout", (vp.width() - 40, 40))  # somewhere free, unwired
    assert not [e for e in s.graph.edges if spare in e]
    grab = view_point(win, scene.nodes[spare].mapToScene(QPointF(60, 12)))
    wire = scene.wires[("c1", "s2")]
    onto = view_point(win, wire._path.pointAtPercent(0.5))
    qtbot.mousePress(vp, Qt.LeftButton, pos=grab)
    qtbot.mouseMove(vp, (grab + onto) / 2)
    qtbot.mouseMove(vp, onto)
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=onto)
    assert s.graph.inputs_of(spare) == ["c1"] and s.graph.inputs_of("s2") == [spare]
    assert overlaps(win) == [] and "Insert" in win.act_undo.text()
    win.act_undo.trigger()  # one step: the wire and the block's place come back
    assert s.graph.inputs_of("s2") == ["c1"] and not [e for e in s.graph.edges if spare in e]


def test_the_minimap_shows_the_whole_network_and_moves_the_view(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "resnet18.cnnproj")
    view, mini = win.canvas, win.canvas.minimap
    qtbot.mouseMove(view.viewport(), view.viewport().rect().center())
    view.set_zoom(3.0)  # close up: only a few blocks in view, every corner taken (the map keeps off them)
    view.centerOn(win.canvas.graph_scene.nodes["layer2_1"])
    assert not mini.isVisible()
    qtbot.mouseMove(view.overlay.map_button)  # the pointer resting on Map shows it
    qtbot.waitUntil(lambda: mini.isVisible() and mini.mapFromScene(
        win.canvas.graph_scene.itemsBoundingRect()).boundingRect().width() <= mini.viewport().width())
    fc = win.canvas.graph_scene.nodes["fc"]
    assert not view.viewport().rect().contains(view.mapFromScene(fc.sceneBoundingRect().center()))
    at = mini.mapFromScene(fc.sceneBoundingRect().center())
    qtbot.mouseMove(mini.viewport(), at)  # across the gap from the button: the map waits for the pointer
    qtbot.wait(LEAVE_MS + 200)  # longer than the map waits
    assert mini.isVisible()
    qtbot.mouseClick(mini.viewport(), Qt.LeftButton, pos=at)
    assert view.viewport().rect().contains(view.mapFromScene(fc.sceneBoundingRect().center()))
    assert mini.in_view().contains(fc.sceneBoundingRect().center())
    view.fit()  # the whole network in view: no minimap over its blocks
    assert not mini.isVisible()
    view.set_zoom(2.0)
    view.centerOn(fc.sceneBoundingRect().center() + QPointF(0, 700))  # past the end: room for it
    assert mini.isVisible()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    assert not mini.isVisible()
    for _ in range(6):  # blocks appended after c1 push the chain out of view: the minimap comes
        win.session.select(["c1"])
        double_click_palette(qtbot, win, "ReLU")
    assert mini.isVisible()
    for _ in range(6):
        win.act_undo.trigger()
    win.act_new_empty.trigger()  # nothing to map on an empty canvas
    qtbot.waitUntil(lambda: not mini.isVisible())


def test_wires_are_orthogonal_and_go_round_the_blocks(qtbot, make_window):
    win = make_window()
    for sample in ("lenet5", "resnet18"):
        win.docs.open_path(SAMPLES / f"{sample}.cnnproj")
        scene = win.canvas.graph_scene
        bodies = {n: QRectF(it.pos().x(), it.pos().y(), WIDTH, it.height).adjusted(2, 2, -2, -2)
                  for n, it in scene.nodes.items()}
        for (src, dst), wire in scene.wires.items():
            path = wire._path
            points = [path.pointAtPercent(i / 60) for i in range(61)]
            for n, body in bodies.items():
                assert not any(body.contains(p) for p in points), (sample, src, dst, n)  # never across a block
            for i in range(path.elementCount() - 1):  # straight runs are horizontal or vertical
                e, f = path.elementAt(i), path.elementAt(i + 1)
                if f.isLineTo():
                    assert abs(e.x - f.x) < 0.01 or abs(e.y - f.y) < 0.01, (sample, src, dst)


def test_f2_renames_a_block_keeping_its_wires(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog
    from cnnstudio.gui.documents import Documents
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s = win.session
    errors = []
    monkeypatch.setattr(Documents, "error", lambda self, title, text: errors.append(text))
    names = iter(["2fast", "s2", "features"])  # what the user types, one rename each
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (next(names), True))
    s.select(["c1"])
    qtbot.keyClick(win, Qt.Key_F2)
    qtbot.keyClick(win, Qt.Key_F2)
    assert "c1" in s.graph.nodes and "start with a letter" in errors[0] and "already called s2" in errors[1]
    qtbot.keyClick(win, Qt.Key_F2)
    assert "features" in s.graph.nodes and "c1" not in s.graph.nodes and s.selection == ["features"]
    assert s.graph.inputs_of("features") == ["input1"] and s.graph.inputs_of("s2") == ["features"]
    assert win.canvas.graph_scene.nodes["features"].isSelected() and s.analysis.ok
    assert any(win.summary.model.rows[i] == "features" for i in range(len(win.summary.model.rows)))
    win.act_undo.trigger()
    assert "c1" in s.graph.nodes and s.graph.inputs_of("s2") == ["c1"]


def test_double_clicking_a_block_title_renames_it_and_the_body_still_expands(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog
    win = make_window()
    win.docs.open_path(SAMPLES / "resnet18.cnnproj")
    s, scene = win.session, win.canvas.graph_scene
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (asked.append(k.get("text")), ("stem", True))[1])
    res = next(n for n, node in s.graph.nodes.items() if node.type == "ResidualBlock")
    win.canvas.center_on_node(res)
    item = scene.nodes[res]
    body = view_point(win, item.mapToScene(WIDTH / 2, 50))
    qtbot.mouseDClick(win.canvas.viewport(), Qt.LeftButton, pos=body)  # the body: show inner layers
    assert item.expanded and asked == []
    title = view_point(win, item.mapToScene(WIDTH / 2, 12))
    qtbot.mouseDClick(win.canvas.viewport(), Qt.LeftButton, pos=title)
    assert asked == [res] and "stem" in s.graph.nodes and res not in s.graph.nodes
    assert s.selection == ["stem"] and scene.nodes["stem"].isSelected() and s.analysis.ok
    win.act_undo.trigger()
    assert res in s.graph.nodes and "stem" not in s.graph.nodes


def test_the_free_spot_index_finds_exactly_the_blocks_a_new_one_would_touch():
    """free_spot and paste ask a grid of cells instead of every block: at any place (cells'
    edges and negative coordinates included) it answers what comparing with each block does."""
    import random

    from cnnstudio.core import Graph
    from cnnstudio.gui.canvas.placement import _hits, _rect, _Taken
    rng = random.Random(7)
    g = Graph()
    for _ in range(300):
        g.nodes[g.add("ReLU")].pos = (rng.uniform(-3000, 3000), rng.uniform(-3000, 3000))
    g.nodes[g.add("ReLU")].pos = (232.0, 88.0)  # on the edges of a cell
    taken = _Taken(g)
    probes = [(rng.uniform(-3100, 3100), rng.uniform(-3100, 3100)) for _ in range(3000)]
    probes += [(232.0 + dx, 88.0 + dy) for dx in (-232.0, -231.9, 0.0, 231.9, 232.0) for dy in (-88.0, -87.9, 0.0, 87.9, 88.0)]
    found = 0
    for x, y in probes:
        brute = any(_hits(_rect((x, y)), _rect(n.pos)) for n in g.nodes.values())
        assert taken.hits(x, y) == brute, (x, y)
        found += brute
    assert 100 < found < len(probes) - 100  # both answers were asked for


def test_a_rename_keeps_every_wire_in_its_place_and_undoes_exactly():
    """A Concat's inputs are its channel order: renamed, it keeps them (and its outputs) in the
    same order, every wire keeps its place in the file's list, and undo gives back the graph."""
    from cnnstudio.core import Graph, analyze
    from cnnstudio.core.graph.commands import UndoStack
    from cnnstudio.gui.canvas.edits import rename
    g = Graph()
    x = g.add("Input", shape=[3, 8, 8])
    a, b = g.add("Conv2d", x, out_channels=2), g.add("Conv2d", x, out_channels=5)
    cat = g.add("Concat", a, b)
    heads = [g.add("ReLU", cat), g.add("Flatten", cat)]
    g.nodes[cat].frozen = True
    before = (list(g.edges), g.inputs_of(cat), g.outputs_of(cat), analyze(g).info[heads[0]].shape)
    stack = UndoStack(g)
    command, why = rename(g, cat, "merge")
    stack.push(command)
    assert cat not in g.nodes and g.nodes["merge"].frozen
    assert g.inputs_of("merge") == [a, b] and g.outputs_of("merge") == heads
    assert list(g.edges) == [tuple("merge" if n == cat else n for n in e) for e in before[0]]
    assert analyze(g).info[heads[0]].shape == before[3]
    stack.undo()
    assert (list(g.edges), g.inputs_of(cat), g.outputs_of(cat)) == before[:3] and "merge" not in g.nodes
