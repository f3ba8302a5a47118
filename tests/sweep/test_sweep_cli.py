"""`cnnstudio sweep` as a person runs it: a grid runs every combination once, each trial an
ordinary run that records its parameters; an invalid one is pruned and never trained; bad
input is one line and exit 2 before anything runs."""
from __future__ import annotations

import json

import pytest

from cnnstudio.cli import main

from .conftest import cli, finish, run_jsons


def test_a_grid_runs_every_combination_once_and_prunes_the_invalid_one(project_file, tmp_path):
    rc, lines, err = finish(cli("sweep", project_file, "--vary", "c1.out_channels=2,4", "--vary", "c1.kernel_size=3,40",
                                "--sampler", "grid", "--parallel", "2", "--epochs", "1", "--json"))
    assert rc == 0, err
    trials, final = lines[:-1], lines[-1]
    combos = sorted((t["params"]["c1.out_channels"], t["params"]["c1.kernel_size"]) for t in trials)
    assert combos == [(2, 3), (2, 40), (4, 3), (4, 40)]  # each exactly once
    assert sorted(t["trial"] for t in trials) == [0, 1, 2, 3]
    invalid = [t for t in trials if t["params"]["c1.kernel_size"] == 40]
    assert all(t["state"] == "pruned" and t["run"] is None and "invalid" in t["reason"] and "16×16" in t["reason"]
               for t in invalid)
    trained = [t for t in trials if t["state"] == "complete"]
    assert len(trained) == 2 and all(0 <= t["values"]["accuracy"] <= 1 for t in trained)
    runs = run_jsons(tmp_path / "tiny.runs")  # only the valid ones became runs, in the project's run folder
    assert sorted((r["sweep"]["trial"], r["sweep"]["params"]["c1.out_channels"]) for r in runs) == \
        sorted((t["trial"], t["params"]["c1.out_channels"]) for t in trained)
    assert all(r["sweep"]["study"] == "tiny" and r["status"] == "finished" for r in runs)
    assert final["done"] and final["best"][0]["values"]["accuracy"] == max(t["values"]["accuracy"] for t in trained)
    assert "pruned: invalid" in err and "Best: trial" in err
    assert "epoch 1/1 val accuracy " in err and "complete: accuracy " in err  # the score, named
    # the study's report: one HTML with the table and the plots
    assert main(["report", str(project_file), "--study", "tiny", "-o", str(tmp_path / "study.html")]) == 0
    page = (tmp_path / "study.html").read_text()
    assert "Pareto front" in page and "Parallel coordinates" in page and page.count("<tr>") >= 5
    assert "<h2>Accuracy against cost</h2>" in page and "<th>accuracy</th>" in page


@pytest.mark.parametrize("args, words", [
    ([], "give a project file"),
    (["{p}"], "nothing to vary"),
    (["{p}", "--vary", "c1.out_channels=0,4"], "c1.out_channels = 0 is refused"),
    (["{p}", "--vary", "nope.x=1,2"], "no block 'nope'"),
    (["{p}", "--vary", "lr=1e-3:1e-1"], "--trials N is needed"),
    (["{p}", "--vary", "lr=1e-3:1e-1", "--sampler", "grid"], "a grid sweep needs choices"),
    (["{p}", "--vary", "lr=0.1,0.2", "--trials", "2", "--objective", "speed"], "choose from score"),
    (["{p}", "--vary", "lr=0.1,0.2", "--trials", "2", "--storage", "postgresql+psycopg://u:secret@127.0.0.1:9/x"],
     "cannot open the study storage"),
    (["--join", "sqlite:///{d}/none.db", "--study", "x"], "there is no study 'x'"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_trial(project_file, tmp_path, capsys, args, words):
    args = [a.format(p=project_file, d=tmp_path) for a in args]
    assert main(["sweep", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert "secret" not in err  # a password in a URL is never printed
    assert not (tmp_path / "tiny.runs").exists() or not any((tmp_path / "tiny.runs").glob("*/run.json"))


def test_the_same_command_again_resumes_and_a_changed_space_is_refused(project_file, capsys):
    from cnnstudio.core.sweep import study as st
    from cnnstudio.core.sweep.setup import new_study
    from cnnstudio.core.sweep.space import SweepError, parse_vary
    url, name, _ = new_study(project_file, [parse_vary("lr=0.1:0.2")], trials=2)
    assert new_study(project_file, [parse_vary("lr=0.1:0.2")], trials=3)[:2] == (url, name)  # found again
    assert st.load(st.open_storage(url), name)[1]["trials"] == 3
    with pytest.raises(SweepError, match="already exists with another space"):
        new_study(project_file, [parse_vary("lr=0.3:0.4")], trials=2)
    assert json.loads(json.dumps(st.load(st.open_storage(url), name)[1]["space"])) == {"lr": {"low": 0.1, "high": 0.2}}
