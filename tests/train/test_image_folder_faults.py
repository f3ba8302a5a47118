"""Image folders as users really have them: a FIFO named like an image, a decompression bomb,
a relative path (issue 11, item 11)."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PIL import Image

from cnnstudio.cli import main
from cnnstudio.core import Graph, Project, save_project
from cnnstudio.core.data import load_dataset


def make_folder(root, per_class=12):
    rng = np.random.default_rng(0)
    for c in ("cats", "dogs"):
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(root / c / f"{i}.png")
    return root


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_named_png_is_skipped_not_waited_on(tmp_path):
    root = make_folder(tmp_path / "imgs")
    os.mkfifo(root / "cats" / "pipe.png")
    done = {}
    t = threading.Thread(target=lambda: done.update(ds=load_dataset({"id": "image_folder", "path": str(root),
                                                                        "image_size": 16})), daemon=True)
    t.start()
    t.join(60)
    assert "ds" in done, "reading the folder blocked on the FIFO"
    assert "FIFO" in done["ds"].spec["skipped_files"]["cats/pipe.png"]


def test_a_decompression_bomb_is_skipped_as_unreadable(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "imgs")
    Image.new("L", (300, 300)).save(root / "dogs" / "bomb.png")  # tiny on disk, many pixels
    Image.new("L", (120, 120)).save(root / "dogs" / "big.png")   # past PIL's warning limit only
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # PIL's limit, scaled down for the test
    ds = load_dataset({"id": "image_folder", "path": str(root), "image_size": 16})
    assert {"dogs/bomb.png", "dogs/big.png"} <= set(ds.spec["skipped_files"])
    assert "decompression bomb" in ds.spec["skipped_files"]["dogs/big.png"]
    assert len(ds.train) + len(ds.val) + len(ds.test) == 24


def test_a_relative_image_folder_is_found_beside_the_project_from_any_directory(tmp_path, monkeypatch):
    make_folder(tmp_path / "proj" / "imgs")
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=2)
    path = tmp_path / "proj" / "p.cnnproj"
    save_project(Project("p", g, {"id": "image_folder", "path": "imgs", "image_size": 16},
                         {"epochs": 1, "batch_size": 8, "cpu_threads": 1}), path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    from cnnstudio.core import load_project
    from cnnstudio.gui.session import Session
    project = load_project(path)
    next(n for n in project.graph.nodes.values() if n.type == "Linear").params["out_features"] = 3
    session = Session()
    session.set_project(project, path)  # the editor reads the folder's 2 classes and sees the head is wrong
    assert [p for p in session.analysis.problems if p.code == "dataset_head" and "2 classes" in p.message]
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    from cnnstudio.core.train.runs import load_run
    assert len(load_run(tmp_path / "run").dataset().classes) == 2  # the run's copy finds it too
