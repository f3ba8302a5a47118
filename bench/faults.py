"""The long kill loop: kill -9 at every write point of a whole 2-epoch run, and at N random
moments of one run resumed after each kill; after every kill the checkpoint must be whole and
no older than the running epoch, and the finished run must equal one never killed.

    python bench/faults.py [N_RANDOM] [--seed S]
    python bench/faults.py --process      the process faults of --nproc 2 (bench/process_faults.py)

(The suite runs the write points of one epoch's checkpoint and 20 random kills.)
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "train" / "kill_driver.py"


def drive(out: Path, *args) -> dict:
    env_path = {"PYTHONPATH": str(ROOT)}
    import os
    proc = subprocess.run([sys.executable, str(DRIVER), str(out), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **env_path})
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--process", action="store_true", help="kill the front process or a rank of --nproc 2, "
                    "and start two trainings into one folder")
    args = ap.parse_args()
    if args.process:
        return process_faults()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode, extra in (("points", ()), ("random", (args.n, args.seed))):
            t0 = time.perf_counter()
            r = drive(Path(tmp) / mode, mode, *extra)
            bad += len(r["failures"])
            what = f"every write point ({r['write_points']})" if mode == "points" else "random moments"
            print(f"{mode}: {r['kills']} kills at {what}, {len(r['failures'])} runs that lost more than the "
                  f"running epoch or did not resume exactly ({time.perf_counter() - t0:.0f} s)")
            for f in r["failures"][:20]:
                print("   ", f)
    return 1 if bad else 0


def process_faults() -> int:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    from process_faults import CASES, run_case, table
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(CASES):
            rows.append(run_case(case, Path(tmp) / str(i)))
            print(f"  {case}: {rows[-1]['how']}", flush=True)
    print(table(rows))
    return 1 if any(r["left"] or not r["resumed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
