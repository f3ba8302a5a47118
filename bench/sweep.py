"""Experiments (`cnnstudio sweep`): parallel trials, pruning, and the sweep's own overhead.

1. 16 trials of a small convnet on Shapes (a 4×4 grid: conv width × learning rate), with
   `--parallel 2` against the same 16 trials `--parallel 1`, in the same run (each trial one
   torch thread): the wall-clock ratio.
2. The median pruner against no pruning on the same grid with more epochs: epochs trained in
   all, and the best trial's accuracy beside each.
3. `cnnstudio sweep --parallel 1` against a plain Optuna script that trains the same trials
   through the same engine in one process, its study in an SQLite file too (both timed from
   process start to exit).

Usage: python bench/sweep.py [--images 1200] [--epochs 3] [--prune-epochs 6] [--only parallel,prune,overhead]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GRID = ["--vary", "c1.out_channels=4,8,12,16", "--vary", "lr=0.003,0.01,0.03,0.1"]
PLAIN = r'''
import sys, time, torch, optuna
sys.path.insert(0, sys.argv[1])
from cnnstudio.core import load_project
from cnnstudio.core.sweep.apply import apply_params
from cnnstudio.core.train.engine import Trainer
torch.set_num_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)
project, runs = load_project(sys.argv[2]), sys.argv[3]
grid = {"c1.out_channels": [4, 8, 12, 16], "lr": [0.003, 0.01, 0.03, 0.1]}
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.GridSampler(grid, seed=0),
                            storage=f"sqlite:///{runs}.db")  # saved, as a study that can resume is
def objective(trial):
    params = {k: trial.suggest_categorical(k, v) for k, v in grid.items()}
    t = Trainer(apply_params(project, params), f"{runs}/{trial.number}", overrides={"cpu_threads": 1, "epochs": int(sys.argv[4])})
    t.run()
    return max(r["val_accuracy"] for r in t.history)
study.optimize(objective, n_trials=16)
'''


def make_project(folder: Path, images: int, epochs: int) -> Path:
    from cnnstudio.core import Graph, Project, save_project
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32], id="input")
    x = g.add("Conv2d", x, id="c1", out_channels=8, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="p1", kernel_size=2)
    x = g.add("Conv2d", x, id="c2", out_channels=16, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="p2", kernel_size=2)
    x = g.add("Flatten", x, id="flat")
    g.add("Linear", x, id="fc", out_features=5)
    path = folder / "bench.cnnproj"
    save_project(Project("bench", g, {"id": "shapes", "count": images},
                         {"epochs": epochs, "batch_size": 64, "optimizer": "sgd", "lr": 0.01}), path)
    return path


def timed(cmd: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - t


def sweep(folder: Path, args, *extra) -> tuple[float, list[dict]]:
    """Time one `cnnstudio sweep` in a fresh copy of the project; → (seconds, its trials)."""
    folder.mkdir(parents=True)
    path = make_project(folder, args.images, args.epochs)
    seconds = timed([sys.executable, "-m", "cnnstudio", "sweep", str(path), *GRID, "--sampler", "grid",
                     "--seed", "0", "--json", *extra])
    from cnnstudio.core.sweep import study as st
    from cnnstudio.core.sweep.results import rows
    study, settings, _ = st.load(st.open_storage(st.default_url(path)), "bench")
    return seconds, rows(study, settings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1200)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--prune-epochs", type=int, default=6)
    ap.add_argument("--only", default="parallel,prune,overhead")
    args = ap.parse_args()
    only = args.only.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="cnnstudio-bench-sweep-"))
    print(f"load before: {open('/proc/loadavg').read().split()[:3]}; {os.cpu_count()} CPUs; "
          f"{args.images} images, 16 trials")
    if "parallel" in only:
        one, _ = sweep(tmp / "p1", args, "--parallel", "1", "--prune", "none", "--epochs", str(args.epochs))
        two, trials = sweep(tmp / "p2", args, "--parallel", "2", "--prune", "none", "--epochs", str(args.epochs))
        assert len([t for t in trials if t["state"] == "complete"]) == 16
        print(f"parallel: 16 trials × {args.epochs} epochs: one at a time {one:.1f} s, two at a time {two:.1f} s: "
              f"**{one / two:.2f}×**")
    if "prune" in only:
        for prune in ("none", "median"):
            _, trials = sweep(tmp / f"prune-{prune}", args, "--parallel", "2", "--prune", prune,
                              "--epochs", str(args.prune_epochs))
            epochs = sum(t["epochs"] or 0 for t in trials)
            best = max(t["accuracy"] or 0 for t in trials)
            pruned = sum(t["state"] == "pruned" for t in trials)
            print(f"prune {prune}: {epochs} epochs trained in all ({pruned} trials pruned), best accuracy {best:.1%}")
    if "overhead" in only:
        folder = tmp / "plain"
        folder.mkdir()
        path = make_project(folder, args.images, args.epochs)
        plain = timed([sys.executable, "-c", PLAIN, str(ROOT), str(path), str(folder / "runs"), str(args.epochs)])
        ours, _ = sweep(tmp / "ours", args, "--parallel", "1", "--prune", "none", "--epochs", str(args.epochs))
        print(f"overhead: plain Optuna script {plain:.1f} s, cnnstudio sweep --parallel 1 {ours:.1f} s: "
              f"**{(ours / plain - 1) * 100:+.1f} %**")
    print(f"load after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
