"""Blocks of the user's own, driven as a person would: select blocks with ctrl-click or a rubber
band, right-click → Make block, fill in the dialog; the block is wired in place with the same
totals and undoes in one step; edit inside it; save and reopen; find it under My blocks in a
new project and drop it; repeat ×N changes the parameter count exactly as N copies would."""
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QToolButton

from cnnstudio.core import Graph, analyze
from cnnstudio.core.analysis.explain import explain
from cnnstudio.core.project import Project, load_project, save_project

from .conftest import click_item, drop_mime, view_point

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def params_total(graph) -> int:
    return analyze(graph).total("params")


def right_click(qtbot, win, item, choose: str) -> None:
    """Right-click `item` on the canvas and click the menu entry that starts with `choose`."""
    vp = win.canvas.viewport()
    pos = view_point(win, item.mapToScene(item.boundingRect().center()))
    picked = []

    def pick():
        menu = QApplication.activePopupWidget()
        action = next(a for a in menu.actions() if a.text().startswith(choose))
        picked.append(action.text())
        qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(action).center())

    QTimer.singleShot(0, pick)
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Mouse, pos, vp.mapToGlobal(pos)))
    assert picked, "the menu did not open"


def fill_dialog(qtbot, win, name: str, expose=(), repeat=None):
    dlg = win.make_block_dialog
    assert dlg.isVisible()
    dlg.name.selectAll()
    qtbot.keyClicks(dlg.name, name)
    table = dlg.table
    for key, new_name in expose:  # click the row's box, double-click its name and type the new one
        row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == key)
        rect = table.visualItemRect(table.item(row, 0))
        qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))
        assert table.item(row, 0).checkState() == Qt.Checked
        if new_name:
            qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
            editor = table.viewport().findChild(QLineEdit)
            assert editor is not None, "double-clicking the name edits it"
            editor.selectAll()
            qtbot.keyClicks(editor, new_name)
            qtbot.keyClick(editor, Qt.Key_Return)
            qtbot.waitUntil(lambda: table.item(row, 0).text() == new_name)  # (the table takes it after the key)
            assert dlg.isVisible()  # Enter ends the edit, not the dialog
    if repeat is not None:
        dlg.repeat.setValue(repeat)
    ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert not dlg.isVisible()


