"""A network of a thousand blocks in the window: an edit touches only the blocks it changed,
an Input-size edit shows at once where the user looks and every other block shows it when
it comes into view (its colour at once), the summary repaints rows instead of resetting, zoomed out the canvas is an
overview of coloured boxes (kept as a picture that an edit brings up to date) that still selects
by click and by rubber band, the minimap shows every block, and the recovery journal is a
snapshot written off the UI thread."""
from __future__ import annotations

import json

from PySide6.QtCore import QPointF, Qt

from cnnstudio.core import Graph, Project
from cnnstudio.core.graph.commands import SetParams
from cnnstudio.gui import recovery
from cnnstudio.gui.theme import ERROR

from .conftest import view_point


def chain(n: int) -> Project:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    for i in range(n):
        x = g.add("Conv2d", x, id=f"c{i}", out_channels=4, kernel_size=3, padding=1)
    g.add("Linear", g.add("Flatten", x), out_features=10)
    return Project("big", g)


def test_edits_on_a_thousand_blocks(qtbot, make_window):
    win = make_window()
    win.session.set_project(Project("big", chain(1000).graph))
    s, scene, view = win.session, win.canvas.graph_scene, win.canvas
    assert scene.nodes["c999"].texts[1] == "[4, 16, 16]"  # read: written first

    # one block's width: that block and the next change, nothing else is touched
    resets = []
    win.summary.model.modelReset.connect(lambda: resets.append(1))
    touched = []
    for nid in ("c500", "c501", "c502"):
        scene.nodes[nid].set_content = (lambda f, nid=nid: lambda *a: touched.append(nid) or f(*a))(
            scene.nodes[nid].set_content)
    s.push(SetParams(s.graph, "c500", {"out_channels": 6}))
    assert sorted(touched) == ["c500", "c501"] and not resets
    assert scene.nodes["c500"].texts[0].startswith("6 @ 3") and scene.nodes["c501"].key[0] == ((6, 16, 16),)
    row = win.summary.model.rows.index("c500")
    assert win.summary.model.index(row, 4).data() == f"{(27 * 0 + 4 * 9 * 6 + 6):,}"

    # the Input's size: blocks in view now, the others when they come into view
    view.resetTransform()
    view.center_on_node("c0")
    qtbot.wait(10)
    s.push(SetParams(s.graph, "input1", {"shape": [3, 20, 20]}))
    assert scene.nodes["c0"]._texts[1] == "[4, 20, 20]" and "c0" not in scene._later
    assert scene.nodes["c999"]._texts[1] == "[4, 16, 16]" and "c999" in scene._later
    view.center_on_node("c999")
    shot = view.grab()  # what the user sees there once it is drawn
    assert "c999" not in scene._later and scene.nodes["c999"]._texts[1] == "[4, 20, 20]"
    assert scene.wires[("c998", "c999")].label == "[4, 20, 20]"
    assert not shot.isNull()

    # zoomed out: the overview draws every block; the blocks stay there to be clicked
    view.fit(animate=False)
    qtbot.wait(10)
    assert scene.overview.active and not scene.nodes["c10"].isVisible()
    item = scene.nodes["c10"]
    centre = item.mapToScene(item.boundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view_point(win, centre))
    assert s.selection == ["c10"]
    img = view.grab().toImage()
    p = view.mapFromScene(centre)
    assert img.pixelColor(p.x(), p.y()) != win.canvas.graph_scene.colors.background
    # the overview is kept as a picture between edits: an edit that breaks a block still shows
    c500 = scene.nodes["c500"].mapToScene(scene.nodes["c500"].boundingRect().center())

    def shown(at):
        p = view.mapFromScene(at)
        return view.grab().toImage().pixelColor(p.x(), p.y())
    accent = shown(c500)
    s.push(SetParams(s.graph, "c500", {"kernel_size": 40}))  # larger than its 20×20 input
    assert shown(c500) == ERROR  # (500 blocks changed: their colours at once, their texts when seen)
    win.act_undo.trigger()
    assert shown(c500) == accent
    # a rubber band from empty canvas around two blocks of one column selects both
    a, b = next((f"c{i}", f"c{i + 1}") for i in range(20, 999)
                if s.graph.nodes[f"c{i}"].pos[0] == s.graph.nodes[f"c{i + 1}"].pos[0])
    band = scene.nodes[a].sceneBoundingRect().united(scene.nodes[b].sceneBoundingRect()).adjusted(-36, -36, 36, 36)
    start, end = view_point(win, band.topLeft()), view_point(win, band.bottomRight())
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), (start + end) / 2)
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=end)
    assert s.selection == [a, b]
    s.select(["c10"])
    view.resetTransform()
    view.center_on_node("c10")
    qtbot.wait(10)
    assert not scene.overview.active and scene.nodes["c10"].isVisible() and scene.nodes["c10"].isSelected()
    # the minimap shows every block, those far out of view too, as the overview draws them
    mini = view.minimap
    mini.refresh()
    img = mini.grab().toImage()
    far = mini.mapFromScene(scene.nodes["c999"].mapToScene(scene.nodes["c999"].boundingRect().center()))
    outside = mini.mapFromScene(scene.overview.bounds().bottomRight() + QPointF(30, 30))
    assert img.pixelColor(far.x(), far.y()) == scene.nodes["c999"].accent
    assert img.pixelColor(outside.x(), outside.y()) == scene.colors.background


def test_journal_is_a_snapshot_written_off_the_ui_thread(tmp_path):
    project = chain(50)
    journal = recovery.Journal(tmp_path)
    failures = []
    journal.write_soon(project, None, failures.append)
    project.graph._set_params("c3", {**project.graph.nodes["c3"].params, "out_channels": 9})  # edited at once
    journal.wait()
    doc = json.loads(journal.path.read_text())
    c3 = next(n for n in doc["project"]["graph"]["nodes"] if n["id"] == "c3")
    assert c3["params"]["out_channels"] == 4 and not failures
    journal.remove()
    assert not journal.path.exists()

    (tmp_path / "blocked").write_text("a file where the folder should be")
    broken = recovery.Journal(tmp_path / "blocked")
    broken.write_soon(project, None, failures.append)
    broken.wait()
    assert failures and not (tmp_path / "blocked").is_dir()
