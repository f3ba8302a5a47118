"""Data-parallel throughput on this machine's CPU (gloo): 2 processes against 1, in the same run.

Trains a small convnet on Shapes (generated 32×32 images) with the same global batch through
`cnnstudio train`: plainly in one process (the baseline), through torchrun with one process
(DDP on a world of one: the launcher's and DDP's own cost), and with `--nproc 2`. images/s is the
median over the epochs after the first, from metrics.jsonl; the variants run in interleaved
rounds and the best round of each is kept. Each process trains with the engine's CPU default of
threads (about one physical core per process).

Usage: python bench/distributed.py [--images 6000] [--batch-size 128] [--epochs 4] [--rounds 2]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def project(args):
    from cnnstudio.core import Graph, Project
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    x = g.add("Conv2d", x, out_channels=16, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, kernel_size=2)
    x = g.add("Conv2d", x, out_channels=32, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, kernel_size=2)
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=5)
    return Project("bench-ddp", g, {"id": "shapes", "image_size": 32, "count": args.images},
                   {"epochs": args.epochs, "batch_size": args.batch_size, "optimizer": "sgd", "lr": 0.02})


def run(file: Path, out: Path, variant: str) -> tuple[float, float]:
    """→ (images/s, wall seconds) of one run."""
    if variant == "torchrun, 1 process":
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=1",
               "-m", "cnnstudio", "train", str(file), "--out", str(out)]
    else:
        cmd = [sys.executable, "-m", "cnnstudio", "train", str(file), "--out", str(out)]
        if variant == "--nproc 2":
            cmd += ["--nproc", "2"]
    t = time.perf_counter()
    # Every variant in a session of its own, as torchrun starts each rank: with the kernel's
    # autogroup scheduling a new session gets its own CPU share, so a variant run in the bench's
    # session would compete with everything else on the machine while the ranks would not.
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       start_new_session=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{r.stderr[-2000:]}")
    rates = [json.loads(line)["images_per_s"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    return statistics.median(rates[1:] or rates), wall


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=6000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from cnnstudio.core import save_project
    load0 = _load()
    variants = ["1 process", "torchrun, 1 process", "--nproc 2"]
    best = {v: (0.0, 0.0) for v in variants}
    with tempfile.TemporaryDirectory(prefix="cnnstudio-bench-ddp-") as d:
        file = Path(d) / "bench.cnnproj"
        save_project(project(args), file)
        for i in range(args.rounds):
            for v in variants:
                rate, wall = run(file, Path(d) / f"{v.replace(' ', '_').replace(',', '')}-{i}", v)
                if rate > best[v][0]:
                    best[v] = (rate, wall)
    print(f"Shapes 32×32, {args.images:,} images, global batch {args.batch_size}, {args.epochs} epochs, "
          f"{os.cpu_count()} cores, load average before/after {load0} / {_load()}")
    base = best["1 process"][0]
    for v in variants:
        rate, wall = best[v]
        print(f"  {v:22s} {rate:8,.0f} images/s  {rate / base:.2f}× one process   (whole command {wall:.1f} s)")


if __name__ == "__main__":
    main()