def test_make_block_edit_inside_save_reopen_and_reuse(qtbot, make_window, tmp_path):
    win = make_window()
    s, view = win.session, win.canvas
    assert win.docs.open_path(str(SAMPLES / "lenet5.cnnproj"))
    view.fit(animate=False)
    scene = view.graph_scene
    before_edges = list(s.graph.edges)
    before = params_total(s.graph), win.summary.totals.text().split("·", 1)[1]

    # ctrl-click two blocks, right-click one → Make block
    click_item(qtbot, win, scene.nodes["c1"])
    click_item(qtbot, win, scene.nodes["s2"], modifier=Qt.ControlModifier)
    assert s.selection == ["c1", "s2"]
    right_click(qtbot, win, scene.nodes["s2"], "Make block from 2 selected")
    fill_dialog(qtbot, win, "ConvPool", expose=[("out_channels", "channels")])
    block = s.selection[0]
    node = s.graph.nodes[block]
    assert node.type == "Custom" and node.params["name"] == "ConvPool"
    assert node.params["expose"] == {"channels": [["c1", "out_channels"]]} and node.params["values"] == {"channels": 6}
    assert "c1" not in s.graph.nodes and "s2" not in s.graph.nodes
    assert s.graph.inputs_of(block) == ["input1"] and s.graph.outputs_of(block) == ["c3"]
    assert scene.nodes[block].title == "ConvPool"
    assert ("input1", block) in scene.wires and (block, "c3") in scene.wires and "c1" not in scene.nodes
    here = scene.nodes[block].sceneBoundingRect()  # where c1 was, on top of no other block
    assert not any(here.intersects(item.sceneBoundingRect()) for nid, item in scene.nodes.items() if nid != block)
    # the summary's totals are the same: 1 block less, same parameters and MACs
    assert (params_total(s.graph), win.summary.totals.text().split("·", 1)[1]) == before
    assert win.summary.totals.text().startswith(f"{len(s.graph.nodes)} blocks")

    # one undo step brings the original blocks back, wired as they were
    win.act_undo.trigger()
    assert "c1" in s.graph.nodes and block not in s.graph.nodes and list(s.graph.edges) == before_edges
    win.act_redo.trigger()
    assert block in s.graph.nodes

    # the exposed parameter is edited in the properties like any other
    s.select([block])
    channels = win.properties.editors["channels"]
    channels.set_value(16)
    channels.changed.emit()
    assert s.graph.nodes[block].params["values"] == {"channels": 16}
    reference = load_project(SAMPLES / "lenet5.cnnproj")  # the same change, written flat
    reference.graph.nodes["c1"].params = {**reference.graph.nodes["c1"].params, "out_channels": 16}
    assert params_total(s.graph) == params_total(reference.graph)

    # edit inside: the inner graph on the canvas, a breadcrumb, edits undoable, outer checks follow
    qtbot.mouseClick(win.properties.widget().findChild(QPushButton, "edit_inside"), Qt.LeftButton)
    qtbot.waitUntil(lambda: s.scope is not None)
    assert s.scope is not None and sorted(s.graph.nodes) == ["c1", "input1", "s2"]
    assert win.breadcrumb.isVisible()
    assert [w.text() for w in win.breadcrumb.findChildren(QToolButton)][:2] == ["‹ Back", "Network"]
    assert set(scene.nodes) == {"c1", "input1", "s2"}
    assert s.graph.nodes["c1"].params["out_channels"] == 16 and s.graph.nodes["input1"].params["shape"] == [1, 28, 28]
    click_item(qtbot, win, scene.nodes["c1"])
    # the form says which of c1's parameters is the block's own (set from outside), and that the
    # inner Input's shape is whatever feeds the block
    click_item(qtbot, win, scene.nodes["input1"])
    assert not win.properties.editors["shape"].isEnabled()
    assert "= what feeds ConvPool" in win.properties.widget().findChild(QLabel, "label_shape").text()
    click_item(qtbot, win, scene.nodes["c1"])
    assert "= ConvPool's channels" in win.properties.widget().findChild(QLabel, "label_out_channels").text()
    assert "ConvPool" not in win.properties.widget().findChild(QLabel, "label_kernel_size").text()
    k = win.properties.editors["kernel_size"]
    k.set_value(33)
    k.changed.emit()
    inner_error = s.analysis.problems_for("c1")[0].message
    assert "kernel 33×33 is larger" in inner_error
    outer = s.top_analysis.problems_for(block)[0].message
    assert outer.startswith(f"{block}: ConvPool: c1 (Conv2d): kernel 33×33 is larger")
    assert "Inside ConvPool" in win.act_undo.text()
    assert "the network has 1 error(s)" in win.breadcrumb.findChild(QLabel, "scope_outer").text()
    k.set_value(3)
    k.changed.emit()
    assert s.top_analysis.ok and s.top_analysis.info[block].shape == (16, 15, 15)  # (28 + 2·2 − 3)/1 + 1 = 30, pooled
    win.act_undo.trigger()  # undo inside: the inner graph follows
    assert s.graph.nodes["c1"].params["kernel_size"] == 33 and not s.top_analysis.ok
    win.act_undo.trigger()
    assert s.graph.nodes["c1"].params["kernel_size"] == 5 and s.top_analysis.ok
    qtbot.mouseClick(win.breadcrumb.findChild(QToolButton, "scope_level_0"), Qt.LeftButton)
    assert s.scope is None and block in scene.nodes and not win.breadcrumb.isVisible()
    assert set(scene.nodes) == set(s.graph.nodes) and set(scene.wires) == set(s.graph.edges)  # the whole network

    # save, reopen: the block and the project's block list are there
    path = tmp_path / "with_block.cnnproj"
    assert win.docs.save_as(path)
    assert win.docs.open_path(str(path))
    assert s.graph.nodes[block].params["values"] == {"channels": 16}
    assert [b["name"] for b in s.project.blocks] == ["ConvPool"]

    # a new project: My blocks offers it (from the user library); dropping it works
    assert win.docs.new_empty()
    assert win.palette.user_blocks() == ["ConvPool"]
    item = win.palette.user_folder.child(0)
    drop_mime(view.viewport(), win.palette.tree.mimeData([item]), view.viewport().rect().center())
    (dropped,) = s.graph.nodes.values()
    assert dropped.type == "Custom" and dropped.params["name"] == "ConvPool"

    # My blocks' right-click menu removes it from the library
    tree = win.palette.tree
    menu = win.palette.user_block_menu(tree.visualItemRect(win.palette.user_folder.child(0)).center())
    menu_action = next(a for a in menu.actions() if a.text() == "Remove ConvPool from my blocks")
    menu_action.trigger()
    assert win.palette.user_blocks() == []
    assert win.palette.user_folder.child(0).text(0) == "Select blocks, Ctrl+G"


