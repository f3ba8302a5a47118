"""The Train workspace read at 1400×900 and 1280×800 with runs on disk: the "show" box names
the run shown in full, every run-table column is read without scrolling sideways, choosing the
weights to start from moves nothing, and no empty progress bars before a run is started."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

from cnnstudio.core import save_project

from ..train.conftest import small_project
from .test_train_workspace import SIZE_1280x800, fake_run, train_window

SIZES = pytest.mark.parametrize("size", [(1400, 900), SIZE_1280x800], ids=["1400x900", "1280x800"])


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(), path)
    return path


@SIZES
def test_the_show_box_names_the_run_shown(make_window, qtbot, tmp_path, size):
    """A project named unlike its file (LeNet-5 (MNIST) in lenet.cnnproj): the box showed
    "…Net-5-MNIST — finished, …" for every run, its date and time cut away."""
    project = tmp_path / "lenet.cnnproj"
    p = small_project()
    p.name = "LeNet-5 (MNIST)"
    save_project(p, project)
    fake_run(project.parent / "lenet.runs", "20261206-100000-LeNet-5-MNIST--trial0", project, trial=0)
    run = fake_run(project.parent / "lenet.runs", "20261206-110000-LeNet-5-MNIST", project, epochs=12)
    win = train_window(make_window, project, size)
    combo = win.training.runs.history
    assert combo.currentData() == str(run)

    def readable():  # what the closed box paints, in the room it paints it in
        opt = QStyleOptionComboBox()
        combo.initStyleOption(opt)
        field = combo.style().subControlRect(QStyle.CC_ComboBox, opt, QStyle.SC_ComboBoxEditField, combo)
        assert combo.fontMetrics().horizontalAdvance(opt.currentText) <= field.width(), opt.currentText
        assert "1206-110000" in opt.currentText, opt.currentText  # its day and time, whatever the width
        assert opt.currentText.endswith(" — finished, 12 epochs, best 90.0%"), opt.currentText
    qtbot.waitUntil(readable, timeout=20000)  # the dock's width settles later on a loaded machine
    assert combo.toolTip() == combo.currentText() == f"{run.name} — finished, 12 epoch(s), best validation accuracy 90.0%"
    combo.showPopup()  # the list has the whole line
    qtbot.waitUntil(lambda: combo.view().isVisible(), timeout=10000)
    assert combo.view().width() >= combo.view().fontMetrics().horizontalAdvance(combo.currentText())
    combo.hidePopup()
    combo.setCurrentIndex(combo.findData(str(project.parent / "lenet.runs" / "20261206-100000-LeNet-5-MNIST--trial0")))
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    assert opt.currentText.startswith("20261206-100000 trial0 — finished"), opt.currentText  # a sweep's trial


def test_a_project_named_by_a_number_keeps_its_runs_times_whole(qtbot, tmp_path):
    from cnnstudio.gui.training.runs_box import SHORT_ROLE, RunCombo
    from cnnstudio.core.train.runs import load_run
    project = tmp_path / "p.cnnproj"
    p = small_project()
    p.name = "12"
    save_project(p, project)
    combo = RunCombo()
    qtbot.addWidget(combo)
    combo.add_run(load_run(fake_run(tmp_path / "p.runs", "20261207-123456-12", project)))
    assert combo.itemData(0, SHORT_ROLE)[0] == "20261207-123456"  # not 202612073456-12


@SIZES
def test_every_run_table_column_is_read_without_scrolling_sideways(make_window, qtbot, project, size):
    for i in range(8):  # more runs than the table has rows: its vertical scroll bar shows
        fake_run(project.parent / "tiny.runs", f"20261206-1{i}0000-tiny", project)
    win = train_window(make_window, project, size)
    dock = win.training
    qtbot.mouseClick(dock.settings_panel.fold, Qt.LeftButton)  # as while and after a run: the runs take the width
    table, head = dock.runs.experiments, dock.runs.experiments.horizontalHeader()

    def readable():
        assert table.verticalScrollBar().isVisible()
        assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll to sideways
        for c in range(table.columnCount()):
            name = table.horizontalHeaderItem(c).text()
            assert head.sectionSize(c) >= head.sectionSizeHint(c), name  # its header whole
            assert head.sectionViewportPosition(c) + head.sectionSize(c) <= table.viewport().width(), name
        assert head.sectionSize(0) >= 90  # the run's name gives way, but stays a name
    qtbot.waitUntil(readable, timeout=5000)


def test_choosing_the_weights_to_start_from_moves_nothing(make_window, qtbot, tmp_path):
    """Its message ("The next run starts from …") is three lines long beside the check: the
    settings columns and the curves stay where they are."""
    p = small_project()
    p.name = "shapes-transfer-study"
    path = tmp_path / f"{p.name}.cnnproj"
    save_project(p, path)
    run = fake_run(tmp_path / f"{p.name}.runs", f"20261206-100000-{p.name}", path)
    win = train_window(make_window, path)
    dock = win.training
    form = dock.form
    # laid out: the curves beside the settings, the settings in their columns
    qtbot.waitUntil(lambda: dock.curves.isVisible() and form.columns == 2 == len({g.x() for g in form.groups}))

    def places():
        return [(w.mapTo(dock, QPoint(0, 0)), w.size()) for w in form.groups + [dock.curves]]
    before = places()
    combo = dock.transfer.start_from
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Down)  # fresh weights → the run's best
    qtbot.waitUntil(lambda: run.name in dock.message.text())
    qtbot.wait(50)  # (any relayout it started is done)
    assert combo.currentData() == str(run)
    assert places() == before


def test_no_empty_progress_bars_before_a_run_is_started(make_window, qtbot, project):
    fake_run(project.parent / "tiny.runs", "20261206-100000-tiny", project)
    win = train_window(make_window, project)
    dock = win.training
    qtbot.waitUntil(lambda: dock.curves.isVisible())  # a run is shown: its curves, not a run in progress
    assert dock.start_button.isVisible()
    assert not dock.epoch_bar.isVisible() and not dock.batch_bar.isVisible()
    win.session.set_project(small_project(), None)  # another project (File → New)
    assert not dock.epoch_bar.isVisible() and not dock.batch_bar.isVisible()
