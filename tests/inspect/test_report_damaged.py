"""`cnnstudio report` on damaged run folders: a report or a message, never a traceback
(issue 11, item 7)."""
from __future__ import annotations

import json
import shutil

import pytest

from cnnstudio.cli import main
from cnnstudio.core.train.runs import list_runs, load_run

# each case damages several keys at once: one report per case keeps the test quick
CASES = {
    "best value a string, odd keys": ({"best": {"epoch": 1, "metric": "val_accuracy", "value": "high"},
                                       "dataset": [1], "classes": "abc", "status": {"a": 1}, "task": ["box"],
                                       "device": 5}, None),
    "best a list, classes not text": ({"best": [1, 2], "classes": [1, None, {"a": 1}]}, None),
    "best epoch a list": ({"best": {"epoch": [1], "metric": "val_accuracy", "value": 0.5}}, None),
    "best metric a number": ({"best": {"epoch": 1, "metric": 7, "value": 0.5}}, None),
    "damaged rows": ({}, ["[1, 2, 3]", '{"epoch": 1, "train_loss": 1e308, "val_loss": -1e308, "val_accuracy": 1e308}',
                          '{"epoch": 1, "train_loss": "x", "val_accuracy": [1], "lr": {"a": 1}}',
                          '{"epoch": "1", "train_loss": 0.5}', '{"epoch": 100000000000000000000, "train_loss": 0.5}',
                          "{{{{"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_on_a_damaged_run_is_a_report_or_a_message(tmp_path, small_run, case, capsys):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    info_changes, rows = CASES[case]
    info = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**info, **info_changes}))
    with open(run / "metrics.jsonl", "a") as f:
        f.writelines(r + "\n" for r in rows or [])
    code = main(["report", str(run), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 0 or (code in (1, 2) and err.strip()), (case, err)
    if code == 0:
        assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    load_run(run).label  # the Training dock's run list shows it
    assert [r.path for r in list_runs(tmp_path)] == [run]
