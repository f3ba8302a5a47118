"""The fuzzer in the suite: every sample project mutated, and random valid graphs, driven
through load → checks → summary → compile → forward → export → run the exported code. The
only allowed outcomes are success or the project's own error with a message (bench/fuzz.py
runs tens of thousands of these)."""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio.core.project import Project, dumps_project

from ..gui.conftest import closable
from .fuzz_cases import SAMPLES, as_text, drive, mutate, sample_docs
from .test_random_graphs import random_graph

DOCS = sample_docs()


def test_every_sample_project_goes_through_the_whole_pipeline():
    assert len(SAMPLES) >= 5
    outcomes = [drive(json.dumps(doc)) for doc in DOCS]
    assert all(sig is None for _, sig in outcomes), outcomes
    assert {o for o, _ in outcomes} <= {"ran", "exported"}


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.integers(0, len(DOCS) - 1), st.integers(0, 2 ** 32))
def test_mutated_sample_projects_never_crash(which, seed):
    rng = random.Random(seed)
    text = as_text(mutate(DOCS[which], rng), rng)
    outcome, sig = drive(text)
    assert sig is None, f"{sig}\n{text[:2000]}"


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(random_graph())
def test_random_graphs_never_crash(graph):
    outcome, sig = drive(dumps_project(Project("random", graph)))
    assert sig is None, sig


@pytest.mark.parametrize("seed", range(3))
def test_the_windows_open_path_takes_mutated_files_all_or_nothing(qtbot, tmp_path, seed, monkeypatch):
    """Open through the window's own path (dialogs answered): each file opens or is refused with
    a dialog, and the window keeps a project it can save."""
    from PySide6.QtCore import QSettings

    from cnnstudio.core import load_project
    from cnnstudio.gui.documents import Documents
    from cnnstudio.gui.main_window import MainWindow
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(win, before_close_func=closable)
    errors = []
    monkeypatch.setattr(Documents, "error", lambda self, title, text: errors.append(text))
    rng = random.Random(seed)
    path, saved = tmp_path / "m.cnnproj", tmp_path / "saved.cnnproj"
    for i in range(12):
        path.write_text(as_text(mutate(DOCS[(seed * 12 + i) % len(DOCS)], rng), rng), encoding="utf-8",
                        errors="surrogatepass")
        before = len(errors)
        opened = win.docs.open_path(path, confirmed=True)
        assert opened or len(errors) == before + 1
        assert win.docs.save_as(saved)
        load_project(saved)
