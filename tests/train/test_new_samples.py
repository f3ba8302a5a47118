"""Every sample added for the lectures (ZFNet, GoogLeNet, ResNet-50, 1-D, 3-D, deformable,
multi-label, encoder–decoder, SegNet) trains one epoch headless on CPU on its own dataset. To keep the
suite fast the datasets are cut to a few dozen samples, and the three 224-px networks train at
64×64 (their adaptive pooling and inferred Linear sizes allow any input size)."""
import math
from pathlib import Path

import pytest

from cnnstudio.core import analyze, load_project
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.runs import read_metrics

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"
SMALL = {"zfnet": 40, "googlenet": 24, "resnet50": 24, "signal_classifier": 96, "volume_classifier": 48,
         "deformable_net": 48, "multilabel_net": 48, "encoder_decoder": 48,
         "segnet": 48}


@pytest.mark.parametrize("stem", list(SMALL))
def test_sample_trains_one_epoch_on_its_dataset(stem, tmp_path):
    project = load_project(SAMPLES / f"{stem}.cnnproj")
    assert analyze(project.graph).ok
    dataset = dict(project.dataset, count=SMALL[stem])
    if dataset.get("image_size") == 224:  # the ImageNet-sized ones: smaller pictures in the test
        dataset["image_size"] = 64
        inp = next(n for n in project.graph.nodes.values() if n.type == "Input")
        inp.params = {**inp.params, "shape": [3, 64, 64]}
    project.dataset = dataset
    result = Trainer(project, tmp_path / stem, overrides={"epochs": 1, "batch_size": 16, "cpu_threads": 1},
                     callbacks=[]).run()
    assert result["status"] == "finished", result["message"]
    [row] = read_metrics(tmp_path / stem)
    assert math.isfinite(row["train_loss"]) and math.isfinite(row["val_loss"])
