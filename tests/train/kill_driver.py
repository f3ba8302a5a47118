"""Kill -9 a training run at chosen moments, resume it, and check nothing was lost.

    python tests/train/kill_driver.py OUT points          # a kill at every write point of a run
    python tests/train/kill_driver.py OUT epoch2          # ... of epoch 2 (its metrics, checkpoint, run.json)
    python tests/train/kill_driver.py OUT random N SEED   # N kills at random moments, one run resumed each time
    python tests/train/kill_driver.py OUT suite N SEED    # epoch2, then random (one start-up for both)

Each run is a forked child of this process (torch is imported once, one thread, so forking is
safe), killed with SIGKILL from inside at a write point or from here after a random delay. After
each kill the run folder must hold a whole checkpoint no older than the epoch that was running;
at the end the run is resumed to completion and must equal an uninterrupted run: every epoch's
row once, and the same weights. Prints one JSON object with the counts and any failure.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)

from cnnstudio.core import Graph, Project  # noqa: E402
from cnnstudio.core.data import load_dataset  # noqa: E402
from cnnstudio.core.train.pointer import has_checkpoint, read_pointer  # noqa: E402
from cnnstudio.core.train.engine import Trainer  # noqa: E402
from cnnstudio.core.train.runs import load_run, read_metrics  # noqa: E402

EPOCHS = 2
WRITE_CALLS = ("replace", "fsync", "mkdir", "unlink", "ftruncate")  # os functions: the moments a file changes


def project(epochs=EPOCHS) -> Project:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    x = g.add("Conv2d", x, out_channels=8, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, kernel_size=2)
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=3)
    return Project("kill", g, {"id": "shapes", "image_size": 16, "count": 120, "classes": ["circle", "square", "cross"]},
                   {"epochs": epochs, "batch_size": 32, "optimizer": "adam", "lr": 0.003, "schedule": "cosine",
                    "cpu_threads": 1})


DATASET = load_dataset(project().dataset)
WARM: list = []


class Epoch:  # tells the parent which epoch is running when the child dies
    def __init__(self, fd):
        self.fd = fd

    def on_epoch_start(self, ctx):
        os.write(self.fd, f"{ctx.epoch}\n".encode())


def child(run_dir: Path, kill_at: int | None, report_fd: int) -> None:
    """Train (resuming when there is a checkpoint); with kill_at, SIGKILL itself at that write call."""
    if kill_at is not None:
        count = [0]
        for name in WRITE_CALLS:
            real = getattr(os, name)

            def hooked(*a, _real=real, **k):
                count[0] += 1
                if count[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return _real(*a, **k)
            setattr(os, name, hooked)
    resume = has_checkpoint(run_dir)
    if not resume and run_dir.exists():  # killed before any epoch finished: a user starts again
        shutil.rmtree(run_dir)
    Trainer(project(), run_dir, resume=resume, callbacks=[Epoch(report_fd)], dataset=DATASET).run()


def run_child(run_dir: Path, kill_at: int | None = None, kill_after_s: float | None = None) -> tuple[int, int]:
    """(exit signal or status, the epoch that was running last)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            child(run_dir, kill_at, w)
            code = 0
        except BaseException:  # noqa: BLE001 - reported as an exit status
            code = 1
        os._exit(code)
    os.close(w)
    if kill_after_s is not None:
        time.sleep(kill_after_s)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    epochs = os.read(r, 1 << 16).decode().split()
    os.close(r)
    return status, int(epochs[-1]) if epochs else 0


def count_write_calls(run_dir: Path) -> list[int]:
    """A whole run here; → the write-call count at each epoch's start and at the end. It also
    imports everything training needs (the optimizer pulls in torch._dynamo: seconds), once,
    before any child is forked."""
    n, saved = [0], {name: getattr(os, name) for name in WRITE_CALLS}
    marks = []

    class Mark:
        def on_epoch_start(self, ctx):
            marks.append(n[0])
    for name, real in saved.items():
        def hooked(*a, _real=real, **k):
            n[0] += 1
            return _real(*a, **k)
        setattr(os, name, hooked)
    try:
        Trainer(project(), run_dir, callbacks=[Mark()], dataset=DATASET).run()
    finally:
        for name, real in saved.items():
            setattr(os, name, real)
    return marks + [n[0]]


