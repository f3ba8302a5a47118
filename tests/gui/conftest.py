"""Helpers for driving the editor window the way a person does (offscreen)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    d = tmp_path / "config"
    monkeypatch.setenv("CNNSTUDIO_CONFIG_DIR", str(d))
    return d


@pytest.fixture
def make_window(qtbot, config_dir):
    """Factory for main windows sharing one config folder (settings, recovery journals)."""
    from cnnstudio.gui import theme
    from cnnstudio.gui.main_window import MainWindow
    theme.apply(QApplication.instance())

    def make(show=True):
        win = MainWindow(settings=QSettings(str(config_dir / "cnnstudio.ini"), QSettings.IniFormat))
        qtbot.addWidget(win, before_close_func=closable)
        win.resize(1400, 900)
        if show:
            win.show()
            qtbot.waitExposed(win)
            win.activateWindow()
            qtbot.waitUntil(win.isActiveWindow, timeout=2000)
        return win

    return make


def closable(win) -> None:
    """Teardown never waits on a question (unsaved changes, a run still training: after a test
    failed mid-run that modal question hung the whole suite)."""
    win.docs.ask_save = lambda: True
    win.training.shutdown()


def show_themed(qtbot, dialog):
    """A dialog as the app shows it: the app's theme applied, shown and exposed."""
    from cnnstudio.gui import theme
    theme.apply(QApplication.instance())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def drop_mime(widget, mime, pos: QPoint) -> None:
    """What a drag and drop delivers to `widget`: enter, move, drop."""
    enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDragMoveEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    QApplication.sendEvent(widget, QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


def drop_block(win, type_: str, view_pos) -> str:
    """Drag `type_` from the palette and drop it on the canvas at `view_pos` (viewport pixels)."""
    palette = win.palette
    mime = palette.tree.mimeData([palette.items[type_]])
    vp = win.canvas.viewport()
    pos = QPoint(*view_pos)
    before = set(win.session.graph.nodes)
    drop_mime(vp, mime, pos)
    added = set(win.session.graph.nodes) - before
    assert len(added) == 1, added
    return added.pop()


def view_point(win, scene_point) -> QPoint:
    return win.canvas.mapFromScene(scene_point)


def drag_wire(qtbot, win, source: str, target: str) -> None:
    """Press on `source`'s output port, drag, release on `target`'s input port."""
    scene = win.canvas.graph_scene
    a = view_point(win, scene.nodes[source].out_port.scene_center())
    b = view_point(win, scene.nodes[target].in_port.scene_center())
    vp = win.canvas.viewport()
    assert vp.rect().contains(a) and vp.rect().contains(b), "both ports must be on screen"
    qtbot.mousePress(vp, Qt.LeftButton, pos=a)
    qtbot.mouseMove(vp, (a + b) / 2)
    qtbot.mouseMove(vp, b)
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=b)


def click_item(qtbot, win, item, button=Qt.LeftButton, modifier=Qt.NoModifier) -> None:
    p = view_point(win, item.mapToScene(item.boundingRect().center()))
    qtbot.mouseClick(win.canvas.viewport(), button, modifier, pos=p)


def answer_dialogs(answers: list[str], seen: list[str]) -> None:
    """Answer the next modal message boxes, in order, by button text; record their text."""
    def handle():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, handle)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        want = answers.pop(0)
        for b in box.buttons():
            if b.text().replace("&", "") == want:
                b.click()
                break
        else:
            raise AssertionError(f"no button {want!r} in {[b.text() for b in box.buttons()]}")
        if answers:
            QTimer.singleShot(0, handle)
    QTimer.singleShot(0, handle)


def pytest_collection_modifyitems(config, items):
    # QDragEnterEvent's QPoint constructor is the one PySide6 offers; its deprecation is noise
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