def chain_project(tmp_path) -> Path:
    g = Graph()
    x = g.add("Input", id="input", shape=[3, 32, 32])
    c = g.add("Conv2d", x, id="conv", out_channels=8, kernel_size=3, padding=1, activation="relu")
    p = g.add("MaxPool2d", c, id="pool", kernel_size=2)
    g.add("Linear", g.add("Flatten", p, id="flat"), id="fc", out_features=10)
    path = tmp_path / "chain.cnnproj"
    save_project(Project("chain", g), path)
    return path


def flat(n: int, m: int) -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    for _ in range(m):
        for _ in range(n):
            x = g.add("Conv2d", x, out_channels=8, kernel_size=3, padding=1, activation="relu")
        x = g.add("MaxPool2d", x, kernel_size=2)
    g.add("Linear", g.add("Flatten", x), out_features=10)
    return g


def test_repeat_blocks_nest_and_count_like_their_copies(qtbot, make_window, tmp_path):
    win = make_window()
    s, view = win.session, win.canvas
    assert win.docs.open_path(str(chain_project(tmp_path)))
    view.fit(animate=False)
    scene = view.graph_scene

    # a selection with the Input is refused, saying why
    click_item(qtbot, win, scene.nodes["input"])
    click_item(qtbot, win, scene.nodes["conv"], modifier=Qt.ControlModifier)
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    assert "holds the Input" in win.statusBar().currentMessage()
    assert "conv" in s.graph.nodes

    # conv → Ctrl+G → ConvRelu; its repeat set to 3 in the properties
    click_item(qtbot, win, scene.nodes["conv"])
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    fill_dialog(qtbot, win, "ConvRelu")
    convs = s.selection[0]
    repeat = win.properties.editors["repeat"]
    repeat.set_value(3)
    repeat.changed.emit()
    assert params_total(s.graph) == params_total(flat(3, 1))

    # a rubber band around ConvRelu ×3 and the pool → Make block "Stage", repeated twice
    s.select([])  # with nothing selected the properties dock settles before the drag is aimed
    QApplication.processEvents()
    view.fit(animate=False)
    assert not view.minimap.isVisible()  # the whole network in view: nothing over the canvas
    r = scene.nodes[convs].sceneBoundingRect().united(scene.nodes["pool"].sceneBoundingRect())
    a = view_point(win, r.bottomRight() + QPointF(15, 15))
    b = view_point(win, r.topLeft() - QPointF(15, 15))
    a, b = b, a  # from the top left: the wire below the pool carries its shape label on the right
    assert scene.itemAt(view.mapToScene(a), view.transform()) is None
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=a)
    qtbot.mouseMove(view.viewport(), (a + b) / 2)
    qtbot.mouseMove(view.viewport(), b)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=b)
    assert sorted(s.selection) == sorted([convs, "pool"])
    win.act_make_block.trigger()
    fill_dialog(qtbot, win, "Stage", expose=[("repeat", "n")], repeat=2)
    stage = s.selection[0]
    assert params_total(s.graph) == params_total(flat(3, 2))
    assert s.analysis.info[stage].shape == (8, 8, 8)
    # N of the inner repeat is the outer block's own parameter now
    n = win.properties.editors["n"]
    n.set_value(2)
    n.changed.emit()
    assert params_total(s.graph) == params_total(flat(2, 2))
    # a value that breaks the block is offered back, by its own name
    r = win.properties.editors["repeat"]
    r.set_value(6)  # six 2×2 pools take 32×32 to nothing
    r.changed.emit()
    problem = s.analysis.problems_for(stage)[0]
    assert problem.message.startswith(f"{stage}: Stage ×6, repeat 6: pool (MaxPool2d)")
    assert problem.fix.label == "Back to repeat 2"
    s.apply_fix(problem)
    assert params_total(s.graph) == params_total(flat(2, 2))
    # Explain sees through both levels
    lines = explain(s.graph, s.analysis, stage)
    assert lines[0] == f"Stage ×2 {stage}: [3, 32, 32] → [8, 8, 8]"  # named as the summary names it
    assert "your block Stage: 2 layer(s), repeated 2 times (each copy with its own weights)" in lines
    assert f"    {convs} (ConvRelu ×2) → [8, 32, 32], 808 params" in lines  # (3·3·3 + 1)·8 + (3·3·8 + 1)·8 = 224 + 584

    # double-click the block: its inside; deleting the inner Input is an error on the block, and
    # the project still saves and opens with it
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton,
                      pos=view_point(win, scene.nodes[stage].mapToScene(scene.nodes[stage].boundingRect().center())))
    qtbot.waitUntil(lambda: s.scope is not None)
    assert sorted(s.graph.nodes) == sorted(["input1", convs, "pool"])
    # and one level deeper: the breadcrumb shows the whole path, every part readable and clickable
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton,
                      pos=view_point(win, scene.nodes[convs].mapToScene(scene.nodes[convs].boundingRect().center())))
    qtbot.waitUntil(lambda: len(s.scope.path) == 2)
    crumb = win.breadcrumb
    parts = [crumb.lay.itemAt(i).widget() for i in range(crumb.lay.count())]
    assert [w.text() for w in parts][:5] == ["‹ Back", "Network", "›", "Stage ×2", "›"]
    assert crumb.findChild(QLabel, "scope_here").text() == "<b>ConvRelu ×2</b>"
    assert all(crumb.rect().contains(w.geometry()) and w.width() > 4 for w in parts)  # none cut off
    qtbot.mouseClick(crumb.findChild(QToolButton, "scope_level_1"), Qt.LeftButton)
    assert s.scope.path == [stage] and sorted(s.graph.nodes) == sorted(["input1", convs, "pool"])
    click_item(qtbot, win, scene.nodes["input1"])
    qtbot.keyClick(view, Qt.Key_Delete)
    assert "input1" not in s.graph.nodes
    assert "no Input" in s.top_analysis.problems_for(stage)[0].message
    path = tmp_path / "broken_inside.cnnproj"
    assert win.docs.save_as(path) and win.docs.open_path(str(path))  # (opened from inside the block)
    assert s.scope is None and not win.breadcrumb.isVisible()
    assert "no Input" in s.analysis.problems_for(stage)[0].message


