"""A real (small) training run shared by the inspection tests: LeNet-5 on 600 MNIST digits,
2 epochs, trained by the training engine with its default callbacks (epoch timeline)."""
import pytest


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    from pathlib import Path

    from cnnstudio.core import load_project
    from cnnstudio.core.train.engine import Trainer

    root = Path(__file__).resolve().parents[2]
    project = load_project(root / "sample_projects" / "lenet5.cnnproj")
    project.dataset = {"id": "mnist5k", "count": 600}
    run_dir = tmp_path_factory.mktemp("runs") / "lenet5-small"
    result = Trainer(project, run_dir, overrides={"epochs": 2, "device": "cpu"}).run()
    assert result["status"] == "finished", result
    return run_dir
