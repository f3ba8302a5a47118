"""Everyday canvas work on a residual network: search the palette, drop onto a wire,
rubber-band select, copy/paste/duplicate/nudge/delete by keyboard, zoom, arrange, expand
a composite block, fix a shortcut's shape with one click, and keep docks in step."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from cnnstudio.core import Graph, Project
from cnnstudio.gui.canvas.items import BASE_HEIGHT

from .conftest import click_item, drop_block, view_point


def residual_project() -> Project:
    g = Graph()
    i = g.add("Input", shape=[3, 32, 32])
    c1 = g.add("Conv2d", i, out_channels=16, kernel_size=3, padding=1, activation="relu")
    c2 = g.add("Conv2d", c1, out_channels=32, kernel_size=3, stride=2, padding=1)
    add = g.add("Add", c2, c1)  # shortcut of the wrong shape: [16, 32, 32] vs [32, 16, 16]
    gap = g.add("AdaptiveAvgPool2d", add)
    f = g.add("Flatten", gap)
    g.add("Linear", f, out_features=10)
    return Project("res", g)


def test_canvas_editing_keyboard_and_docks(qtbot, make_window):
    win = make_window()
    win.session.set_project(residual_project())
    s, view, scene = win.session, win.canvas, win.canvas.graph_scene
    assert all(n.pos is not None for n in s.graph.nodes.values())  # laid out on open

    # the shortcut of the wrong shape: the Add and its wire are red; the fix adds a projection
    assert scene.nodes["add1"].state == "error" and scene.wires[("conv1", "add1")].error
    assert "[16, 32, 32] from conv1 and [32, 16, 16] from conv2" in scene.wires[("conv1", "add1")].toolTip()
    row = win.problems.problems.index(next(p for p in win.problems.problems if p.node == "add1"))
    win.problems.list.setCurrentRow(row)
    click = win.problems.list.visualItemRect(win.problems.list.item(row)).center()
    qtbot.mouseClick(win.problems.list.viewport(), Qt.LeftButton, pos=click)
    assert s.selection == ["add1"] and win.properties.node_id == "add1"
    assert "1×1 projection 16→32 (stride 2)" in win.problems.fix_button.text()
    qtbot.mouseClick(win.problems.fix_button, Qt.LeftButton)
    proj = next(n for n in s.graph.inputs_of("add1") if n not in ("conv2",))
    assert s.graph.nodes[proj].params["kernel_size"] == 1 and s.analysis.ok
    assert scene.wires[(proj, "add1")].label == "[32, 16, 16]" and not scene.nodes["add1"].state

    # search the palette, then drop a BatchNorm onto the conv1 → conv2 wire: it is inserted
    win.palette.search.setText("normal")
    found = win.palette.visible_types()
    assert found[0] == "BatchNorm2d" and {"BatchNorm1d", "BatchNorm3d", "LayerNorm2d"} <= set(found)  # images first
    win.palette.search.clear()
    win.act_arrange.trigger()  # the fix put the projection in the way; lay out in layers
    wire = scene.wires[("conv1", "conv2")]
    mid = view_point(win, wire._path.pointAtPercent(0.5))
    # hovering first: the wire that a drop would split lights up
    mime = win.palette.tree.mimeData([win.palette.items["BatchNorm2d"]])
    for ev in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(view.viewport(), ev(mid, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    assert wire.hot
    bn = drop_block(win, "BatchNorm2d", (mid.x(), mid.y()))
    assert not wire.hot
    assert s.graph.inputs_of(bn) == ["conv1"] and s.graph.inputs_of("conv2") == [bn]
    assert ("conv1", "conv2") not in scene.wires and scene.nodes[bn].texts[1] == "[16, 32, 32]"

    # the summary table and the canvas select each other
    m = win.summary.model
    win.summary.table.selectRow(m.rows.index("conv2"))
    assert s.selection == ["conv2"] and scene.nodes["conv2"].isSelected()
    bar = win.summary.tabs.tabBar()  # the Explain tab works the numbers out when opened
    explain_tab = next(i for i in range(bar.count()) if bar.tabText(i) == "Explain")
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(explain_tab).center())
    assert "(3·3·16 + 1)·32 = 4,640" in win.summary.explain.toPlainText()
    click_item(qtbot, win, scene.nodes["fc1"])
    assert s.selection == ["fc1"]
    assert {i.row() for i in win.summary.table.selectionModel().selectedRows()} == {m.rows.index("fc1")}

    # properties: "same" padding, a [h, w] kernel, and the cost for a batch size
    click_item(qtbot, win, scene.nodes["conv1"])
    pad = win.properties.editors["padding"]
    pad.mode.setCurrentText("valid")
    assert s.graph.nodes["conv1"].params["padding"] == "valid" and scene.nodes["conv1"].texts[1] == "[16, 30, 30]"
    pad.mode.setCurrentText("same")
    assert scene.nodes["conv1"].texts[1] == "[16, 32, 32]"
    k = win.properties.editors["kernel_size"]
    k.link.click()  # height and width apart
    k.w.setValue(5)
    assert s.graph.nodes["conv1"].params["kernel_size"] == [3, 5] and "16 @ 3×5" in scene.nodes["conv1"].texts[0]
    win.summary.tabs.setCurrentIndex(2)
    before = win.summary.cost_labels["act_mem"].text()
    win.summary.batch.setValue(128)
    assert win.summary.cost_labels["act_mem"].text() != before
    win.summary.precision.setCurrentText("fp16")
    assert "MiB" in win.summary.cost_labels["total"].text()
    win.act_undo.trigger()
    win.act_undo.trigger()
    win.act_undo.trigger()
    assert s.graph.nodes["conv1"].params["kernel_size"] == 3 and s.graph.nodes["conv1"].params["padding"] == 1
    assert k.value() == 3 and pad.value() == 1

    # rubber band over empty canvas selects the blocks it covers
    view.setFocus()
    r = scene.nodes["gap1"].sceneBoundingRect().united(scene.nodes["flatten1"].sceneBoundingRect())
    a = view_point(win, r.topLeft() - QPointF(15, 15))
    b = view_point(win, r.bottomRight() + QPointF(15, 15))
    a, b = b, a  # from the bottom right: a wire to the next band runs above the top left
    assert scene.itemAt(view.mapToScene(a), view.transform()) is None
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=a)
    qtbot.mouseMove(view.viewport(), (a + b) / 2)
    qtbot.mouseMove(view.viewport(), b)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=b)
    assert sorted(s.selection) == ["flatten1", "gap1"]

    # copy/paste and duplicate keep the wires between the copied blocks
    n0 = len(s.graph.nodes)
    qtbot.keyClick(view, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(view, Qt.Key_V, Qt.ControlModifier)
    pasted = list(s.selection)
    assert len(s.graph.nodes) == n0 + 2 and len(pasted) == 2 and not set(pasted) & {"gap1", "flatten1"}
    assert (pasted[0], pasted[1]) in s.graph.edges
    qtbot.keyClick(view, Qt.Key_D, Qt.ControlModifier)
    assert len(s.graph.nodes) == n0 + 4
    # arrows nudge the selection by 10 px (Shift: 50), one undo step each
    dup = list(s.selection)
    x0 = s.graph.nodes[dup[0]].pos
    qtbot.keyClick(view, Qt.Key_Right)
    qtbot.keyClick(view, Qt.Key_Down, Qt.ShiftModifier)
    assert s.graph.nodes[dup[0]].pos == (x0[0] + 10, x0[1] + 50)
    assert scene.nodes[dup[0]].pos() == QPointF(x0[0] + 10, x0[1] + 50)
    qtbot.keyClick(view, Qt.Key_Delete)
    assert len(s.graph.nodes) == n0 + 2 and not set(dup) & set(s.graph.nodes)
    qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
    assert len(s.selection) == n0 + 2
    qtbot.keyClick(view, Qt.Key_Delete)
    assert not s.graph.nodes and not scene.nodes and win.summary.model.rowCount() == 0
    win.act_undo.trigger()
    assert len(s.graph.nodes) == n0 + 2 and len(scene.wires) == len(s.graph.edges)

    # moving a block with the mouse is one undoable step
    item = scene.nodes["fc1"]
    start = item.pos()
    p = view_point(win, item.mapToScene(QPointF(60, 12)))
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=p)
    qtbot.mouseMove(view.viewport(), p + QPoint(30, 0))
    qtbot.mouseMove(view.viewport(), p + QPoint(80, 40))
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=p + QPoint(80, 40))
    moved = s.graph.nodes["fc1"].pos
    assert moved != (start.x(), start.y()) and item.pos() == QPointF(*moved)
    assert "Move fc1" in win.act_undo.text()
    win.act_undo.trigger()
    assert item.pos() == start

    # the history view jumps back and forth
    hist = win.history.list
    win.history.show()
    win.history.raise_()
    qtbot.waitUntil(hist.isVisible)

    def click_row(row):
        hist.scrollToItem(hist.item(row))
        qtbot.mouseClick(hist.viewport(), Qt.LeftButton, pos=hist.visualItemRect(hist.item(row)).center())
    click_row(0)
    assert not s.graph.nodes.get(bn) and s.stack.index == 0 and not s.analysis.ok  # before the fix
    click_row(hist.count() - 1)
    assert bn in s.graph.nodes and s.stack.index == len(s.stack.commands)

    # zoom with the wheel, fit to view, arrange in layers
    z = view.zoom
    centre = view.viewport().rect().center()
    wheel = QWheelEvent(QPointF(centre), QPointF(view.viewport().mapToGlobal(centre)), QPoint(0, 0),
                        QPoint(0, 240), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom == pytest.approx(z * 1.0015 ** 240)  # one notch-pair of the wheel: ×1.43
    win.act_arrange.trigger()
    rows = {round(n.pos[1]) for n in s.graph.nodes.values()}
    assert len(rows) > 3
    view.fit()
    vis = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(vis.contains(i.sceneBoundingRect()) for i in scene.nodes.values())

    # a composite block expands to show its layers
    s.select([])
    res = drop_block(win, "ResidualBlock", (40, 40))
    item = scene.nodes[res]
    assert item.state == "error"  # not connected yet
    h = item.height
    click_item(qtbot, win, item.expand_chip)
    assert item.expanded and item.height == h  # nothing to show until it has an input
    s.push(__import__("cnnstudio.core.graph.commands", fromlist=["AddEdge"]).AddEdge("input1", res))
    assert item.height > BASE_HEIGHT and any("conv1: 3×3 conv 3→64" in t for t in item.inner)
