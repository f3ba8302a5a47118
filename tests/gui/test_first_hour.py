"""The rough edges of a new user's first hour, each driven the way a person meets it."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox, QStyle, QStyleOptionButton

from cnnstudio.core import load_project, save_project
from cnnstudio.gui import recovery

from .conftest import answer_dialogs, click_item, closable

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"
LEFT = Qt.LeftButton


def test_no_offer_to_restore_a_scratch_project_from_a_vanished_temp_folder(qtbot, make_window, config_dir):
    win = make_window()
    gone = Path(tempfile.mkdtemp(prefix="cnnstudio-scratch-"))
    scratch = recovery.Journal(config_dir / "recovery")
    scratch.path = config_dir / "recovery" / "journal-999999998-1.json"
    scratch.write(win.session.project, gone / "scratch.cnnproj")
    shutil.rmtree(gone)  # e.g. a test's temporary folder, long deleted
    untitled = recovery.Journal(config_dir / "recovery")
    untitled.path = config_dir / "recovery" / "journal-999999999-1.json"
    untitled.write(win.session.project, None)  # unsaved work of a real user: still offered
    assert recovery.pending(config_dir / "recovery") == [untitled.path]
    assert not scratch.path.exists()


def test_the_toolbar_keeps_short_undo_labels_and_names_the_step_in_the_tooltip(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    toolbar_undo = next(w for w in win.findChildren(type(win.act_undo.associatedObjects()[-1]))
                        if getattr(w, "defaultAction", lambda: None)() is win.act_undo)
    width = toolbar_undo.width()
    click_item(qtbot, win, win.canvas.graph_scene.nodes["c1"])
    win.properties.editors["out_channels"].spin.setValue(8)
    assert toolbar_undo.text() == "Undo" and toolbar_undo.width() == width
    assert win.act_undo.toolTip() == "Undo Set c1 out_channels=8 (Ctrl+Z)"
    assert win.act_undo.text() == "&Undo Set c1 out_channels=8"  # the Edit menu names it too


def test_the_template_gallery_teaches_in_order_with_thumbnails_and_sizes(qtbot):
    from cnnstudio.gui.gallery import PATH_ROLE, GalleryDialog
    dlg = GalleryDialog()
    qtbot.addWidget(dlg)
    stems = [Path(dlg.list.item(i).data(PATH_ROLE)).stem for i in range(1, dlg.list.count())]
    assert stems[0] == "lenet5" and stems.index("vgg16") < stems.index("resnet18") < stems.index("resnet34")
    lenet = dlg.list.item(1)
    title, line = lenet.text().split("\n")
    assert title.startswith("LeNet-5") and "61.7k parameters" in title and "two conv + pool" in line
    assert not lenet.icon().pixmap(40, 64).isNull()
    a, b = (dlg.list.item(i).icon().pixmap(40, 64).toImage() for i in (1, 3))
    assert a != b  # each network draws its own layers


def test_fix_chips_take_their_problems_colour(qtbot, make_window, tmp_path):
    from cnnstudio.gui.theme import ERROR, WARNING
    path = tmp_path / "lenet.cnnproj"
    project = load_project(SAMPLES / "lenet5.cnnproj")
    project.dataset = {"id": "shapes"}  # the Input does not fit the images: a warning with a fix
    project.graph.nodes["c3"].params["kernel_size"] = 30  # larger than its input: an error with a fix
    save_project(project, path)
    win = make_window()
    win.docs.open_path(path)
    nodes = win.canvas.graph_scene.nodes
    assert nodes["input1"].state == "warning" and nodes["input1"].fix_chip.isVisible()
    assert nodes["input1"].fix_chip.color() == WARNING
    assert nodes["c3"].state == "error" and nodes["c3"].fix_chip.color() == ERROR


def test_the_fix_offered_first_is_the_one_a_person_would_choose(qtbot, make_window, tmp_path):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    s = win.session
    click_item(qtbot, win, win.canvas.graph_scene.nodes["c3"])
    k = win.properties.editors["kernel_size"]
    k.h.setFocus()
    k.h.lineEdit().selectAll()
    qtbot.keyClicks(k.h, "50")
    qtbot.keyClick(k.h, Qt.Key_Return)  # a typo: 50 instead of 5
    assert s.graph.nodes["c3"].params["kernel_size"] == 50 and not s.analysis.ok
    qtbot.mouseClick(win.problems.list.viewport(), LEFT,
                     pos=win.problems.list.visualItemRect(win.problems.list.item(0)).center())
    assert win.problems.fix_button.text() == "Fix: Back to kernel_size 5"
    qtbot.mouseClick(win.problems.fix_button, LEFT)
    assert s.graph.nodes["c3"].params["kernel_size"] == 5 and s.analysis.ok

    # ResNet-18 on MNIST: the images are resized to the network, not the network shrunk
    shutil.copy(SAMPLES / "resnet18.cnnproj", tmp_path / "resnet18.cnnproj")
    answer_dialogs(["Discard"], [])
    win.docs.open_path(tmp_path / "resnet18.cnnproj")
    dock = win.training
    assert dock.fix_button.isHidden()  # no dataset chosen, and none fits a 3×224×224 Input by itself
    dock.form.dataset.setCurrentIndex(dock.form.dataset.findData("mnist5k"))
    assert dock.fix_button.text() == "Resize the images to 224×224 in colour"
    qtbot.mouseClick(dock.fix_button, LEFT)
    assert s.project.dataset == {"id": "mnist5k", "resize": 224, "channels": 3}
    assert s.graph.nodes["input1"].params["shape"] == [3, 224, 224]
    assert dock.form.resize.value() == 224 and "Input" not in dock.check_label.text()


def test_the_input_shape_edits_as_one_step(qtbot, make_window):
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    click_item(qtbot, win, win.canvas.graph_scene.nodes["input1"])
    steps = win.session.stack.index
    for spin, value in zip(win.properties.editors["shape"].spins, ("3", "32", "32")):
        spin.setFocus()
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin, value)
        qtbot.keyClick(spin, Qt.Key_Tab)
    assert win.session.graph.nodes["input1"].params["shape"] == [3, 32, 32]
    assert win.session.stack.index == steps + 1
    win.act_undo.trigger()
    assert win.session.graph.nodes["input1"].params["shape"] == [1, 28, 28]


def test_properties_never_clip_at_1280_by_800(qtbot, make_window):
    win = make_window()
    win.resize(1280, 800)
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    for node in ("input1", "c1", "s2", "f5"):
        click_item(qtbot, win, win.canvas.graph_scene.nodes[node])
        viewport = win.properties.scroll.viewport()
        for name, ed in win.properties.editors.items():
            right = ed.mapTo(viewport, QPoint(ed.width(), 0)).x()
            assert right <= viewport.width() and ed.width() >= ed.minimumSizeHint().width(), (node, name)


def test_train_workspace_fits_1280_by_800_without_scrolling(qtbot, make_window):
    """Seen on a real 1280×800 display: the Train workspace scrolled as a whole, so the run
    table's buttons sat below the window's edge (and Start went out of view once scrolled)."""
    from PySide6.QtWidgets import QPushButton
    win = make_window()
    win.resize(1280, 800)
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    qtbot.keyClick(win, Qt.Key_2, Qt.ControlModifier)
    area = win.training.widget()  # the dock's scroll area
    qtbot.waitUntil(lambda: win.training.arrangement.mode == "setup")  # no run yet: settings above the runs
    viewport = area.viewport()
    buttons = {b.text(): b for b in win.training.findChildren(QPushButton)}

    def all_in_view():  # once the layout has settled
        assert area.verticalScrollBar().maximum() == 0  # nothing below the window's edge
        assert win.training.settings_panel.scroll.verticalScrollBar().maximum() == 0  # every setting in view
        for text in ("Start", "Stop", "Open run folder…"):
            b = buttons[text]
            corners = b.mapTo(viewport, QPoint(0, 0)), b.mapTo(viewport, QPoint(b.width() - 1, b.height() - 1))
            assert all(viewport.rect().contains(c) for c in corners), text

    qtbot.waitUntil(all_in_view)


def test_the_empty_canvas_hint_fits_the_inspect_workspace_canvas(qtbot, make_window):
    """Seen on a real 1280×800 display: after File → New in the Inspect workspace, the empty
    canvas's hint ran off both sides of its narrow column ("here from the Blocks palette — star")."""
    win = make_window()
    win.resize(1280, 800)
    qtbot.keyClick(win, Qt.Key_3, Qt.ControlModifier)
    vp = win.canvas.viewport()
    qtbot.waitUntil(lambda: vp.width() < 500)  # the Inspect workspace's narrow canvas
    assert not win.session.graph.nodes
    img = vp.grab().toImage()
    w, h = img.width(), img.height()
    # the hint's dark text pixels (the grid dots are light), in the band around the middle
    dark = [x for y in range(h // 4, 3 * h // 4, 2) for x in range(w) if QColor(img.pixel(x, y)).lightness() < 150]
    assert dark, "the hint is drawn"
    assert min(dark) >= 4 and max(dark) <= w - 5, (min(dark), max(dark), w)


def test_opening_another_project_shows_its_summary_from_the_top(qtbot, make_window):
    """Seen on a real display: after ResNet-18's summary was scrolled down, opening LeNet-5 showed its
    summary scrolled to the middle (c3 half cut off), its Input and c1 out of view."""
    win = make_window()
    win.resize(1280, 800)
    win.docs.open_path(SAMPLES / "resnet18.cnnproj")
    bar = win.summary.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())  # the user scrolled down to the head
    assert win.summary.table.rowAt(0) > 0
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    qtbot.waitUntil(lambda: win.summary.table.rowAt(0) == 0)  # the first row (input1) at the top


def test_a_floating_panel_never_comes_back_off_screen(qtbot, make_window):
    win = make_window()
    win.summary.setFloating(True)
    win.summary.move(-5000, -5000)  # its screen was unplugged
    win.summary.toggleViewAction().trigger()  # View → Summary: closed...
    assert win.summary.isHidden()
    win.summary.toggleViewAction().trigger()  # ...and opened again: back in the window, in view
    assert win.summary.isVisible() and not win.summary.isFloating()
    win.summary.setFloating(True)
    win.summary.move(-5000, -5000)
    win.close()
    again = make_window()  # the next start never restores it out of sight either
    g = again.summary.frameGeometry()
    assert again.summary.isVisible() and (not again.summary.isFloating() or g.intersects(again.screen().availableGeometry()))


def test_dark_theme_check_boxes_are_visible(qtbot, monkeypatch):
    from cnnstudio.gui import theme
    monkeypatch.setenv("CNNSTUDIO_THEME", "dark")
    app = QApplication.instance()
    theme.apply(app)
    try:
        box = QCheckBox("flip")
        qtbot.addWidget(box)
        box.show()
        img = box.grab().toImage()
        opt = QStyleOptionButton()
        box.initStyleOption(opt)
        r = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, opt, box)
        background = QColor(box.palette().window().color()).lightness()
        frame = max(abs(img.pixelColor(x, r.center().y()).lightness() - background) for x in range(r.left(), r.right() + 1))
        assert frame > 60  # the empty box's frame stands out from the window
    finally:
        monkeypatch.setenv("CNNSTUDIO_THEME", "light")
        theme.apply(app)


