"""The canvas's Map switch is there only when there is something to map: an empty canvas (a new
empty project, or after the last block is deleted) has no Map button; it comes back with the
first block dropped from the palette."""
from __future__ import annotations

from PySide6.QtCore import Qt

from .conftest import drop_block


def test_the_map_button_waits_for_blocks(qtbot, make_window):
    win = make_window()
    win.resize(1280, 800)
    qtbot.waitUntil(lambda: win.width() == 1280)
    assert win.docs.new_empty()
    view = win.canvas
    button = view.overlay.map_button
    qtbot.waitUntil(lambda: not win.session.graph.nodes)
    assert view.overlay.isVisible() and view.overlay.fit_button.isVisible()  # the zoom box stays
    assert not button.isVisible() and not view.minimap.isVisible()
    node = drop_block(win, "Conv2d", (300, 200))
    qtbot.waitUntil(button.isVisible)
    # the bar keeps its place at the drawing area's right end with the button back in it
    vp, bar = view.viewport().geometry(), view.overlay.geometry()
    assert vp.right() - 16 < bar.right() <= vp.right() and button.geometry().width() > 0
    win.session.select([node])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: not win.session.graph.nodes)
    qtbot.waitUntil(lambda: not button.isVisible())
