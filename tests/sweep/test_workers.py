"""Several workers on one study: a sweep killed mid-trial is finished by two `sweep --join`
processes (the killed trial resumed from its checkpoint, N trials in all, none run twice),
and two workers share a study over a real PostgreSQL server."""
from __future__ import annotations

import os
import signal
from collections import Counter

from cnnstudio.core.sweep import study as st
from cnnstudio.core.sweep.results import rows
from cnnstudio.core.sweep.setup import new_study
from cnnstudio.core.sweep.space import parse_vary

from .conftest import cli, finish, postgres_server, run_jsons


def _join_twice(url, name, cwd) -> list[dict]:
    """Two `cnnstudio sweep --join` processes at once; → the trials they finished."""
    a, b = (cli("sweep", "--join", url, "--study", name, "--json", cwd=cwd) for _ in range(2))
    (rc_a, lines_a, err_a), (rc_b, lines_b, err_b) = finish(a), finish(b)
    assert rc_a == rc_b == 0, err_a + err_b
    assert lines_a[-1]["done"] and lines_b[-1]["done"]
    return lines_a[:-1] + lines_b[:-1]


def test_a_killed_sweep_is_finished_by_two_join_workers(project_file, tmp_path):
    proc = cli("sweep", project_file, "--vary", "c1.out_channels=2,3,4,5", "--sampler", "grid", "--epochs", "6",
               "--prune", "none", start_new_session=True)
    for line in proc.stderr:  # a trial has finished two epochs: its checkpoint is on disk
        if "epoch 2/6" in line:
            break
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, as a crash or `kill -9` would
    proc.wait()
    killed = run_jsons(tmp_path / "tiny.runs")
    assert len(killed) == 1 and killed[0]["status"] == "running" and killed[0]["epochs_done"] >= 2

    url = st.default_url(project_file)
    done = _join_twice(url, "tiny", tmp_path)
    assert all(t["state"] == "complete" for t in done), done
    study, settings, _ = st.load(st.open_storage(url), "tiny")
    table = rows(study, settings)
    kept = [r for r in table if not r["rerun"]]
    assert sorted(r["params"]["c1.out_channels"] for r in kept) == [2, 3, 4, 5]  # N trials, each once
    assert [r["reason"] for r in table if r["rerun"]] == ["interrupted: its process was killed"]
    runs = run_jsons(tmp_path / "tiny.runs")
    assert Counter(r["sweep"]["params"]["c1.out_channels"] for r in runs) == Counter([2, 3, 4, 5])  # one run each
    assert all(r["status"] == "finished" and r["epochs_done"] == 6 for r in runs)
    resumed = [r for r in runs if r.get("resumed")]  # the killed trial went on from its checkpoint
    assert len(resumed) == 1 and resumed[0]["resumed"][0]["at_epoch"] >= killed[0]["epochs_done"]


def test_two_join_workers_over_postgresql(project_file, tmp_path):
    with postgres_server() as url:
        new_study(project_file, [parse_vary("lr=1e-3:1e-1:log")], trials=4, sampler="random", seed=0, epochs=1, prune="none",
                  storage=url, name="over-postgres")
        done = _join_twice(url, "over-postgres", tmp_path)
        assert sorted(t["trial"] for t in done) == [0, 1, 2, 3] and all(t["state"] == "complete" for t in done)
        assert len({t["params"]["lr"] for t in done}) == 4  # the two seeded workers proposed different trials
        study, settings, _ = st.load(st.open_storage(url), "over-postgres")
        assert [r["state"] for r in rows(study, settings)] == ["complete"] * 4
    assert Counter(r["sweep"]["trial"] for r in run_jsons(tmp_path / "tiny.runs")) == Counter(range(4))


def test_seeded_grid_workers_share_one_order(project_file, monkeypatch):
    """A seeded grid shuffled alike in every worker: trials asked in turn by two workers (each
    opens the study as `cnnstudio sweep --parallel 2` does) cover the grid once, no point twice."""
    from cnnstudio.core.sweep.trial import suggest
    url, name, _ = new_study(project_file, [parse_vary("c1.out_channels=2,3,4"), parse_vary("lr=0.01,0.1,1")],
                             sampler="grid", seed=7, prune="none", epochs=1)
    workers = []
    for pid in (1001, 1002):  # the worker's seed is made from its process id
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        workers.append(st.load(st.open_storage(url), name))
    points = []
    for n in range(9):
        study, _, dims = workers[n % 2]
        trial = study.ask()
        points.append(tuple(suggest(trial, dims).values()))
        study.tell(trial, [0.5])
    assert sorted(points) == [(c, lr) for c in (2, 3, 4) for lr in (0.01, 0.1, 1)]
