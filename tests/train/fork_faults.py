"""Kills and races that need fork, run in a small process of their own (no torch: forking it is
cheap). Used by tests/train/test_faults.py.

    python tests/train/fork_faults.py save FOLDER    # kill -9 at every file call of a project save
    python tests/train/fork_faults.py lock FOLDER    # 15 × 8 writers racing for one run folder

Prints one JSON object: {"cases", "failures"}.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cnnstudio.core import Graph, Project, load_project, save_project
from cnnstudio.core.train.lock import RunBusy, lock_run

SAVE_CALLS = ("open", "fsync", "chmod", "replace", "close")  # the os calls of one atomic save


def project(name: str, epochs: int) -> Project:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    g.add("Conv2d", x, out_channels=8, kernel_size=3)
    return Project(name, g, {"id": "shapes"}, {"epochs": epochs})


def save_kills(folder: Path) -> dict:
    """Kill a save at each of its os calls: the file is always the old or the new one, whole."""
    path, failures, k = folder / "p.cnnproj", [], 0
    while True:
        k += 1
        save_project(project("old", 1), path)
        before = path.read_bytes()
        pid = os.fork()
        if pid == 0:
            n = [0]
            for name in SAVE_CALLS:
                real = getattr(os, name)

                def hooked(*a, _real=real, **kw):
                    n[0] += 1
                    if n[0] == k:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return _real(*a, **kw)
                setattr(os, name, hooked)
            save_project(project("new", 7), path)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if not os.WIFSIGNALED(status):  # the save finished before call k: every call was a kill point
            return {"cases": k - 1, "failures": failures}
        try:
            name = load_project(path).name
            if not (path.read_bytes() == before or name == "new"):
                failures.append(f"call {k}: neither the old nor the new file")
        except Exception as e:  # noqa: BLE001
            failures.append(f"call {k}: {e}")


def lock_race(folder: Path, trials: int = 15, writers: int = 8) -> dict:
    """Writers start at the same instant on a folder whose lock a killed writer left behind."""
    run, log = folder / "run", folder / "log"
    run.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that is surely gone
    for _ in range(trials):
        (run / ".lock").write_text(str(dead.pid))
        go_r, go_w = os.pipe()
        pids = []
        for _ in range(writers):
            pid = os.fork()
            if pid == 0:
                os.close(go_w)
                os.read(go_r, 1)
                code = 0
                try:
                    lock = lock_run(run)
                    with open(log, "a") as f:
                        f.write(f"+{os.getpid()}\n")
                    time.sleep(0.02)
                    with open(log, "a") as f:
                        f.write(f"-{os.getpid()}\n")
                    lock.release()
                except RunBusy:
                    pass
                except BaseException:  # noqa: BLE001
                    code = 1
                os._exit(code)
            pids.append(pid)
        os.close(go_r)
        os.close(go_w)  # go
        for p in pids:
            os.waitpid(p, 0)
    failures, holders = [], 0
    entries = log.read_text().split() if log.exists() else []
    for line in entries:
        holders += 1 if line[0] == "+" else -1
        if holders > 1:
            failures.append("two writers held the run folder at once")
    if sum(e[0] == "+" for e in entries) < trials:
        failures.append("a trial had no writer")
    return {"cases": trials, "failures": failures}


if __name__ == "__main__":
    mode, folder = sys.argv[1], Path(sys.argv[2])
    print(json.dumps((save_kills if mode == "save" else lock_race)(folder)))
