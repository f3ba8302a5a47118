"""`cnnstudio report` for a LeNet-5 run, against `python -c "import torch"` in the same run.

    .venv/bin/python bench/report.py [--runs 5]

Trains the LeNet-5 sample for one epoch on MNIST 5k into a temporary folder (once), then
launches `cnnstudio report RUN` and `python -c "import torch"` alternately and prints the
medians and their ratio (target ≤ 1.2×).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd, env) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CNNSTUDIO_CONFIG_DIR": str(work / "cfg")}
    py = sys.executable
    subprocess.run([py, "-m", "cnnstudio", "train", str(ROOT / "sample_projects" / "lenet5.cnnproj"),
                    "--epochs", "1", "--out", str(work / "run")], cwd=ROOT, env=env, check=True, capture_output=True)
    run = work / "run"
    report = [py, "-m", "cnnstudio", "report", str(run), "-o", str(work / "report.html")]
    torch_ = [py, "-c", "import torch"]
    timed(torch_, env), timed(report, env)  # warm the disk cache for both
    rep, tor = [], []
    for _ in range(args.runs):
        tor.append(timed(torch_, env))
        rep.append(timed(report, env))
    r, t = statistics.median(rep), statistics.median(tor)
    print(f"LeNet-5 run, median of {args.runs} launches (interleaved)")
    print(f"  import torch (baseline)  {t * 1000:7.0f} ms")
    print(f"  cnnstudio report         {r * 1000:7.0f} ms   {r / t:4.2f}× import torch   "
          f"(target ≤ 1.2×: {'OK' if r / t <= 1.2 else 'MISSED'})")
    print(f"  ranges: report {min(rep) * 1000:.0f}–{max(rep) * 1000:.0f} ms, torch {min(tor) * 1000:.0f}–{max(tor) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
