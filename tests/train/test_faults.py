"""The fault suite: kill -9 at every write point and at random, a full disk, damaged run
folders, two writers. After each, the run resumes (or the file reopens) with at most the
running epoch lost (issue 11, items 2, 3, 4, 9 and 13)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as st_save

from cnnstudio.cli import main
from cnnstudio.core import load_project, save_project
from cnnstudio.core.train.checkpoint import epoch_dir, last_files, read_pointer
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.lock import RunBusy, lock_run
from cnnstudio.core.train.runs import load_run, read_metrics

from .conftest import small_project

DRIVER = Path(__file__).with_name("kill_driver.py")
posix_only = pytest.mark.skipif(os.name != "posix", reason="kill -9, fork and RLIMIT_FSIZE are POSIX")


def train(project, run_dir, **kw):
    return Trainer(project, run_dir, callbacks=kw.pop("callbacks", []), **kw).run()


def drive(tmp_path, *args) -> dict:
    out = subprocess.run([sys.executable, str(DRIVER), str(tmp_path / "kills"), *map(str, args)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@posix_only
def test_a_kill_at_every_write_point_of_a_checkpoint_loses_at_most_the_running_epoch(tmp_path):
    """Epoch 2's metrics row, checkpoint files, pointer and run.json: kill -9 at each write call,
    then resume; the finished run equals one that was never killed (bench/faults.py: every
    write point of the whole run)."""
    result = drive(tmp_path, "epoch2")
    assert result["write_points"] >= 10 and result["kills"] == result["write_points"]
    assert result["failures"] == []


@posix_only
def test_twenty_random_kills_then_resume_lose_nothing(tmp_path):
    result = drive(tmp_path, "random", 20, 1)
    assert result["kills"] == 20 and result["failures"] == []


@posix_only
@pytest.mark.parametrize("kill_at", range(1, 9))  # a save makes 8 of these calls
def test_a_kill_at_every_write_point_of_a_save_leaves_the_old_or_the_new_file(tmp_path, kill_at):
    path = tmp_path / "p.cnnproj"
    old = small_project()
    save_project(old, path)
    before = path.read_bytes()
    new = small_project(training={"epochs": 7})
    new.name = "renamed"
    pid = os.fork()
    if pid == 0:  # the child saves and is killed at its kill_at-th file operation
        n = [0]
        for name in ("open", "fsync", "chmod", "replace", "close"):
            real = getattr(os, name)

            def hooked(*a, _real=real, **k):
                n[0] += 1
                if n[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return _real(*a, **k)
            setattr(os, name, hooked)
        save_project(new, path)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status)
    reopened = load_project(path)  # never half a file
    assert path.read_bytes() == before or reopened.name == "renamed"
    save_project(new, path)  # and the next save works, cleaning up after the killed one later
    assert load_project(path).name == "renamed"


def _damage_cases(run: Path) -> dict:
    pointer = read_pointer(run)
    files = last_files(run)
    return {
        "no pointer": lambda: (run / "checkpoints/current.json").unlink(),
        "pointer garbage": lambda: (run / "checkpoints/current.json").write_text("{]"),
        "pointer to a missing epoch": lambda: (run / "checkpoints/current.json").write_text('{"last": 9, "best": 9}'),
        "weights garbage": lambda: files["weights"].write_bytes(b"\0" * 100),
        "weights empty": lambda: files["weights"].write_bytes(b""),
        "optimizer missing": lambda: files["optimizer"].unlink(),
        "state garbage": lambda: files["state"].write_text("[1, 2"),
        "state a list": lambda: files["state"].write_text("[1, 2]"),
        "state without optimizer": lambda: files["state"].write_text('{"epoch": %d}' % pointer["last"]),
        "run.json garbage": lambda: (run / "run.json").write_text("{"),
        "run.json a list": lambda: (run / "run.json").write_text("[]"),
        "run.json missing": lambda: (run / "run.json").unlink(),
        "weights of another network": lambda: files["weights"].write_bytes(st_save({"x": torch.zeros(2)})),
    }


DAMAGE = ["no pointer", "pointer garbage", "pointer to a missing epoch", "weights garbage", "weights empty",
          "optimizer missing", "state garbage", "state a list", "state without optimizer", "run.json garbage",
          "run.json a list", "run.json missing", "weights of another network"]


@pytest.mark.parametrize("case", DAMAGE)
def test_a_refused_resume_changes_no_file(tmp_path, case, damaged_runs):
    run = tmp_path / "run"
    shutil.copytree(damaged_runs, run)
    _damage_cases(run)[case]()
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    code = main(["train", str(run / "project.cnnproj"), "--resume", str(run), "--epochs", "3"])
    after = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    if code == 0:  # only damage that resuming can honestly repair may pass: then the run is whole
        assert case in ("run.json missing",), case
        assert [m["epoch"] for m in read_metrics(run)] == [1, 2, 3]
        return
    assert code == 2, case
    assert after == before, f"{case}: {sorted(set(after) ^ set(before))}"


@pytest.fixture(scope="module")
def damaged_runs(tmp_path_factory):
    """One finished 2-epoch run to damage in copies."""
    run = tmp_path_factory.mktemp("runs") / "run"
    assert train(small_project(), run)["status"] == "finished"
    return run


def test_a_damaged_metrics_line_is_kept_reported_and_later_epochs_survive(tmp_path, damaged_runs):
    run = tmp_path / "run"
    shutil.copytree(damaged_runs, run)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(lines[0] + "\n" + "garbage {\n" + lines[1] + "\n")
    seen = []
    result = train(small_project(training={"epochs": 3}), run, resume=True, report=seen.append)
    assert result["status"] == "finished", result["message"]
    assert [m["epoch"] for m in read_metrics(run)] == [1, 2, 3]  # epoch 2 is not deleted
    assert "garbage {" in (run / "metrics.jsonl").read_text()  # the damaged line is kept
    assert any("line(s) 2" in n for n in load_run(run).info["notes"])
    assert any(m.get("type") == "status" and "damaged" in m["text"] for m in seen)


@posix_only
def test_a_full_disk_during_a_checkpoint_is_the_disk_message_and_resume_works(tmp_path, project_file):
    """RLIMIT_FSIZE makes the checkpoint's weights too big to write: the designed message, no
    error.log, nothing claimed that does not exist; lifting the limit, the run resumes."""
    import resource
    run = tmp_path / "run"
    project = small_project(training={"epochs": 1})
    conv = next(n for n in project.graph.nodes.values() if n.type == "Conv2d")
    conv.params["out_channels"] = 32  # weights ≈ 30 KB, run.json a few KB
    save_project(project, project_file)

    def limited(limit):
        def pre():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        return pre
    cmd = [sys.executable, "-m", "cnnstudio", "train", str(project_file)]
    first = subprocess.run(cmd + ["--out", str(run)], capture_output=True, text=True, timeout=300,
                           preexec_fn=limited(16_000))
    assert first.returncode == 3, first.stderr
    assert "file-size limit" in first.stderr and "Traceback" not in first.stderr
    assert "SafetensorError" not in first.stderr and "unexpectedly" not in first.stderr
    assert "no checkpoint to resume from" in first.stderr  # and no claim that one is kept
    assert not (run / "error.log").exists()
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "failed" and "file-size limit" in info["message"]
    # epoch 1 done without a limit; epoch 2 hits it; lifted again, the run resumes from epoch 1
    assert subprocess.run(cmd + ["--out", str(tmp_path / "ok")], capture_output=True, timeout=300).returncode == 0
    second = subprocess.run(cmd + ["--resume", str(tmp_path / "ok"), "--epochs", "2"], capture_output=True,
                            text=True, timeout=300, preexec_fn=limited(16_000))
    assert second.returncode == 3 and "checkpoint of epoch 1 is kept" in second.stderr, second.stderr
    assert read_pointer(tmp_path / "ok")["last"] == 1
    third = subprocess.run(cmd + ["--resume", str(tmp_path / "ok"), "--epochs", "2"], capture_output=True,
                           text=True, timeout=300)
    assert third.returncode == 0, third.stderr
    assert [m["epoch"] for m in read_metrics(tmp_path / "ok")] == [1, 2]


def test_a_memory_error_is_out_of_memory_and_claims_no_checkpoint_that_does_not_exist(tmp_path):
    class Bomb:
        def on_batch_end(self, ctx):
            raise MemoryError()
    result = train(small_project(), tmp_path / "run", callbacks=[Bomb()])
    assert result["kind"] == "oom" and "Out of memory" in result["message"]
    assert "no checkpoint to resume from" in result["message"] and "is kept" not in result["message"]
    assert not (tmp_path / "run" / "error.log").exists()


@posix_only
def test_two_writers_never_hold_one_run_folder(tmp_path):
    """Eight processes start at the same instant on a folder whose lock file a killed writer left
    behind (the race of a stale-lock takeover); at every moment at most one holds it."""
    run = tmp_path / "run"
    run.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that is surely gone
    log = tmp_path / "log"
    for _trial in range(15):
        (run / ".lock").write_text(str(dead.pid))  # left by a writer that was killed
        go_r, go_w = os.pipe()
        pids = []
        for _ in range(8):
            pid = os.fork()
            if pid == 0:
                os.close(go_w)
                os.read(go_r, 1)  # all start together
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
        assert all(os.WEXITSTATUS(os.waitpid(p, 0)[1]) == 0 for p in pids)
    holders = 0
    for line in log.read_text().split():
        holders += 1 if line[0] == "+" else -1
        assert holders <= 1, "two writers held the run folder at once"
    assert log.read_text().count("+") >= 15  # every trial had a writer


@posix_only
def test_a_run_killed_in_epoch_1_is_shown_stopped_and_can_be_trained_again(tmp_path, project_file):
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cnnstudio", "train", str(project_file), "--out", str(run),
                             "--epochs", "50"], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until it is really training
        if line.startswith("run folder:"):
            break
    proc.kill()
    proc.wait()
    info = load_run(run).info
    assert info["status"] == "stopped" and "ended without finishing" in info["message"]
    lock = lock_run(run)  # nobody holds the lock of a dead process
    lock.release()


def test_config_values_that_parse_but_cannot_train_are_bad_input_with_no_folder(tmp_path, project_file, capsys):
    for dataset, training in (({"id": "shapes", "count": 10 ** 12}, {}), ({"id": "shapes", "count": 2}, {}),
                              ({"id": "shapes", "image_size": [4096, 4096]}, {}),
                              ({"id": "shapes", "image_size": 16}, {"device": "cuda:x"})):
        p = small_project(dataset=dataset, training=training)
        save_project(p, project_file)
        out = tmp_path / "run"
        code = main(["train", str(project_file), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2, (dataset, err)
        assert "unexpectedly" not in err and not out.exists(), (dataset, err)


def test_resuming_keeps_only_the_checkpoints_it_needs(tmp_path):
    run = tmp_path / "run"
    assert train(small_project(training={"epochs": 3}), run)["status"] == "finished"
    pointer = read_pointer(run)
    kept = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert kept == sorted({"current.json", f"epoch-{pointer['last']}", f"epoch-{pointer['best']}"})
    assert epoch_dir(run, pointer["best"]).exists()
