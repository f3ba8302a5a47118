"""Small projects and datasets for the training tests (a few hundred tiny images, 1-2 epochs), and
a Training dock on one of them."""
from __future__ import annotations

import pytest

from cnnstudio.core import Graph, Project, load_project, save_project

SMALL_SHAPES = {"id": "shapes", "image_size": 16, "count": 240, "classes": ["circle", "square", "cross"]}


def small_net(classes: int = 3, size: int = 16, channels: int = 3, head_activation: str = "none") -> Graph:
    g = Graph()
    x = g.add("Input", shape=[channels, size, size])
    x = g.add("Conv2d", x, out_channels=8, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, kernel_size=2)
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=classes, activation=head_activation)
    return g


def small_project(dataset=None, training=None, **net) -> Project:
    return Project("tiny", small_net(**net), dict(dataset or SMALL_SHAPES),
                   {"epochs": 2, "batch_size": 32, "optimizer": "sgd", "lr": 0.05, "cpu_threads": 1, **(training or {})})


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(), path)
    return path


@pytest.fixture
def session(qtbot, tmp_path):
    from cnnstudio.gui.session import Session
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 2, "lr": 0.005}), path)  # small batches: keep SGD calm
    s = Session()
    s.set_project(load_project(path), path)
    return s


@pytest.fixture
def dock(qtbot, session):
    from cnnstudio.gui.training.dock import TrainingDock
    d = TrainingDock(session)
    qtbot.addWidget(d)
    d.resize(480, 1200)
    d.show()
    return d
