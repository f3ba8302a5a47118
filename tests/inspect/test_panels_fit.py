"""The Inspect workspace at 1280×800 as a new user sees it: nothing cut (toolbars wrap, a whole
prediction card), one message while the first run loads, the Filters captions follow the
layer, and the epoch timeline keeps nothing of the last run after another project opens."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QToolButton

from cnnstudio.gui.inspect.gallery import CELL_W

from ..gui.conftest import closable
from .test_panels import LOAD_MS, settle


def whole(widget, panel) -> bool:
    """`widget` lies inside `panel` from its left to its right edge (not cut off)."""
    left = widget.mapTo(panel, QPoint(0, 0)).x()
    return left >= 0 and left + widget.width() <= panel.width()


def test_inspect_workspace_at_1280x800(qtbot, small_run, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNSTUDIO_CONFIG_DIR", str(tmp_path))
    from cnnstudio.gui import theme
    from cnnstudio.gui.main_window import MainWindow
    from PySide6.QtWidgets import QApplication
    theme.apply(QApplication.instance())
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(win, before_close_func=closable)
    win.resize(1280, 770)
    win.show()
    import shutil
    long_name = tmp_path / "20261206-224233-Multi-label-shapes-sigmoid-head-long-name"  # a run name as long as a sample's
    shutil.copytree(small_run, long_name)
    small_run = long_name
    win.docs.open_path(small_run / "project.cnnproj")
    win.workspaces.switch("inspect")
    docks = {d.objectName().split(".")[1]: d for d in win.hosted[1:]}
    panels = {name: d.widget().widget() for name, d in docks.items()}  # each in the window's scroll area
    state = panels["features"].state
    win.session.set_run(small_run)
    # while the first run loads, the panels say so once: not "No run shown" beside "Loading …"
    assert "loading" in panels["features"].source.text() and "No run" not in panels["features"].source.text()
    qtbot.waitUntil(lambda: state.inspection is not None, timeout=LOAD_MS)
    settle(qtbot, state)

    predictions, features = panels["predictions"], panels["features"]
    for name in ("predictions", "features"):  # the panel as wide as its dock, every control whole in it
        panel, area = panels[name], docks[name].widget()
        qtbot.waitUntil(lambda: area.horizontalScrollBar().maximum() == 0, timeout=3000)
        shown = [panel.controls.itemAt(i).widget() for i in range(panel.controls.count())]
        assert all(whole(w, panel) for w in shown if w.isVisible()), [w.text() for w in shown if hasattr(w, "text")]
    assert predictions.gallery.width() >= CELL_W  # a whole card: "#75 true: square" and its "100%"
    area = docks["predictions"].widget()  # nothing scrolled out of sight: the status line (the test figures) shows
    assert area.horizontalScrollBar().maximum() == 0 and area.verticalScrollBar().maximum() == 0
    assert predictions.status.mapTo(predictions, QPoint(0, 0)).y() + predictions.status.height() <= predictions.height()
    for w in (predictions.detail.cam_box, predictions.detail.cam_class, predictions.detail.cam_layer):
        assert whole(w, predictions)
    zoom = [b for b in features.findChildren(QToolButton) if b.text() in ("−", "Fit", "+")]
    assert len(zoom) == 3 and len({b.mapTo(features, QPoint(0, 0)).y() for b in zoom}) == 1  # "+" never wraps alone

    # Filters: another layer's captions replace the last one's at once
    filters = panels["filters"]
    docks["filters"].raise_()
    qtbot.waitUntil(lambda: filters.caption.text().startswith("c1"), timeout=LOAD_MS)
    # its long caption wraps: the panel stays as wide as its dock (the layer box and zoom buttons in view)
    qtbot.waitUntil(lambda: filters.caption.text().startswith("c1: "), timeout=LOAD_MS)
    assert filters.minimumSizeHint().width() <= docks["filters"].widget().viewport().width()
    filters.unit_caption.setText("c1 channel 2: the 9 test patches …")  # as after a click on a c1 filter
    filters.layer.setCurrentIndex(filters.layer.findText("c3"))
    assert "c3" in filters.caption.text() and "c1" not in filters.caption.text()
    assert not filters.unit_caption.text().startswith("c1")
    qtbot.waitUntil(lambda: filters.caption.text().startswith("c3: "), timeout=LOAD_MS)

    # another project opens: the timeline keeps nothing of this run
    timeline = panels["timeline"]
    docks["timeline"].raise_()
    qtbot.waitUntil(lambda: timeline.epoch_label.text().startswith("epoch"), timeout=LOAD_MS)
    win.docs.new_empty()
    qtbot.waitUntil(lambda: state.run_dir is None and timeline.frame is None, timeout=LOAD_MS)
    assert timeline.epoch_label.text() == "" and timeline.layer.count() == 0
