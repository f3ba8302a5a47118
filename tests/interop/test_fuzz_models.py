"""The hostile-model fuzzer in the suite, at a small size: mutated ONNX files through `import`,
damaged weights files through `export` (the project's weights) and damaged run folders through
`export --run`. Every case ends in success or one line, with no traceback and no file written
when it fails (bench/fuzz.py --target onnx|weights|runs runs tens of thousands)."""
from __future__ import annotations

import random

import pytest

from .fuzz_models import TARGETS, Seeds, drive


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return Seeds(tmp_path_factory.mktemp("seeds"))


@pytest.mark.parametrize("target", TARGETS)
def test_hostile_model_files_never_crash_or_leave_files(seeds, tmp_path, target):
    rng = random.Random(19)
    outcomes = []
    for _ in range(20):
        outcome, sig = drive(seeds, target, rng, tmp_path / "case")
        assert sig is None, sig
        outcomes.append(outcome)
    assert "refused" in outcomes  # the mutations do reach the checks
