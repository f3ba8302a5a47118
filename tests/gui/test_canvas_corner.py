"""The canvas around what the user works on: entering a block of their own from the Properties
button shows its inner graph at once, fitted; the minimap and the zoom box never sit on top of
blocks or wire labels."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QPushButton

from cnnstudio.core import Project
from cnnstudio.core.analysis.make_block import make_block

from .test_big_networks import chain

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def in_view(view) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def test_edit_inside_from_the_properties_button_shows_the_inner_graph_fitted(qtbot, make_window):
    win = make_window()
    s, view = win.session, win.canvas
    assert win.docs.open_path(str(SAMPLES / "vgg16.cnnproj"))
    a = [n for n, node in s.graph.nodes.items() if node.type == "Conv2d"][6]
    command, block = make_block(s.graph, [a, s.graph.outputs_of(a)[0]], "Pair")
    s.push(command)
    # the user is looking at the block, close up, as after clicking it in a big network
    view.resetTransform()
    view.set_zoom(1.5)
    view.center_on_node(block)
    s.select([block])
    qtbot.mouseClick(win.properties.widget().findChild(QPushButton, "edit_inside"), Qt.LeftButton)
    qtbot.waitUntil(lambda: s.scope is not None)
    scene = view.graph_scene
    inner = set(s.graph.nodes)
    assert set(scene.nodes) == inner and block not in inner
    qtbot.waitUntil(lambda: all(in_view(view).contains(item.sceneBoundingRect()) for item in scene.nodes.values()))
    # fitted: the inner graph fills the view, not a corner of it
    shown = QRectF()
    for item in scene.nodes.values():
        shown = shown.united(item.sceneBoundingRect())
    seen = in_view(view)
    assert shown.width() > 0.5 * seen.width() or shown.height() > 0.5 * seen.height()


def covered(view, widget) -> list[str]:
    """The blocks and wire labels that lie under `widget` (a child of the canvas)."""
    scene = view.graph_scene
    g = widget.geometry().translated(-view.viewport().geometry().topLeft())
    r = view.mapToScene(g).boundingRect()
    hit = [n for n, item in scene.nodes.items() if item.sceneBoundingRect().intersects(r)]
    return hit + [f"{a}→{b}" for (a, b), w in scene.wires.items() if w.label and w.label_rect().intersects(r)]


def test_the_minimap_and_the_zoom_box_never_cover_blocks_or_wire_labels(qtbot, make_window, tmp_path):
    win = make_window()
    s, view = win.session, win.canvas
    shown = 0
    for size in ((1280, 800), (1400, 900)):
        win.resize(*size)
        qtbot.waitUntil(lambda: win.width() == size[0])
        for project, zoom in (("resnet50", 1.0), ("resnet50", 0.6), ("chain", 1.0), ("chain", 0.6)):
            if project == "chain":  # one long column: room beside it
                s.set_project(Project("chain", chain(80).graph))
            else:
                assert win.docs.open_path(str(SAMPLES / "resnet50.cnnproj"))
            view.resetTransform()
            view.set_zoom(zoom)
            last = view.graph_scene.nodes[list(s.graph.nodes)[-1]]
            spots = [view.graph_scene.nodes[n].sceneBoundingRect().center() for n in list(s.graph.nodes)[::4]]
            spots.append(last.sceneBoundingRect().center() + QPointF(0, 300))  # scrolled past the end: room
            for spot in spots:
                view.centerOn(spot)
                vp, bar = view.viewport().geometry(), view.overlay.geometry()
                assert view.overlay.isVisible() and not vp.intersects(bar)  # the bar is below the drawing area
                assert vp.right() - 16 < bar.right() <= vp.right() and 0 <= bar.top() - vp.bottom() < 16
                if view.minimap.isVisible():
                    shown += 1
                    assert vp.contains(view.minimap.geometry()) and covered(view, view.minimap) == [], (size, zoom, spot)
        win.grab().save(str(tmp_path / f"canvas-{size[0]}.png"))
    assert shown  # where a corner is free, the map is there
    # switched off, it stays away even where a corner is free; resting the pointer on Map shows it
    s.set_project(Project("chain", chain(80).graph))
    view.resetTransform()
    last = view.graph_scene.nodes[list(s.graph.nodes)[-1]]
    view.centerOn(last.sceneBoundingRect().center() + QPointF(0, 300))
    assert view.minimap.isVisible()
    button = view.overlay.map_button
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.mouseMove(view.viewport(), view.viewport().rect().center())
    qtbot.waitUntil(lambda: not view.minimap.isVisible())
    assert not button.isChecked()
    qtbot.mouseMove(button)
    qtbot.waitUntil(view.minimap.isVisible)
    qtbot.mouseMove(view.viewport(), view.viewport().rect().center())
    qtbot.waitUntil(lambda: not view.minimap.isVisible())
