"""`cnnstudio report` on damaged run folders: a report or a message, never a traceback
(issue 11, item 7)."""
from __future__ import annotations

import json
import shutil

import pytest

from cnnstudio.cli import main
from cnnstudio.core.train.runs import list_runs, load_run

INFO = {"best value a string": ("best", {"epoch": 1, "metric": "val_accuracy", "value": "high"}),
        "best a list": ("best", [1, 2]),
        "best epoch a list": ("best", {"epoch": [1], "metric": "val_accuracy", "value": 0.5}),
        "best metric a number": ("best", {"epoch": 1, "metric": 7, "value": 0.5}),
        "dataset a list": ("dataset", [1]),
        "classes a string": ("classes", "abc"),
        "classes with numbers": ("classes", [1, None, {"a": 1}]),
        "status a dict": ("status", {"a": 1}),
        "task unknown": ("task", ["box"]),
        "device a number": ("device", 5)}
ROWS = {"row a list": "[1, 2, 3]",
        "huge values": '{"epoch": 1, "train_loss": 1e308, "val_loss": -1e308, "val_accuracy": 1e308}',
        "string values": '{"epoch": 1, "train_loss": "x", "val_accuracy": [1], "lr": {"a": 1}}',
        "epoch a string": '{"epoch": "1", "train_loss": 0.5}',
        "epoch huge": '{"epoch": 100000000000000000000, "train_loss": 0.5}',
        "garbage": "{{{{"}


@pytest.mark.parametrize("case", sorted(INFO) + sorted(ROWS))
def test_report_on_a_damaged_run_is_a_report_or_a_message(tmp_path, small_run, case, capsys):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    if case in INFO:
        key, value = INFO[case]
        info = json.loads((run / "run.json").read_text())
        info[key] = value
        (run / "run.json").write_text(json.dumps(info))
    else:
        with open(run / "metrics.jsonl", "a") as f:
            f.write(ROWS[case] + "\n")
    code = main(["report", str(run), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 0 or (code in (1, 2) and err.strip()), (case, err)
    if code == 0:
        assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    load_run(run).label  # the Training dock's run list shows it
    assert [r.path for r in list_runs(tmp_path)] == [run]