def answer_dialog(qtbot, typed: str) -> list:
    """Type `typed` into the modal dialog that is about to open, and press Enter."""
    asked = []

    def answer():
        dlg = QApplication.activeModalWidget()
        edit = dlg.findChild(QLineEdit)
        asked.append(edit.text())
        edit.selectAll()
        qtbot.keyClicks(edit, typed)
        qtbot.keyClick(edit, Qt.Key_Return)
    QTimer.singleShot(0, answer)
    return asked


def test_renaming_an_inner_block_keeps_the_parameter_the_block_exposes(qtbot, make_window, tmp_path):
    win = make_window()
    s, view = win.session, win.canvas
    assert win.docs.open_path(str(chain_project(tmp_path)))
    view.fit(animate=False)
    scene = view.graph_scene
    click_item(qtbot, win, scene.nodes["conv"])
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    fill_dialog(qtbot, win, "ConvRelu", expose=[("out_channels", "width")])
    block = s.selection[0]
    win.activateWindow()  # (a window manager gives it back the keyboard when the dialog closes)
    qtbot.waitUntil(win.isActiveWindow)
    # a copy pasted beside it is named for the block, and its problems call it by its name
    qtbot.keyClick(view, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(view, Qt.Key_V, Qt.ControlModifier)
    (copy,) = s.selection
    assert copy == "convrelu2" and s.graph.nodes[copy].params == s.graph.nodes[block].params
    assert s.analysis.problems_for(copy)[0].message.startswith("convrelu2 (ConvRelu) is not connected")
    win.act_undo.trigger()
    s.select([block])
    qtbot.keyClick(win, Qt.Key_E, Qt.ControlModifier)
    assert s.scope is not None
    click_item(qtbot, win, scene.nodes["conv"])
    asked = answer_dialog(qtbot, "c1")
    qtbot.keyClick(win, Qt.Key_F2)
    assert asked == ["conv"] and sorted(s.graph.nodes) == ["c1", "input1"]
    assert s.project.graph.nodes[block].params["expose"] == {"width": [["c1", "out_channels"]]}
    qtbot.mouseClick(win.breadcrumb.findChild(QToolButton, "scope_back"), Qt.LeftButton)
    assert s.scope is None
    s.select([block])
    width = win.properties.editors["width"]  # still the block's own, and still sets the conv
    width.set_value(12)
    width.changed.emit()
    assert s.analysis.info[block].shape == (12, 32, 32)
    win.act_undo.trigger()
    win.act_undo.trigger()  # the rename undone: the old name, still exposed
    assert s.graph.nodes[block].params["expose"] == {"width": [["conv", "out_channels"]]}
    click_item(qtbot, win, scene.nodes[block])
    win.act_edit_inside.trigger()  # (Edit → Edit inside block) inside again, then undo Make block itself
    assert s.scope is not None
    win.act_undo.trigger()
    assert s.scope is None and not win.breadcrumb.isVisible()
    assert set(scene.nodes) == set(s.graph.nodes) == {"input", "conv", "pool", "flat", "fc"}
    assert set(scene.wires) == set(s.graph.edges)


def test_make_block_offers_a_free_name_and_says_when_one_would_replace_a_kept_block(qtbot, make_window, tmp_path):
    win = make_window()
    s, view = win.session, win.canvas
    assert win.docs.open_path(str(chain_project(tmp_path)))
    view.fit(animate=False)
    scene = view.graph_scene
    click_item(qtbot, win, scene.nodes["conv"])
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    assert win.make_block_dialog.name.text() == "ConvRelu"
    fill_dialog(qtbot, win, "ConvRelu")
    win.act_undo.trigger()  # the layers back; ConvRelu stays in my blocks
    click_item(qtbot, win, scene.nodes["conv"])
    win.act_make_block.trigger()
    dlg = win.make_block_dialog
    warning = dlg.findChild(QLabel, "block_replaces")
    assert dlg.name.text() == "ConvRelu2" and not warning.isVisible()  # never the kept block's name by default
    dlg.name.selectAll()
    qtbot.keyClicks(dlg.name, "ConvRelu")
    assert warning.isVisible() and "already has a block named ConvRelu" in warning.text()
    assert dlg.ok.text() == "Make block, replace ConvRelu"
    qtbot.mouseClick(dlg.keep, Qt.LeftButton)  # not saved in my blocks: nothing is replaced
    assert not warning.isVisible() and dlg.ok.text() == "Make block"
    qtbot.mouseClick(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Cancel), Qt.LeftButton)
    assert "conv" in s.graph.nodes
    win.act_redo.trigger()  # the block back; right-click → Save in my blocks says what it did
    (block,) = [n for n, node in s.graph.nodes.items() if node.type == "Custom"]
    right_click(qtbot, win, scene.nodes[block], "Save in my blocks")
    assert win.statusBar().currentMessage().startswith(
        "Saved ConvRelu in my blocks (in place of the one kept there before)")


