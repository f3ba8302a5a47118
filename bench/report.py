"""`cnnstudio report` for a LeNet-5 run, against `python -c "import torch"` in the same run.

    .venv/bin/python bench/report.py [--runs 5] [--against OTHER_CHECKOUT]

Trains the LeNet-5 sample for one epoch on MNIST 5k into a temporary folder (once), then
launches `cnnstudio report RUN` and `python -c "import torch"` alternately and prints the
medians and their ratio (target ≤ 1.2×). With --against, the report of another checkout of CNN
Studio (e.g. a worktree of main) is launched in the same rounds, so the two compare on equal
footing. Every launch may write bytecode (PYTHONDONTWRITEBYTECODE is dropped): an installed
CNN Studio has it, and compiling the sources again cost each report ≈0.15 s.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd, env) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one launch. On a loaded machine the CPU time is the
    steadier figure: the wall clock includes waiting for a core."""
    before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    # run where PYTHONPATH points: `-m` puts the working folder first on the path
    subprocess.run(cmd, cwd=env["PYTHONPATH"], env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--against", metavar="DIR", help="another checkout of CNN Studio whose report to time too")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    # a private config and data folder (MNIST 5k's parsed cache included), as a user's after training
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT), CNNSTUDIO_CONFIG_DIR=str(work / "cfg"), CNNSTUDIO_DATA=str(work / "data"))
    py = sys.executable
    subprocess.run([py, "-m", "cnnstudio", "train", str(ROOT / "sample_projects" / "lenet5.cnnproj"),
                    "--epochs", "1", "--out", str(work / "run")], cwd=ROOT, env=env, check=True, capture_output=True)
    run = work / "run"
    cmds = {"import torch (baseline)": ([py, "-c", "import torch"], env),
            "cnnstudio report": ([py, "-m", "cnnstudio", "report", str(run), "-o", str(work / "report.html")], env)}
    if args.against:
        other = Path(args.against).resolve()
        cmds[f"report of {other.name}"] = (cmds["cnnstudio report"][0][:-1] + [str(work / "other.html")],
                                           {**env, "PYTHONPATH": str(other)})
    for cmd, e in cmds.values():
        timed(cmd, e)  # warm the disk cache (and write bytecode) for each
    times = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, (cmd, e) in cmds.items():
            times[name].append(timed(cmd, e))
    base = [statistics.median(t[k] for t in times["import torch (baseline)"]) for k in (0, 1)]
    print(f"LeNet-5 run, median of {args.runs} launches (interleaved); load average {os.getloadavg()[0]:.1f}")
    for name, ts in times.items():
        wall, cpu = (statistics.median(t[k] for t in ts) for k in (0, 1))
        verdict = f"  (target ≤ 1.2×: {'OK' if wall / base[0] <= 1.2 else 'MISSED'})" if name == "cnnstudio report" else ""
        print(f"  {name:<24} {wall * 1000:6.0f} ms {wall / base[0]:5.2f}× import torch{verdict}\n"
              f"  {'':<24} range {min(t[0] for t in ts) * 1000:.0f}–{max(t[0] for t in ts) * 1000:.0f} ms; "
              f"CPU {cpu * 1000:.0f} ms, {cpu / base[1]:.2f}× import torch's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