def check_after_kill(run_dir: Path, running: int) -> str | None:
    """What is wrong with a killed run folder, or None: the checkpoint must be whole and at most
    the running epoch may be missing."""
    if not run_dir.exists():
        return None if running <= 1 else f"run folder gone after a kill in epoch {running}"
    pointer = read_pointer(run_dir)
    last = pointer["last"] if pointer else 0
    if last < running - 1:
        return f"killed in epoch {running} but the checkpoint is of epoch {last}"
    if pointer:
        load_run(run_dir).model("last")  # loads: whole and consistent
        load_run(run_dir).model("best")
    return None


def finish_and_compare(run_dir: Path, reference: dict) -> str | None:
    status, _ = run_child(run_dir)
    if status != 0:
        return f"the final resume exited with {status}"
    run = load_run(run_dir)
    epochs = [m["epoch"] for m in read_metrics(run_dir)]
    if epochs != list(range(1, EPOCHS + 1)):
        return f"metrics epochs {epochs}"
    if run.info.get("status") != "finished":
        return f"status {run.info.get('status')}: {run.info.get('message')}"
    weights = run.model("last").state_dict()
    if not all(torch.allclose(weights[k], reference[k], atol=1e-6) for k in reference):
        return "the resumed weights differ from an uninterrupted run's"
    return None


def main(out: Path, mode: str, n: int = 20, seed: int = 0) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    ref_dir = out / "reference"
    shutil.rmtree(ref_dir, ignore_errors=True)
    if not WARM:  # the first run also imports (and creates caches): its count is off
        count_write_calls(ref_dir)
        shutil.rmtree(ref_dir)
        WARM.append(True)
    marks = count_write_calls(ref_dir)
    reference = load_run(ref_dir).model("last").state_dict()
    failures, kills = [], 0
    points = range(1, marks[-1] + 1) if mode == "points" else range(marks[1] + 1, marks[2] + 1)
    if mode in ("points", "epoch2"):
        for k in points:
            run_dir = out / f"point-{k}"
            shutil.rmtree(run_dir, ignore_errors=True)
            status, running = run_child(run_dir, kill_at=k)
            kills += os.WIFSIGNALED(status)
            problem = check_after_kill(run_dir, running) or finish_and_compare(run_dir, reference)
            if problem:
                failures.append(f"write point {k}: {problem}")
    else:
        rng = random.Random(seed)
        run_dir = out / "random"
        shutil.rmtree(run_dir, ignore_errors=True)
        t0 = time.perf_counter()
        run_child(run_dir)  # how long a whole run takes in a child: kills come within that
        run_s = time.perf_counter() - t0
        shutil.rmtree(run_dir)
        for _ in range(4 * n):
            if kills == n:
                break
            status, running = run_child(run_dir, kill_after_s=rng.uniform(0, run_s))
            if not os.WIFSIGNALED(status):  # it finished before the kill came: start another run to kill
                shutil.rmtree(run_dir)
                continue
            kills += 1
            problem = check_after_kill(run_dir, running)
            if problem:
                failures.append(f"kill {kills}: {problem}")
        problem = finish_and_compare(run_dir, reference)
        if problem:
            failures.append(f"after {n} random kills: {problem}")
    return {"mode": mode, "write_points": len(points), "kills": kills, "failures": failures}


if __name__ == "__main__":
    args = sys.argv[1:]
    out, mode, rest = Path(args[0]), args[1], [int(a) for a in args[2:]]
    for m in (("epoch2", "random") if mode == "suite" else (mode,)):
        print(json.dumps(main(out, m, *rest)), flush=True)
