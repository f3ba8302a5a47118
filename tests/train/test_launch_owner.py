"""Only the run's lock holder writes its folder, launcher included; the ranks of `--nproc 2`
die with the front process; SIGTERM stops like Ctrl-C (issue 19, items 2 and 5).
bench/faults.py runs the longer table: SIGTERM of --nproc's front, one rank killed, two writers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnstudio.cli import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX here")
ROOT = Path(__file__).resolve().parents[2]


def _procs_with(text: str) -> list[int]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if text in line and "ps -ww" not in line]


def _start(*argv) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "cnnstudio", "train", *map(str, argv)], env=env, cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_refused_resume_leaves_the_run_alone_and_the_ranks_die_with_a_killed_front(project_file, tmp_path,
                                                                                      capsys):
    run = tmp_path / "run"
    front = _start(project_file, "--out", run, "--nproc", 2, "--epochs", 500, "--json")
    try:
        json.loads(front.stdout.readline())  # epoch 1 done: rank 0 holds the run
        before = (run / "run.json").read_bytes()
        # a second launch resuming the same run: refused by its rank 0, and its launcher writes nothing
        assert main(["train", str(project_file), "--resume", str(run), "--nproc", "2"]) != 0
        err = capsys.readouterr().err
        assert "is being trained by another process" in err and "rank 0" not in err, err
        assert json.loads((run / "run.json").read_text())["status"] == "running"
        assert not (run / "launcher.log").exists()
        assert len(_procs_with(str(run))) == 4  # the front, torchrun's agent, two ranks
        front.kill()  # kill -9 of the front process: its children follow
        front.wait(30)
        deadline = time.monotonic() + 45
        while _procs_with(str(run)) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        left = _procs_with(str(run))
        for pid in left:  # the machine stays clean even when the test fails
            os.kill(pid, signal.SIGKILL)
    assert not left, "processes went on training after the front process was killed"
    assert main(["train", str(project_file), "--resume", str(run), "--epochs", "2"]) == 0  # and it resumes
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    assert before  # run.json was there all along


def test_sigterm_stops_a_training_like_ctrl_c(project_file, tmp_path):
    run = tmp_path / "run"
    proc = _start(project_file, "--out", run, "--epochs", 2000, "--json")
    json.loads(proc.stdout.readline())  # one epoch done
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "Traceback" not in err, err
    assert "Stopping after this batch" in err and "Resume with" in err
    assert json.loads((run / "run.json").read_text())["status"] == "stopped"
