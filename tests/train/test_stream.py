"""Image folders streamed from disk through DataLoader workers: the same training as in memory,
unreadable files skipped and listed, and the choice between the two paths said and explained."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cnnstudio.cli import main
from cnnstudio.core import Project, save_project
from cnnstudio.core.data import load_dataset
from cnnstudio.core.data.budget import choose
from cnnstudio.core.data.shapes import generate_shapes
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.runs import read_metrics

from .conftest import small_net

CLASSES = ["circle", "square", "cross"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """150 real 16×16 shape images as PNG files, one sub-folder per class."""
    root = tmp_path_factory.mktemp("photos")
    imgs, labels, _ = generate_shapes(150, 16, CLASSES, seed=3)
    for c in CLASSES:
        (root / c).mkdir()
    for i, (img, label) in enumerate(zip(imgs, labels)):
        Image.fromarray(np.ascontiguousarray(img.transpose(1, 2, 0))).save(root / CLASSES[label] / f"{i:04d}.png")
    return root


def project(folder, **dataset) -> Project:
    return Project("tiny", small_net(), {"id": "image_folder", "path": str(folder), "image_size": 16, **dataset},
                   {"epochs": 3, "batch_size": 16, "optimizer": "sgd", "lr": 0.05, "cpu_threads": 1})


def test_streamed_folder_trains_like_the_in_memory_path(folder, tmp_path):
    memory = Trainer(project(folder, stream=False), tmp_path / "memory", callbacks=[]).run()
    streamed = Trainer(project(folder, stream=True, workers=1), tmp_path / "streamed", callbacks=[]).run()
    assert memory["status"] == streamed["status"] == "finished"
    info = json.loads((tmp_path / "streamed" / "run.json").read_text())
    assert info["data_path"]["path"] == "stream" and "Streamed from disk" in info["data_path"]["why"]
    assert json.loads((tmp_path / "memory" / "run.json").read_text())["data_path"]["path"] == "memory"
    a, b = read_metrics(tmp_path / "memory"), read_metrics(tmp_path / "streamed")
    assert len(a) == len(b) == 3
    for ra, rb in zip(a, b):  # the same batches in the same order: the same curve and accuracy
        for key in ("train_loss", "val_loss", "val_accuracy"):
            assert rb[key] == pytest.approx(ra[key], rel=1e-4, abs=1e-6), key
    assert b[-1]["val_accuracy"] > 0.5  # it learned something (3 classes: chance is 1/3)
    from cnnstudio.core.inspect.source import from_run
    insp = from_run(tmp_path / "streamed")  # the inspection panels read a streamed run's test images
    assert insp.images.shape == (15, 3, 16, 16) and len(insp.labels) == 15


def test_corrupt_files_are_skipped_counted_and_listed(folder, tmp_path, capsys):
    bad = tmp_path / "photos"
    bad.mkdir()
    for c in CLASSES:
        (bad / c).mkdir()
        for f in sorted((folder / c).iterdir())[:20]:
            (bad / c / f.name).write_bytes(f.read_bytes())
    (bad / "circle" / "garbage.jpg").write_bytes(b"not an image at all")
    (bad / "cross" / "cut.png").write_bytes((folder / "cross" / sorted(p.name for p in (folder / "cross").iterdir())[0]).read_bytes()[:60])
    # a budget of 0.01 MB: the folder does not fit, so "auto" streams it, and says why
    path = tmp_path / "bad.cnnproj"
    save_project(project(bad, memory_budget_mb=0.01, workers=1, val_fraction=0.2), path)
    code = main(["train", str(path), "--out", str(tmp_path / "run"), "--epochs", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "data: Streamed from disk: 62 images at 16×16" in err and "would not fit the memory budget" in err
    assert "2 unreadable image(s) skipped" in err
    listed = (tmp_path / "run" / "skipped_files.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in listed] == ["circle/garbage.jpg", "cross/cut.png"]
    assert all("Error" in line.split("\t")[1] for line in listed)  # the reason, in PIL's words
    assert json.loads((tmp_path / "run" / "run.json").read_text())["skipped_files"] == 2


def test_the_choice_and_its_reason(folder):
    spec = {"id": "image_folder", "path": str(folder), "image_size": 16}
    fits = choose(spec, free_bytes=10**9)
    assert fits["path"] == "memory" and fits["bytes"] == 150 * 3 * 16 * 16 * 4
    assert "150 images at 16×16 ≈ 461 KB fits the memory budget 500.0 MB (half of the 1.0 GB free memory)" \
        in fits["why"]
    assert choose(spec, free_bytes=600_000)["path"] == "stream"
    assert choose({**spec, "stream": True}, free_bytes=10**12)["path"] == "stream"
    assert choose({**spec, "stream": False}, free_bytes=1)["path"] == "memory"
    assert choose({"id": "mnist5k"}, free_bytes=4 * 10**9)["why"] == ("Data in memory: built-in datasets fit the memory "
                                                                   "budget 2.0 GB (half of the 4.0 GB free memory).")
    ds = load_dataset({**spec, "memory_budget_mb": 0.1, "workers": 0})  # auto: too big for 0.1 MB
    assert type(ds.train).__name__ == "StreamSplit" and ds.sample_grid(9).shape[2] == 3
    assert sum(ds.class_counts()) == len(ds.train)


def test_dock_shows_the_memory_budget_and_the_path(qtbot, folder, tmp_path):
    from PySide6.QtCore import Qt

    from cnnstudio.core import load_project
    from cnnstudio.gui.session import Session
    from cnnstudio.gui.training.dock import TrainingDock

    path = tmp_path / "tiny.cnnproj"
    save_project(Project("tiny", small_net(), {"id": "shapes"}, {}), path)
    session = Session()
    session.set_project(load_project(path), path)
    dock = TrainingDock(session)
    qtbot.addWidget(dock)
    dock.show()
    assert "built-in datasets fit the memory budget" in dock.data_label.text()
    dock.form.dataset.setCurrentIndex(dock.form.dataset.findData("image_folder"))
    qtbot.keyClicks(dock.form.folder, str(folder))
    qtbot.keyClick(dock.form.folder, Qt.Key_Return)
    assert "150 images at" in dock.data_label.text() and "fits the memory budget" in dock.data_label.text()
    assert session.project.dataset["path"] == str(folder)