def test_a_download_failure_keeps_its_whole_cause():
    from cnnstudio.core.data.vision import _offline_message
    cause = OSError("[Errno -3] Temporary failure in name resolution while fetching " + "x" * 300)
    try:
        try:
            raise cause
        except OSError as e:
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz") from e
    except RuntimeError as e:
        text = _offline_message("mnist", Path("/data"), e)
    assert "RuntimeError: Error downloading train-images-idx3-ubyte.gz" in text
    assert "caused by OSError: [Errno -3] Temporary failure in name resolution" in text and "x" * 300 in text


def test_the_first_window_fits_a_1400_by_900_screen_and_train_shows_its_table_whole(
        qtbot, config_dir, monkeypatch, tmp_path):
    from PySide6.QtCore import QRect, QSettings
    from PySide6.QtGui import QScreen
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui import theme
    theme.apply(QApplication.instance())
    free = QRect(0, 0, 1400, 868)  # a 1400×900 screen with a 32 px panel
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: free)
    win = MainWindow(settings=QSettings(str(config_dir / "first.ini"), QSettings.IniFormat))
    qtbot.addWidget(win, before_close_func=closable)
    win.show()
    qtbot.waitExposed(win)
    # the window and its frame (title bar, borders) fit: no panel starts cut off
    assert win.width() <= free.width() - 16 and win.height() <= free.height() - 48
    assert free.contains(win.geometry())

    project = tmp_path / "p.cnnproj"
    shutil.copy(SAMPLES / "lenet5.cnnproj", project)
    win.docs.open_path(project)
    bar = win.workspaces.bar
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(1).center())  # the Train workspace
    dock = win.training
    stop = dock.stop_button
    assert stop.mapTo(win, QPoint(stop.width(), 0)).x() <= win.width()  # Stop in view
    table = dock.runs.experiments
    qtbot.waitUntil(lambda: table.horizontalHeader().length() <= table.viewport().width())  # every column whole
    combo = dock.runs.history
    assert combo.width() >= combo.minimumSizeHint().width()
