"""Experiments (`cnnstudio sweep`): parallel trials, pruning, and the sweep's own overhead.

1. 16 trials of a small convnet on Shapes (a 4×4 grid: conv width × learning rate), with
   `--parallel 2` against the same 16 trials `--parallel 1`, in the same run (each trial one
   torch thread): the wall-clock ratio; for each, where the time went (start-up to the first
   trial, the trials, the last trial's end to exit; CPU seconds of the whole process tree).
   Beside it the machine's own ceiling: two single-thread torch training loops at once against
   one after the other (what two trials at once could gain at best here).
2. The median pruner against no pruning on the same grid with more epochs: epochs trained in
   all, and the best trial's accuracy beside each.
3. `cnnstudio sweep --parallel 1` against a plain Optuna script that trains the same trials
   through the same engine in one process, its study in an SQLite file too, the dataset
   loaded once as a sweep's worker keeps it (both timed from process start to exit).

Usage: python bench/sweep.py [--images 1200] [--epochs 3] [--prune-epochs 6] [--only parallel,prune,overhead]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GRID = ["--vary", "c1.out_channels=4,8,12,16", "--vary", "lr=0.003,0.01,0.03,0.1"]
PLAIN = r'''
import dataclasses, sys, time, torch, optuna
sys.path.insert(0, sys.argv[1])
from cnnstudio.core import load_project
from cnnstudio.core.data import load_dataset
from cnnstudio.core.sweep.apply import apply_params
from cnnstudio.core.train.engine import Trainer
torch.set_num_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)
project, runs = load_project(sys.argv[2]), sys.argv[3]
data = load_dataset(project.dataset)  # loaded once, as the sweep's worker keeps it
grid = {"c1.out_channels": [4, 8, 12, 16], "lr": [0.003, 0.01, 0.03, 0.1]}
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.GridSampler(grid, seed=0),
                            storage=f"sqlite:///{runs}.db")  # saved, as a study that can resume is
def objective(trial):
    params = {k: trial.suggest_categorical(k, v) for k, v in grid.items()}
    t = Trainer(apply_params(project, params), f"{runs}/{trial.number}", overrides={"cpu_threads": 1, "epochs": int(sys.argv[4])},
                dataset=dataclasses.replace(data))
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


LOOP = r'''
import sys, time, torch
torch.set_num_threads(1)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                          torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                          torch.nn.Flatten(), torch.nn.Linear(2048, 5))
opt, x, y = torch.optim.SGD(net.parameters(), lr=0.01), torch.randn(64, 3, 32, 32), torch.randint(0, 5, (64,))
def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
for _ in range(5):
    step()
print("ready", flush=True)
sys.stdin.readline()
t, c = time.time(), time.process_time()
for _ in range(int(sys.argv[1])):
    step()
print(t, time.time(), time.process_time() - c, flush=True)
'''


def loops(k: int, steps: int) -> list[tuple[float, float, float]]:
    """k single-thread training loops started at the same moment → (start, end, CPU s) each."""
    ps = [subprocess.Popen([sys.executable, "-c", LOOP, str(steps)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}) for _ in range(k)]
    for p in ps:
        assert p.stdout.readline().strip() == "ready"
    for p in ps:
        p.stdin.write("go\n")
        p.stdin.flush()
    return [tuple(map(float, p.communicate()[0].split())) for p in ps]


def ceiling(steps: int = 120) -> str:
    alone = loops(1, steps) + loops(1, steps)
    both = loops(2, steps)
    one_by_one = sum(e - s for s, e, _ in alone)
    at_once = max(e for _, e, _ in both) - min(s for s, _, _ in both)
    cpu = (sum(c for *_, c in alone) / 2, sum(c for *_, c in both) / 2)
    return (f"machine ceiling: two single-thread torch training loops one after the other {one_by_one:.1f} s, at once "
            f"{at_once:.1f} s: **{one_by_one / at_once:.2f}×** (CPU seconds per loop: alone {cpu[0]:.2f}, two at once "
            f"{cpu[1]:.2f})")


def timed(cmd: list[str]) -> tuple[float, dict]:
    """Run `cmd` → (wall seconds, where they went: start-up to the first trial, the last trial's
    end to exit, CPU seconds of the process tree)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    first = last = None
    tail = []
    for line in p.stderr:
        now = time.perf_counter() - t
        if first is None and ": started " in line:
            first = now
        if re.match(r"trial \d+: (complete|pruned|failed)", line):
            last = now
        tail = (tail + [line])[-20:]
    if p.wait():
        sys.exit(f"failed: {' '.join(cmd)}\n{''.join(tail)}")
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, {"start": first or 0.0, "end": wall - (last or wall), "cpu": cpu}


