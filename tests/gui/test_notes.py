"""Notes on the canvas: added from the canvas's right-click menu, edited with a double-click,
dragged, deleted; every step undoable; saved in the project's layout; no block sees them."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu

from cnnstudio.gui.canvas.notes import NOTE_WIDTH

from .conftest import view_point

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def right_click(qtbot, win, pos: QPoint, choose: str) -> list[str]:
    """Right-click the canvas at `pos` and pick `choose` from the menu that opens; returns its entries."""
    shown = []

    def pick():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(10, pick)
            return
        shown.extend(a.text() for a in menu.actions())
        action = next(a for a in menu.actions() if a.text() == choose)
        menu.setActiveAction(action)
        qtbot.keyClick(menu, Qt.Key_Return)
    QTimer.singleShot(0, pick)
    vp = win.canvas.viewport()
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Mouse, pos, vp.mapToGlobal(pos)))
    return shown


def test_a_note_is_added_edited_moved_deleted_and_saved_without_touching_the_network(
        qtbot, make_window, monkeypatch, tmp_path):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene, vp = win.session, win.canvas.graph_scene, win.canvas.viewport()
    problems_before, blocks = [p.message for p in s.analysis.problems], len(s.graph.nodes)
    # an empty spot: left of every block
    left = min(it.pos().x() for it in scene.nodes.values()) - NOTE_WIDTH - 60
    top = min(it.pos().y() for it in scene.nodes.values())
    win.canvas.centerOn(left + 100, top + 40)
    spot = view_point(win, scene.nodes["input1"].pos()) + QPoint(-NOTE_WIDTH - 40, 0)
    assert vp.rect().contains(spot) and scene.itemAt(win.canvas.mapToScene(spot), win.canvas.transform()) is None

    typed = iter(["Try 3×3 kernels here", "Try 3×3 kernels in c1 and c3"])
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: (next(typed), True))
    entries = right_click(qtbot, win, spot, "Add note here…")
    assert "Add note here…" in entries
    (item,) = scene.notes.items.values()
    assert item.text == "Try 3×3 kernels here" and item.isVisible()
    assert abs(view_point(win, item.pos()).x() - spot.x()) <= 1 and s.dirty

    # edit: double-click the note and type a new text
    centre = view_point(win, item.mapToScene(NOTE_WIDTH / 2, 10))
    qtbot.mouseDClick(vp, Qt.LeftButton, pos=centre)
    assert item.text == "Try 3×3 kernels in c1 and c3"

    # move: drag it down by 100 px
    before = item.pos()
    qtbot.mousePress(vp, Qt.LeftButton, pos=centre)
    qtbot.mouseMove(vp, centre + QPoint(0, 50))
    qtbot.mouseMove(vp, centre + QPoint(0, 100))
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=centre + QPoint(0, 100))
    moved = s.project.layout["notes"][0]["pos"]
    assert moved[1] > before.y() + 50 and item.pos().y() == moved[1]

    # the checks and the summary do not see it; it is saved in the layout and opens again
    assert [p.message for p in s.analysis.problems] == problems_before
    assert "note1" not in s.graph.nodes
    path = tmp_path / "with_note.cnnproj"
    assert win.docs.save_as(path) and not s.dirty
    doc = json.loads(path.read_text())
    assert doc["layout"]["notes"] == [{"id": "note1", "text": "Try 3×3 kernels in c1 and c3", "pos": moved}]

    # undo the move, then the edit; redo both
    win.act_undo.trigger()
    assert item.pos().y() == before.y()
    win.act_undo.trigger()
    assert item.text == "Try 3×3 kernels here"
    win.act_redo.trigger()
    win.act_redo.trigger()
    assert item.text.endswith("c1 and c3") and item.pos().y() == moved[1]

    # delete from its menu, then undo brings it back; Del on the selected note deletes it too
    right_click(qtbot, win, view_point(win, item.mapToScene(NOTE_WIDTH / 2, 10)), "Delete note")
    assert not scene.notes.items and "notes" not in s.project.layout
    win.act_undo.trigger()
    item = scene.notes.items["note1"]
    qtbot.mouseClick(vp, Qt.LeftButton, pos=view_point(win, item.mapToScene(NOTE_WIDTH / 2, 10)))
    assert item.isSelected()
    qtbot.keyClick(vp, Qt.Key_Delete)
    assert not scene.notes.items and len(s.graph.nodes) == blocks

    win.docs.open_path(path, confirmed=True)  # (unsaved: the delete) the saved file shows the note where it was
    (item,) = win.canvas.graph_scene.notes.items.values()
    assert item.text.endswith("c1 and c3") and item.pos().y() == moved[1]


def test_blocks_and_notes_dragged_together_are_one_undo_step_and_escape_clears_a_note(
        qtbot, make_window, monkeypatch):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene, vp = win.session, win.canvas.graph_scene, win.canvas.viewport()
    win.canvas.fit()
    c1 = scene.nodes["c1"]
    spot = view_point(win, c1.mapToScene(-NOTE_WIDTH - 40, 0))
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: ("next to c1", True))
    right_click(qtbot, win, spot, "Add note here…")
    (note,) = scene.notes.items.values()

    # Escape clears a selected note, as it does a block
    win.canvas.setFocus()
    qtbot.mouseClick(vp, Qt.LeftButton, pos=view_point(win, note.mapToScene(20, 10)))
    assert note.isSelected()
    qtbot.keyClick(win.canvas, Qt.Key_Escape)
    assert not note.isSelected() and scene.selectedItems() == []

    # the note and c1 selected, dragged together: one undo step takes both back
    qtbot.mouseClick(vp, Qt.LeftButton, pos=view_point(win, note.mapToScene(20, 10)))
    qtbot.mouseClick(vp, Qt.LeftButton, Qt.ControlModifier, pos=view_point(win, c1.mapToScene(60, 12)))
    assert note.isSelected() and c1.isSelected()
    steps, c1_at, note_at = s.stack.index, s.graph.nodes["c1"].pos, list(s.project.layout["notes"][0]["pos"])
    grab = view_point(win, c1.mapToScene(60, 12))
    qtbot.mousePress(vp, Qt.LeftButton, pos=grab)
    qtbot.mouseMove(vp, grab + QPoint(30, 20))
    qtbot.mouseMove(vp, grab + QPoint(60, 40))
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=grab + QPoint(60, 40))
    assert s.stack.index == steps + 1
    assert s.graph.nodes["c1"].pos != c1_at and s.project.layout["notes"][0]["pos"] != note_at
    win.act_undo.trigger()
    assert s.graph.nodes["c1"].pos == c1_at and s.project.layout["notes"][0]["pos"] == note_at
    assert note.pos().x() == note_at[0] and note.pos().y() == note_at[1]


def test_the_minimap_maps_the_notes_too(qtbot, make_window, monkeypatch):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s, scene, vp = win.session, win.canvas.graph_scene, win.canvas.viewport()
    far = scene.nodes["input1"].mapToScene(-6000, 0)  # a note far left of the network
    win.canvas.centerOn(far)
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: ("far away", True))
    right_click(qtbot, win, view_point(win, far), "Add note here…")
    (note,) = scene.notes.items.values()
    win.canvas.set_zoom(0.25 / win.canvas.zoom)  # zoomed out: the blocks are drawn as boxes
    win.canvas.centerOn(far)
    mini = win.canvas.minimap
    qtbot.waitUntil(lambda: mini.isVisible() and scene.overview.active)
    mini.refresh()
    for item in (note, scene.nodes["output"]):
        assert mini.viewport().rect().contains(mini.mapFromScene(item.sceneBoundingRect().center()))
