"""Designing a 1-D signal network in the window: the Input becomes a signal, a Conv2d
dropped after it is flagged on the block and one click turns it into a Conv1d, whose
kernel editor has one box; a volume Input gets a depth box."""
from __future__ import annotations

from PySide6.QtCore import Qt

from .conftest import click_item, drag_wire, drop_block
from .test_build_lenet import type_into


def test_signal_input_wrong_block_one_click_fix_and_volume_shape(qtbot, make_window):
    win = make_window()
    s, scene = win.session, win.canvas.graph_scene
    inp = drop_block(win, "Input", (150, 60))
    shape = win.properties.editors["shape"]
    shape.kind.setCurrentText("signal")  # [C, L]
    assert [b.isVisible() for b in shape._all] == [True, False, False, True]
    type_into(qtbot, shape.spins[1], 128)
    assert s.graph.nodes[inp].params["shape"] == [1, 128]
    conv = drop_block(win, "Conv2d", (150, 200))
    drag_wire(qtbot, win, inp, conv)
    assert scene.nodes[conv].state == "error"
    click_item(qtbot, win, scene.nodes[conv])
    assert "Conv1d" in win.problems.fix_button.text()
    qtbot.mouseClick(win.problems.fix_button, Qt.LeftButton)
    assert s.graph.nodes[conv].type == "Conv1d" and s.analysis.ok
    assert s.analysis.info[conv].shape == (16, 126) and scene.nodes[conv].texts[1] == "[16, 126]"
    click_item(qtbot, win, scene.nodes[conv])
    k = win.properties.editors["kernel_size"]
    assert len(k.spins) == 1 and k.link is None
    type_into(qtbot, k.spins[0], 7)
    assert s.graph.nodes[conv].params["kernel_size"] == 7 and s.analysis.info[conv].shape == (16, 122)
    s.undo()
    assert s.graph.nodes[conv].params["kernel_size"] == 3

    # a volume: the Input gets a depth box, and a 3-D kernel gets three
    click_item(qtbot, win, scene.nodes[inp])
    shape = win.properties.editors["shape"]
    shape.kind.setCurrentText("volume")
    assert len(s.graph.nodes[inp].params["shape"]) == 4
    assert s.graph.nodes[conv].type == "Conv1d" and scene.nodes[conv].state == "error"
    click_item(qtbot, win, scene.nodes[conv])
    assert "Conv3d" in win.problems.fix_button.text()
    qtbot.mouseClick(win.problems.fix_button, Qt.LeftButton)
    assert s.graph.nodes[conv].type == "Conv3d"
    click_item(qtbot, win, scene.nodes[conv])
    k = win.properties.editors["kernel_size"]
    assert len(k.spins) == 3
    k.link.click()
    k.spins[0].setValue(1)
    assert s.graph.nodes[conv].params["kernel_size"] == [1, 3, 3]
    assert s.analysis.info[conv].shape[0] == 16 and s.analysis.ok
