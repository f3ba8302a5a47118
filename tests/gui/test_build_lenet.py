"""A newcomer's first session: build LeNet-5 on an empty canvas with the mouse, edit it in
the properties panel, trip over a mistake and quick-fix it, undo everything, redo it,
save, reopen, and find the same project."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cnnstudio.core.project import dumps_project, project_to_dict

from .conftest import click_item, drag_wire, drop_block

SLOTS = [(130 + 270 * c, 50 + 125 * r) for r in range(4) for c in range(3)]


def type_into(qtbot, spin, value) -> None:
    """Select the field's text, type a number and press Enter, like a user."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(value))
    qtbot.keyClick(spin, Qt.Key_Return)


def editor(win, name):
    return win.properties.editors[name]


def summary_row(win, node_id) -> list[str]:
    m = win.summary.model
    r = m.rows.index(node_id)
    return [m.data(m.index(r, c)) for c in range(m.columnCount())]


def test_build_lenet_fix_undo_redo_save_reopen(qtbot, make_window, tmp_path, monkeypatch):
    win = make_window()
    s, scene = win.session, win.canvas.graph_scene
    assert not s.graph.nodes and win.canvas.zoom == 1.0

    # --- drop blocks from the palette and set their parameters in the properties panel ----
    inp = drop_block(win, "Input", SLOTS[0])
    assert s.selection == [inp] and win.properties.node_id == inp
    sh = editor(win, "shape").spins
    assert [x.value() for x in sh] == [1, 28, 28]

    def conv(slot, out, k, pad=0):
        nid = drop_block(win, "Conv2d", SLOTS[slot])
        type_into(qtbot, editor(win, "out_channels").spin, out)
        type_into(qtbot, editor(win, "kernel_size").h, k)
        if pad:
            type_into(qtbot, editor(win, "padding").size.h, pad)
        editor(win, "activation").combo.setCurrentText("relu")
        return nid

    def linear(slot, n, act=True):
        nid = drop_block(win, "Linear", SLOTS[slot])
        type_into(qtbot, editor(win, "out_features").spin, n)
        if act:
            editor(win, "activation").combo.setCurrentText("relu")
        return nid

    c1 = conv(1, 6, 5, pad=2)
    assert s.graph.nodes[c1].params | {} == {**s.graph.nodes[c1].params, "out_channels": 6, "kernel_size": 5,
                                             "padding": 2, "activation": "relu"}
    p1 = drop_block(win, "MaxPool2d", SLOTS[2])
    c2 = conv(3, 16, 5)
    p2 = drop_block(win, "MaxPool2d", SLOTS[4])
    f1, f2, f3 = linear(5, 120), linear(6, 84), linear(7, 10, act=False)
    assert len(s.graph.nodes) == 8 and not s.graph.edges

    # --- wire them by dragging from output ports to input ports (forgetting Flatten) -------
    for a, b in [(inp, c1), (c1, p1), (p1, c2), (c2, p2), (p2, f1), (f1, f2), (f2, f3)]:
        drag_wire(qtbot, win, a, b)
    assert s.graph.edges == [(inp, c1), (c1, p1), (p1, c2), (c2, p2), (p2, f1), (f1, f2), (f2, f3)]
    assert scene.nodes[c1].texts[1] == "[6, 28, 28]" and scene.nodes[p2].texts[1] == "[16, 5, 5]"
    assert scene.wires[(c2, p2)].label == "[16, 10, 10]"
    # a wire to itself is refused with a reason, not added
    drag_wire(qtbot, win, c1, c1)
    assert len(s.graph.edges) == 7

    # --- the mistake: a Linear layer fed an image -----------------------------------------------
    item = scene.nodes[f1]
    assert item.state == "error" and item.fix_chip.isVisible()
    assert "needs a flat input [N] but gets [16, 5, 5]" in item.toolTip()
    assert any("Flatten" in p.message for p in win.problems.problems)
    assert summary_row(win, f1)[1] == "error"
    click_item(qtbot, win, item.fix_chip)  # the quick fix on the block itself
    flat = next(n for n, node in s.graph.nodes.items() if node.type == "Flatten")
    assert s.graph.inputs_of(f1) == [flat] and s.graph.inputs_of(flat) == [p2]
    assert item.state is None and item.texts[1] == "[120]"
    assert s.analysis.ok and win.problems.list.count() == 0

    # --- edit a parameter: the badge, downstream shapes and the summary follow ---------------
    click_item(qtbot, win, scene.nodes[c2])
    assert s.selection == [c2] and win.properties.node_id == c2
    assert summary_row(win, c2)[1:5] == ["[16, 10, 10]", "5 /1", "relu", "2,416"]
    type_into(qtbot, editor(win, "out_channels").spin, 20)
    assert scene.nodes[c2].texts[1] == "[20, 10, 10]" and scene.nodes[flat].texts[1] == "[500]"
    assert summary_row(win, c2)[1:5] == ["[20, 10, 10]", "5 /1", "relu", "3,020"]
    bar = win.summary.tabs.tabBar()  # the Explain tab works the numbers out when opened
    explain_tab = next(i for i in range(bar.count()) if bar.tabText(i) == "Explain")
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(explain_tab).center())
    assert "(5·5·6 + 1)·20 = 3,020" in win.summary.explain.toPlainText()
    win.act_undo.trigger()
    assert scene.nodes[c2].texts[1] == "[16, 10, 10]" and summary_row(win, c2)[4] == "2,416"
    assert editor(win, "out_channels").spin.value() == 16
    assert "61,706 parameters" in win.summary.totals.text()  # LeNet-5 on 28×28 with padding 2
    assert win.isWindowModified() and "*" not in win.windowTitle().replace("[*]", "")

    # --- undo back to the empty canvas, then redo everything ---------------------------------
    built = dumps_project(s.project)
    steps = 0
    while win.act_undo.isEnabled():
        qtbot.keyClick(win.canvas, Qt.Key_Z, Qt.ControlModifier)
        steps += 1
        assert steps < 200
    assert not s.graph.nodes and not s.graph.edges and not win.isWindowModified()
    assert win.summary.model.rowCount() == 0 and not scene.nodes and not scene.wires
    for _ in range(steps):
        qtbot.keyClick(win.canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    # the undone out_channels=20 edit is still there to redo
    assert win.act_redo.isEnabled() and "out_channels=20" in win.act_redo.text()
    assert dumps_project(s.project) == built
    assert win.history.list.count() == 1 + steps + 1  # (opened), the steps, the undone edit

    # --- save, close, reopen: the same project --------------------------------------------------
    path = tmp_path / "lenet.cnnproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    qtbot.keyClick(win.canvas, Qt.Key_S, Qt.ControlModifier)
    assert path.exists() and not win.isWindowModified()
    assert s.project.name == "lenet" and "lenet.cnnproj" in win.windowTitle()
    saved = project_to_dict(s.project)
    assert win.close()

    again = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    again.act_open.trigger()
    assert project_to_dict(again.session.project) == saved
    assert again.docs.recent()[0] == str(path.resolve())
    assert again.canvas.graph_scene.nodes[c1].pos().x() == s.graph.nodes[c1].pos[0]
    assert "61,706 parameters" in again.summary.totals.text()
