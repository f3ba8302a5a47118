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
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as st_save

from cnnstudio.cli import main
from cnnstudio.core import save_project
from cnnstudio.core.train.pointer import epoch_dir, last_files, read_pointer
from cnnstudio.core.train.engine import Trainer
from cnnstudio.core.train.lock import lock_run
from cnnstudio.core.train.runs import load_run, read_metrics

from .conftest import small_project

DRIVER = Path(__file__).with_name("kill_driver.py")
posix_only = pytest.mark.skipif(os.name != "posix", reason="kill -9, fork and RLIMIT_FSIZE are POSIX")


def train(project, run_dir, **kw):
    return Trainer(project, run_dir, callbacks=kw.pop("callbacks", []), **kw).run()


def helper(tmp_path, mode) -> dict:
    out = subprocess.run([sys.executable, str(DRIVER.with_name("fork_faults.py")), mode, str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def drive(tmp_path, *args) -> list[dict]:
    out = subprocess.run([sys.executable, str(DRIVER), str(tmp_path / "kills"), *map(str, args)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return [json.loads(line) for line in out.stdout.strip().splitlines()]


@posix_only
def test_kill_9_at_every_write_point_of_a_checkpoint_and_at_20_random_moments_loses_at_most_the_running_epoch(
        tmp_path):
    """Epoch 2 (the last): its metrics row, checkpoint files, pointer and run.json: kill -9 at each write call,
    then resume; then 20 kills at random moments of one run resumed after each. Every finished
    run equals one never killed (bench/faults.py: every write point of the whole run, 200 kills)."""
    points, randomly = drive(tmp_path, "suite", 20, 1)
    assert points["write_points"] >= 10 and points["kills"] == points["write_points"]
    assert points["failures"] == []
    assert randomly["kills"] == 20 and randomly["failures"] == []


@posix_only
def test_a_kill_at_every_write_point_of_a_save_leaves_the_old_or_the_new_file(tmp_path):
    result = helper(tmp_path, "save")
    assert result["cases"] >= 8 and result["failures"] == []


def _damage_cases(run: Path) -> dict:
    pointer = read_pointer(run)
    files = last_files(run)
    return {
        "no pointer": lambda: (run / "checkpoints/current.json").unlink(),
        "pointer garbage": lambda: (run / "checkpoints/current.json").write_text("{]"),
        "pointer to a missing epoch": lambda: (run / "checkpoints/current.json").write_text('{"last": 9, "best": 9}'),
        "weights garbage": lambda: files["weights"].write_bytes(b"\0" * 100),
        "optimizer missing": lambda: files["optimizer"].unlink(),
        "state garbage": lambda: files["state"].write_text("[1, 2"),
        "state without optimizer": lambda: files["state"].write_text('{"epoch": %d}' % pointer["last"]),
        "run.json garbage": lambda: (run / "run.json").write_text("{"),
        "weights of another network": lambda: files["weights"].write_bytes(st_save({"x": torch.zeros(2)})),
    }


DAMAGE = ["no pointer", "pointer garbage", "pointer to a missing epoch", "weights garbage", "optimizer missing",
          "state garbage", "state without optimizer", "run.json garbage", "weights of another network"]


@pytest.mark.parametrize("case", DAMAGE)
def test_a_refused_resume_changes_no_file(tmp_path, case, damaged_runs):
    run = tmp_path / "run"
    shutil.copytree(damaged_runs, run)
    _damage_cases(run)[case]()
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    code = main(["train", str(run / "project.cnnproj"), "--resume", str(run), "--epochs", "3"])
    after = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
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
    project = small_project(training={"epochs": 1})
    conv = next(n for n in project.graph.nodes.values() if n.type == "Conv2d")
    conv.params["out_channels"] = 32  # weights ≈ 30 KB, run.json a few KB
    save_project(project, project_file)

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_000, 16_000))
    cmd = [sys.executable, "-m", "cnnstudio", "train", str(project_file)]
    fresh, ok = tmp_path / "fresh", tmp_path / "ok"
    assert train(project, ok)["status"] == "finished"  # epoch 1, no limit
    runs = [subprocess.Popen(cmd + args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                             preexec_fn=limited)
            for args in (["--out", str(fresh)], ["--resume", str(ok), "--epochs", "2"])]
    (first, first_err), (second, second_err) = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    assert first == 3, first_err
    assert "file-size limit" in first_err and "Traceback" not in first_err
    assert "SafetensorError" not in first_err and "unexpectedly" not in first_err
    assert "no checkpoint to resume from" in first_err  # and no claim that one is kept
    assert not (fresh / "error.log").exists()
    info = json.loads((fresh / "run.json").read_text())
    assert info["status"] == "failed" and "file-size limit" in info["message"]
    # epoch 2 hit the limit: epoch 1's checkpoint is kept, and without the limit the run resumes
    assert second == 3 and "checkpoint of epoch 1 is kept" in second_err, second_err
    assert read_pointer(ok)["last"] == 1
    project.training["epochs"] = 2
    assert train(project, ok, resume=True)["status"] == "finished"
    assert [m["epoch"] for m in read_metrics(ok)] == [1, 2]


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
    behind (the race of a stale-lock takeover), fifteen times; at every moment one holds it."""
    result = helper(tmp_path, "lock")
    assert result["failures"] == []


def test_a_run_whose_writer_died_is_shown_stopped_and_can_be_trained_again(tmp_path):
    """What a kill in epoch 1 leaves (the kill loop above makes these for real): run.json still
    says running, a .lock file with the dead writer's pid, nobody holding the lock."""
    run = tmp_path / "run"
    assert train(small_project(training={"epochs": 1}), run)["status"] == "finished"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    info = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps(dict(info, status="running")))
    (run / ".lock").write_text(str(dead.pid))
    shown = load_run(run).info
    assert shown["status"] == "stopped" and "ended without finishing" in shown["message"]
    lock_run(run).release()  # the dead writer's lock is nobody's
    assert train(small_project(training={"epochs": 2}), run, resume=True)["status"] == "finished"


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