def test_grouping_layers_inside_a_block_keeps_the_parameters_the_block_sets(qtbot, make_window, tmp_path):
    win = make_window()
    s, view = win.session, win.canvas
    assert win.docs.open_path(str(chain_project(tmp_path)))
    view.fit(animate=False)
    scene = view.graph_scene
    click_item(qtbot, win, scene.nodes["conv"])
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    fill_dialog(qtbot, win, "Outer", expose=[("out_channels", "width")])
    outer = s.selection[0]
    win.act_edit_inside.trigger()
    click_item(qtbot, win, scene.nodes["conv"])  # inside: conv → its own block, nothing ticked
    win.act_make_block.trigger()
    fill_dialog(qtbot, win, "Inner")
    inner = s.selection[0]
    params = s.project.graph.nodes[outer].params
    assert params["expose"] == {"width": [[inner, "width"]]}  # the enclosing block still sets it, through Inner
    assert s.graph.nodes[inner].params["expose"] == {"width": [["conv", "out_channels"]]}
    qtbot.mouseClick(win.breadcrumb.findChild(QToolButton, "scope_back"), Qt.LeftButton)
    s.select([outer])
    width = win.properties.editors["width"]
    width.set_value(12)
    width.changed.emit()
    assert s.analysis.info[outer].shape == (12, 32, 32)
