"""The process faults of `cnnstudio train --nproc 2` (run by bench/faults.py --process): the front
process killed with SIGKILL or SIGTERM, one rank killed, two trainings started into one folder.
Each case must end with no process left and a run that resumes (one more epoch, exit 0)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ("front SIGKILL", "front SIGTERM", "rank 1 SIGKILL", "two writers, one folder")


def _procs(text: str) -> list[tuple[int, int, str]]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        pid, ppid, args = line.split(None, 2)
        if text in args and "ps -ww" not in args:
            rows.append((int(pid), int(ppid), args))
    return rows


def _front(project: Path, run: Path, env: dict, epochs: int = 500) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cnnstudio", "train", str(project), "--out", str(run),
                             "--nproc", "2", "--epochs", str(epochs), "--json"], env=env, cwd=str(project.parent),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_gone(text: str, limit_s: float = 60) -> list:
    deadline = time.monotonic() + limit_s
    while _procs(text) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _procs(text)


def run_case(case: str, folder: Path) -> dict:
    sys.path.insert(0, str(ROOT / "tests" / "train"))
    from conftest import small_project  # noqa: E402 - the training tests' tiny project

    from cnnstudio.core import save_project
    folder.mkdir(parents=True)
    project = folder / "tiny.cnnproj"
    save_project(small_project(), project)
    run = folder / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    two = case.startswith("two")
    fronts = [_front(project, run, env, 3 if two else 500) for _ in range(2 if two else 1)]
    if two:
        outs = [f.communicate(timeout=300) for f in fronts]
        codes, errs = [f.returncode for f in fronts], [e for _, e in outs]
        loser = errs[codes.index(max(codes))].strip().splitlines()[-1:] if max(codes) else ["(both finished?)"]
        how = f"exits {sorted(codes)}; the other: {loser[0][:90]}"
    else:
        front = fronts[0]
        json.loads(front.stdout.readline())  # epoch 1 finished
        if case == "front SIGKILL":
            front.kill()
        elif case == "front SIGTERM":
            front.send_signal(signal.SIGTERM)
        else:
            ranks = [p for p in _procs(str(run)) if " -u -m cnnstudio train" in p[2]]
            agent = {p[1] for p in ranks}
            victim = max(ranks, key=lambda p: p[0])  # one of the two ranks
            os.kill(victim[0], signal.SIGKILL)
            assert len(agent) == 1
        _, err = front.communicate(timeout=300)  # read as it ends: a full pipe would stall it
        code, err = front.returncode, err.strip().splitlines()
        how = f"front exit {code}" + (f": {err[-2][:90] if len(err) > 1 else ''}" if code not in (-9,) else "")
    left = _wait_gone(str(run))
    for pid, _, _ in left:  # leave the machine clean whatever happened
        os.kill(pid, signal.SIGKILL)
    status = json.loads((run / "run.json").read_text()).get("status") if (run / "run.json").exists() else None
    done = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])["epoch"]
    resumed = subprocess.run([sys.executable, "-m", "cnnstudio", "train", str(project), "--resume", str(run),
                              "--epochs", str(done + 1)], env=env, capture_output=True, text=True, timeout=300)
    return {"case": case, "how": how, "left": len(left), "status": status, "epochs": done,
            "resumed": resumed.returncode == 0, "seconds": time.perf_counter() - t0,
            "resume_error": resumed.stderr.strip().splitlines()[-1:] if resumed.returncode else None}


def table(rows: list[dict]) -> str:
    lines = ["| case | how it ended | processes left | run.json status | resumed (1 more epoch) | s |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['how']} | {r['left']} | {r['status']} | "
                     f"{'yes' if r['resumed'] else 'NO ' + str(r['resume_error'])} | {r['seconds']:.0f} |")
    return "\n".join(lines)
