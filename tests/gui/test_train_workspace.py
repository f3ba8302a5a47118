"""The Train workspace as a new user meets it at 1280×800: every common setting in view without
scrolling, a wheel that scrolls the form, transfer learning in one group, a run table that
tells runs apart, Resume only where there is something to resume, Export of the run shown."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from cnnstudio.core import load_project, save_project

from ..train.conftest import small_project

SIZE_1280x800 = (1280, 770)  # the window's inside on a 1280×800 screen, below a window manager's title bar


def fake_run(runs: Path, name: str, project, *, status="finished", epochs=2, world_size=1, trial=None,
             weights=None) -> Path:
    """A run folder as the engine leaves it (run.json, project copy, metrics, a checkpoint),
    written directly: the table, Resume and "start from" read only these files."""
    d = runs / name
    (d / "checkpoints" / f"epoch-{epochs}").mkdir(parents=True)
    copy = load_project(project) if isinstance(project, Path) else project
    copy.weights = None  # the engine's copy names no weights file: run.json says what it started from
    save_project(copy, d / "project.cnnproj")
    info = {"format": "cnnstudio.run", "version": 1, "status": status, "project": copy.name, "epochs": epochs,
            "created": f"2026-12-06T10:00:{len(list(runs.iterdir())):02d}+0000", "world_size": world_size,
            "dataset": {"id": "shapes", "name": "Shapes"}, "training": {**copy.training, "epochs": epochs},
            "best": {"metric": "val_accuracy", "value": 0.9, "epoch": epochs}}
    if weights:
        info["started_from"] = str(weights)
    if trial is not None:
        info["sweep"] = {"study": "s", "trial": trial, "params": {"lr": 0.01}}
    (d / "run.json").write_text(json.dumps(info))
    (d / "metrics.jsonl").write_text("".join(json.dumps({"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e,
                                                         "val_accuracy": 0.5, "lr": 0.01}) + "\n"
                                             for e in range(1, epochs + 1)))
    (d / "checkpoints" / "current.json").write_text(json.dumps({"last": epochs, "best": epochs}))
    (d / "checkpoints" / f"epoch-{epochs}" / "weights.safetensors").write_bytes(b"weights of " + name.encode())
    return d


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(), path)
    return path


def train_window(make_window, path, size=SIZE_1280x800):
    win = make_window()
    win.resize(*size)
    win.docs.open_path(path)
    win.workspaces.switch("train")
    QApplication.processEvents()
    return win


def in_view(widget, area) -> bool:
    """`widget` is shown whole inside the scroll area's visible part."""
    view = area.viewport()
    top_left = widget.mapTo(view, QPoint(0, 0))
    return (widget.isVisible() and top_left.y() >= 0 and top_left.x() >= 0
            and top_left.y() + widget.height() <= view.height() and top_left.x() + widget.width() <= view.width())


def common_settings(dock):
    f = dock.form
    return {"dataset": f.dataset, "validation share": f.val_fraction, "epochs": f.epochs, "batch size": f.batch_size,
            "optimizer": f.optimizer, "learning rate": f.lr, "schedule": f.schedule, "device": f.device,
            "processes": f.processes, "precision": f.precision, "start from": dock.transfer.start_from,
            "freeze": dock.transfer.freeze, "backbone lr ×": f.backbone_lr_factor}


@pytest.mark.parametrize("with_run", [False, True], ids=["new project", "a run shown"])
def test_every_common_setting_is_in_view_at_1280x800(make_window, qtbot, project, with_run):
    if with_run:
        fake_run(project.parent / "tiny.runs", "20261206-100000-tiny", project)
    win = train_window(make_window, project)
    dock = win.training
    area = dock.settings_panel.scroll
    qtbot.waitUntil(lambda: all(in_view(w, area) for w in common_settings(dock).values()), timeout=3000)
    assert area.verticalScrollBar().maximum() == 0  # nothing to scroll to
    assert not dock.widget().verticalScrollBar().isVisible()  # nor does the dock scroll
    assert dock.start_button.isVisible() and dock.runs.experiments.isVisible()
    assert dock.curves.isVisible() == with_run  # before any run the settings take the width
    if with_run:  # the curves beside the settings, the run table under them
        assert dock.curves.mapTo(dock, QPoint(0, 0)).x() >= area.mapTo(dock, QPoint(area.width(), 0)).x()
    dock.settings_panel.set_folded(True)  # as while a run trains: the curves take the width
    QApplication.processEvents()
    assert dock.curves.isVisible() and dock.curves.width() > 0.9 * dock.width()
    assert "Shapes" in dock.settings_panel.summary.text() and "2 epochs" in dock.settings_panel.summary.text()


def test_the_wheel_scrolls_the_form_unless_a_field_has_focus(make_window, qtbot, project):
    win = train_window(make_window, project, size=(1000, 560))  # small: the settings scroll
    dock = win.training
    area, epochs = dock.settings_panel.scroll, dock.form.epochs
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(0)
    win.setFocus()

    def wheel(widget, steps=-1):
        pos = QPointF(widget.width() / 2, widget.height() / 2)
        event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(), QPoint(0, 120 * steps),
                            Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)

    before = epochs.value()
    wheel(epochs)
    assert epochs.value() == before and bar.value() > 0  # the form moved, the value did not
    qtbot.mouseClick(epochs, Qt.LeftButton)  # a click gives the field focus: now the wheel is its own
    assert epochs.hasFocus()
    wheel(epochs, +1)
    assert epochs.value() == before + 1


