"""The CUDA paths: mixed precision, GradScaler, channels_last, the out-of-memory message, NCCL
through torchrun. Skipped without a GPU; bench/gpu_check.sh runs them on a machine with one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cnnstudio.core import Graph, Project, save_project
from cnnstudio.core.data.base import build_dataset
from cnnstudio.core.train.pointer import last_files
from cnnstudio.core.train.engine import Trainer

from .conftest import small_project

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_and_channels_last_train(tmp_path, precision):
    r = Trainer(small_project(training={"device": "cuda", "precision": precision, "epochs": 2}), tmp_path / "run",
                callbacks=[]).run()
    assert r["status"] == "finished", r["message"]
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["precision"] in (precision, "fp16") and info["channels_last"] is True
    assert info["device"].startswith("cuda")
    state = json.loads(last_files(tmp_path / "run")["state"].read_text())
    assert (state["scaler"] is not None) == (info["precision"] == "fp16")  # GradScaler only for fp16


def test_out_of_memory_says_which_batch_size_to_try(tmp_path):
    g = Graph()
    x = g.add("Input", shape=[3, 256, 256])
    x = g.add("Conv2d", x, out_channels=8192, kernel_size=3, padding=1)  # ≈ 1 TB of activations at batch 128
    x = g.add("AdaptiveAvgPool2d", x, output_size=1)
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=2)
    n = 256
    imgs = torch.randint(0, 256, (n, 3, 256, 256), dtype=torch.uint8)
    labels = torch.randint(0, 2, (n,))
    ds = build_dataset("synthetic", "big", ["a", "b"], (imgs, labels), (imgs[:8], labels[:8]), {})
    project = Project("oom", g, {"id": "synthetic"}, {"device": "cuda", "batch_size": 128, "epochs": 1})
    r = Trainer(project, tmp_path / "run", dataset=ds, callbacks=[]).run()
    assert r["status"] == "failed" and r["kind"] == "oom"
    assert "Out of GPU memory at batch size 128" in r["message"] and "Try batch size" in r["message"]
    torch.cuda.empty_cache()


def test_torchrun_on_the_gpus_with_nccl(tmp_path):
    """`torchrun -m cnnstudio train` as a user types it: one process per GPU (one GPU is enough)."""
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"device": "cuda", "epochs": 2, "batch_size": 32}), path)
    gpus = min(torch.cuda.device_count(), 2)
    out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}",
                          "-m", "cnnstudio", "train", str(path), "--out", str(tmp_path / "run")],
                         capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["status"] == "finished" and info["backend"] == "nccl" and info["world_size"] == gpus
    assert sorted(d.split(": ", 1)[1].split(" ")[0] for d in info["devices"]) == [f"cuda:{i}" for i in range(gpus)]
