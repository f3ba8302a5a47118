"""`cnnstudio sweep --nproc N`: every trial is an ordinary data-parallel run of N processes
(through the same launcher as `cnnstudio train --nproc N`), and the study keeps N for --join."""
from __future__ import annotations

from cnnstudio.cli import main
from cnnstudio.core.sweep import study as st

from .conftest import cli, finish, run_jsons


def test_each_trial_trains_in_two_processes(project_file, tmp_path):
    rc, lines, err = finish(cli("sweep", project_file, "--vary", "c1.out_channels=2,4", "--sampler", "grid",
                                "--epochs", "1", "--nproc", "2", "--json"), timeout=240)
    assert rc == 0, err
    trials, final = lines[:-1], lines[-1]
    assert sorted(t["trial"] for t in trials) == [0, 1] and all(t["state"] == "complete" for t in trials)
    assert final["summary"].startswith("2 trials: 2 complete") and "2 processes each" in err
    runs = run_jsons(tmp_path / "tiny.runs")
    assert len(runs) == 2 and all(r["status"] == "finished" and r["world_size"] == 2 and r["backend"] == "gloo"
                                  for r in runs)
    assert sorted(r["sweep"]["params"]["c1.out_channels"] for r in runs) == [2, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.cnnproj", "tiny.runs"]  # no trial file left behind
    study, settings, _ = st.load(st.open_storage(st.default_url(project_file)), "tiny")
    assert settings["nproc"] == 2  # what a --join worker reads


def test_nproc_must_be_a_count_and_belongs_to_the_study(project_file, capsys):
    assert main(["sweep", str(project_file), "--vary", "lr=0.1,0.2", "--trials", "2", "--nproc", "0"]) == 2
    err = capsys.readouterr().err
    assert "--nproc must be 1 or more" in err and err.count("\n") == 1
    assert main(["sweep", str(project_file), "--vary", "lr=0.1,0.2", "--trials", "2", "--nproc", "2",
                 "--objective", "accuracy,latency"]) == 2
    assert "latency" in capsys.readouterr().err
    assert main(["sweep", "--join", "sqlite:///nowhere.db", "--study", "tiny", "--nproc", "2"]) == 2
    assert "--join takes the study's own project, space and --nproc" in capsys.readouterr().err