def test_transfer_learning_in_one_group(make_window, qtbot, project):
    runs = project.parent / "tiny.runs"
    run = fake_run(runs, "20261206-100000-tiny", project)
    win = train_window(make_window, project)
    box, s = win.training.transfer, win.session
    # freeze everything before the head, from the dock; the canvas's blocks carry the locks
    box.freeze.showPopup()
    box.freeze.hidePopup()
    head = [box.freeze.itemText(i) for i in range(box.freeze.count())]
    assert "everything before fc1 (the head)" in head
    box.freeze.setCurrentIndex(head.index("everything before fc1 (the head)"))
    box.freeze.activated.emit(box.freeze.currentIndex())
    assert [n for n, node in s.graph.nodes.items() if node.frozen] == ["conv1"]
    assert box.freeze.currentText() == "everything before fc1"
    assert "1 of 2 blocks with weights frozen" in box.frozen_note.text()
    s.undo()  # one undo step
    assert not any(node.frozen for node in s.graph.nodes.values())
    assert box.freeze.currentText().startswith("nothing")
    # start from the run's best weights: copied beside the project, named in it once saved
    items = [box.start_from.itemText(i) for i in range(box.start_from.count())]
    assert items == ["fresh (random) weights", f"best weights of {run.name}"]
    box.start_from.setCurrentIndex(1)
    box.start_from.activated.emit(1)
    copied = project.parent / f"tiny-{run.name}.safetensors"
    assert copied.read_bytes() == b"weights of " + run.name.encode() and s.project.weights == copied.name
    assert box.start_from.currentText() == f"best weights of {run.name}"
    assert run.name in win.training.message.text()
    box.start_from.setCurrentIndex(0)
    box.start_from.activated.emit(0)
    assert s.project.weights is None
    assert not hasattr(win, "act_adopt")  # one way to do it: the dock, not the File menu


def test_the_run_table_tells_runs_apart(make_window, project):
    runs = project.parent / "tiny.runs"
    first = fake_run(runs, "20261206-100000-tiny", project)
    tuned = load_project(project)
    tuned.graph.nodes["conv1"].frozen = True
    tuned.training = {**tuned.training, "backbone_lr_factor": 0.1}
    fake_run(runs, "20261206-110000-tiny", tuned, world_size=2, trial=3, weights=f"tiny-{first.name}.safetensors")
    fake_run(runs, "20261206-120000-tiny", project,  # `train --init-from RUN`: that run's best checkpoint
             weights=first / "checkpoints" / "epoch-2" / "weights.safetensors")
    win = train_window(make_window, project)
    table = win.training.runs.experiments
    head = [table.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(table.columnCount())]  # as read
    rows = {table.item(r, 0).text(): {h: table.item(r, c).text() for c, h in enumerate(head)}
            for r in range(table.rowCount())}
    tuned_row, first_row = rows["20261206-110000-tiny"], rows[first.name]
    assert (tuned_row["processes"], tuned_row["started from"], tuned_row["frozen"], tuned_row["backbone lr ×"],
            tuned_row["trial"]) == ("2", first.name, "1", "0.1", "3")
    assert (first_row["processes"], first_row["started from"], first_row["frozen"], first_row["trial"]) == \
        ("1", "fresh", "0", "")
    assert rows["20261206-120000-tiny"]["started from"] == first.name


def test_resume_only_where_there_is_something_to_resume(make_window, project):
    fake_run(project.parent / "tiny.runs", "20261206-100000-tiny", project, epochs=2)
    win = train_window(make_window, project)
    dock = win.training
    dock.form.epochs.setValue(2)
    assert not dock.resume_button.isEnabled()  # finished as asked: nothing to resume
    dock.form.epochs.setValue(3)
    assert dock.resume_button.isEnabled()  # one more epoch: Resume goes on from the checkpoint


def test_export_defaults_to_the_run_shown(make_window, project):
    run = fake_run(project.parent / "tiny.runs", "20261206-100000-tiny", project)
    win = train_window(make_window, project)
    assert win.session.run_dir == run
    dialog = win.export_model()
    assert dialog.weights.currentData() == str(run)
    dialog.reject()


def test_augmentation_is_offered_for_images_only(make_window, qtbot, project):
    """The warps are 2-D: for signals and volumes the Augment box is disabled and says why (a
    flip set for Shapes and kept when switching to Volumes made the run refuse to start)."""
    win = train_window(make_window, project)
    form = win.training.form
    form.flip.setChecked(True)
    assert form.flip.isChecked() and form.aug_box.isEnabled()
    for ds, holds in (("volumes", "volumes"), ("signals", "signals")):
        form.dataset.setCurrentIndex(form.dataset.findData(ds))
        assert not form.aug_box.isEnabled() and f"holds {holds}" in form.aug_box.toolTip()
        assert "augment" not in form.dataset_dict({})
    form.dataset.setCurrentIndex(form.dataset.findData("medmnist"))
    form.subset.setCurrentIndex(form.subset.findData("organmnist3d"))
    assert not form.aug_box.isEnabled()
    form.subset.setCurrentIndex(form.subset.findData("pathmnist"))
    assert form.aug_box.isEnabled() and form.aug_box.toolTip() == ""
    form.dataset.setCurrentIndex(form.dataset.findData("shapes"))
    assert form.aug_box.isEnabled() and form.dataset_dict({})["augment"] == {"flip": True}
