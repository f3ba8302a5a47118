"""A small finite space is listed, not sampled: when every setting varied is a list of values (or
a whole-number range) and the combinations are no more than the trials asked, each combination
is tried once (a grid), and the sweep says so; a larger or continuous space keeps its search, and
a study resumes with the same command either way."""
from __future__ import annotations

import pytest

from cnnstudio.core.sweep import study as st
from cnnstudio.core.sweep.setup import new_study, plan
from cnnstudio.core.sweep.space import parse_vary

from .conftest import cli, finish

NOTE = "each is tried once (a grid search, not TPE)"


def test_three_values_in_five_trials_are_each_tried_once_and_the_sweep_says_so(project_file):
    rc, lines, err = finish(cli("sweep", project_file, "--vary", "c1.out_channels=3,6,12", "--trials", "5",
                                "--epochs", "1", "--prune", "none", "--json"))
    assert rc == 0, err
    trials = lines[:-1]  # (resuming it: test_a_study_keeps_its_search_when_resumed)
    assert sorted(t["params"]["c1.out_channels"] for t in trials) == [3, 6, 12]
    assert all(t["state"] == "complete" for t in trials)
    assert f"note: the space has 3 combinations, no more than the 5 trials asked: {NOTE}, 3 trials in all." in err
    assert "Study tiny: 3 trials (grid, 3 to go)" in err


@pytest.mark.parametrize("vary, trials, objectives, expect", [
    (["c1.out_channels=3,6,12,24"], 3, ["score"], ("tpe", 3)),  # more combinations than trials: sampled
    (["lr=1e-3:1e-1:log"], 8, ["score"], ("tpe", 8)),  # a continuous range: sampled
    (["c1.out_channels=2:4", "optimizer=sgd,adam"], 6, ["score"], ("grid", 6)),  # 3 × 2, a whole-number range
    (["c1.out_channels=2:4", "optimizer=sgd,adam"], 20, ["score", "params"], ("grid", 6)),  # instead of NSGA-II
])
def test_only_a_space_that_fits_the_trials_is_listed(vary, trials, objectives, expect):
    sampler, n, notes = plan([parse_vary(v) for v in vary], trials, None, objectives)
    assert (sampler, n) == expect
    assert bool(notes) == (sampler == "grid")
    if len(objectives) > 1:
        assert "not NSGA-II" in notes[0] and "20 trials asked" in notes[0]


def test_a_study_keeps_its_search_when_resumed(project_file):
    space = [parse_vary("c1.out_channels=3,6,12")]
    url, name, notes = new_study(project_file, space, trials=3, sampler="tpe")  # listed, though TPE was asked
    assert st.load(st.open_storage(url), name)[1]["sampler"] == "grid" and NOTE in notes[0]
    assert new_study(project_file, space, trials=3)[:2] == (url, name)  # the default search: the same study
    # a study begun by sampling (2 trials of 3 combinations) goes on sampling when more trials are asked
    url, name, notes = new_study(project_file, space, trials=2, name="sampled")
    assert st.load(st.open_storage(url), name)[1]["sampler"] == "tpe" and not notes
    new_study(project_file, space, trials=6, name="sampled")
    assert {k: st.load(st.open_storage(url), name)[1][k] for k in ("sampler", "trials")} == {"sampler": "tpe", "trials": 6}
