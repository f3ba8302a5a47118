"""A search space from the project: names, specs, the checks before any trial, and a trial's
values applied (a user block's repeat and exposed parameter, training and augmentation)."""
from __future__ import annotations

from pathlib import Path

import pytest

from cnnstudio.core import load_project
from cnnstudio.core.analysis import analyze
from cnnstudio.core.sweep.apply import apply_params, check_space
from cnnstudio.core.sweep.space import SweepError, parse_space_doc, parse_vary

from .conftest import tiny_project

USER_BLOCKS = Path(__file__).resolve().parents[1] / "core" / "user_blocks.cnnproj"


def test_specs_read_as_the_issue_writes_them():
    assert parse_vary("c1.out_channels=16,32,64").choices == (16, 32, 64)
    assert parse_vary("optimizer=sgd,adam").choices == ("sgd", "adam")
    assert parse_vary("augment.flip=true,false").choices == (True, False)
    r = parse_vary("stage.repeat=1:4")
    assert (r.low, r.high, r.is_int, r.grid()) == (1, 4, True, [1, 2, 3, 4])
    lr = parse_vary("lr=1e-4:1e-1:log")
    assert (lr.low, lr.high, lr.log, lr.is_int) == (1e-4, 0.1, True, False)
    assert [d.name for d in parse_space_doc({"lr": {"low": 0.001, "high": 0.1, "log": True}, "c1.kernel_size": [3, 5]})] \
        == ["lr", "c1.kernel_size"]


@pytest.mark.parametrize("vary, words", [
    ("c9.out_channels=4,8", "no block 'c9'"),
    ("c1.channels=4,8", "has no parameter 'channels'"),
    ("c1.out_channels=0,8", "c1.out_channels = 0 is refused"),
    ("lr=0:1", 'training "lr" must be'),
    ("optimizer=sgd,lbfgs", 'training "optimizer" must be one of'),
    ("augment.spin=1,2", "unknown augmentation"),
    ("speed=1,2", "not a training setting"),
    ("lr=0.1:0.01", "the range 0.1:0.01 is empty"),
    ("lr", "write NAME=SPEC"),
])
def test_a_bad_space_is_one_clear_line(vary, words):
    with pytest.raises(SweepError) as e:
        check_space(tiny_project(), [parse_vary(vary)])
    assert words in str(e.value) and "\n" not in str(e.value)


def test_a_trial_sets_a_user_blocks_repeat_and_exposed_parameter_and_training_settings():
    project = load_project(USER_BLOCKS)
    dims = [parse_vary("stage.repeat=1:3"), parse_vary("stage.channels=4,16"), parse_vary("lr=1e-3:1e-1:log"),
            parse_vary("augment.flip=true,false")]
    check_space(project, dims)
    before = analyze(project.graph).total("params")
    trial = apply_params(project, {"stage.repeat": 3, "stage.channels": 16, "lr": 0.02, "augment.flip": True})
    stage = trial.graph.nodes["stage"].params
    assert stage["repeat"] == 3 and stage["values"]["channels"] == 16
    assert trial.training["lr"] == 0.02 and trial.dataset["augment"]["flip"] is True
    assert analyze(trial.graph).total("params") > before  # a wider, deeper stage really is bigger
    assert project.graph.nodes["stage"].params["repeat"] == 2  # the project itself is untouched


def test_an_invalid_combination_is_found_by_the_live_checks():
    trial = apply_params(tiny_project(), {"c1.kernel_size": 40})
    errors = analyze(trial.graph).errors
    assert errors and "larger than the 16×16 input" in errors[0].message