def sweep(folder: Path, args, *extra) -> tuple[float, list[dict], dict]:
    """Time one `cnnstudio sweep` in a fresh copy of the project; → (seconds, its trials, where they went)."""
    folder.mkdir(parents=True)
    path = make_project(folder, args.images, args.epochs)
    seconds, parts = timed([sys.executable, "-m", "cnnstudio", "sweep", str(path), *GRID, "--sampler", "grid",
                     "--seed", "0", "--json", *extra])
    from cnnstudio.core.sweep import study as st
    from cnnstudio.core.sweep.results import rows
    study, settings, _ = st.load(st.open_storage(st.default_url(path)), "bench")
    return seconds, rows(study, settings), parts


def parts_text(seconds: float, parts: dict) -> str:
    return (f"{seconds:.1f} s = start-up {parts['start']:.1f} + trials {seconds - parts['start'] - parts['end']:.1f} + "
            f"exit {parts['end']:.1f}; CPU {parts['cpu']:.1f} s")


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
        one, trials1, parts1 = sweep(tmp / "p1", args, "--parallel", "1", "--prune", "none", "--epochs", str(args.epochs))
        two, trials, parts2 = sweep(tmp / "p2", args, "--parallel", "2", "--prune", "none", "--epochs", str(args.epochs))
        assert len([t for t in trials if t["state"] == "complete"]) == 16
        points = [sorted(tuple(sorted(t["params"].items())) for t in ts) for ts in (trials1, trials)]
        assert points[0] == points[1] and len(set(points[1])) == 16, "not the same 16 trials"
        print(f"parallel: 16 trials × {args.epochs} epochs: one at a time {one:.1f} s, two at a time {two:.1f} s: "
              f"**{one / two:.2f}×**")
        print(f"  one at a time: {parts_text(one, parts1)}\n  two at a time: {parts_text(two, parts2)}")
        print(ceiling())
    if "prune" in only:
        for prune in ("none", "median"):
            _, trials, _ = sweep(tmp / f"prune-{prune}", args, "--parallel", "2", "--prune", prune,
                              "--epochs", str(args.prune_epochs))
            epochs = sum(t["epochs"] or 0 for t in trials)
            best = max(t["accuracy"] or 0 for t in trials)
            pruned = sum(t["state"] == "pruned" for t in trials)
            print(f"prune {prune}: {epochs} epochs trained in all ({pruned} trials pruned), best accuracy {best:.1%}")
    if "overhead" in only:
        folder = tmp / "plain"
        folder.mkdir()
        path = make_project(folder, args.images, args.epochs)
        plain, _ = timed([sys.executable, "-c", PLAIN, str(ROOT), str(path), str(folder / "runs"), str(args.epochs)])
        ours, _, _ = sweep(tmp / "ours", args, "--parallel", "1", "--prune", "none", "--epochs", str(args.epochs))
        print(f"overhead: plain Optuna script {plain:.1f} s, cnnstudio sweep --parallel 1 {ours:.1f} s: "
              f"**{(ours / plain - 1) * 100:+.1f} %**")
    print(f"load after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
