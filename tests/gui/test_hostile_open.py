"""Opening and pasting hostile content in the window: all or nothing, never the previous
project overwritten (issue 11, items 1 and 10)."""
from __future__ import annotations

import json

from PySide6.QtWidgets import QApplication

from cnnstudio.core import load_project
from cnnstudio.core.project import project_to_dict

from .conftest import answer_dialogs
from .test_files import small_project


def test_opening_a_file_with_a_bad_dataset_never_touches_the_previous_project(qtbot, make_window, tmp_path):
    good = tmp_path / "good.cnnproj"
    small_project(good)
    before = good.read_bytes()
    odd = tmp_path / "odd.cnnproj"
    win = make_window()
    assert win.docs.open_path(good)
    for bad_id in (["mnist5k"], {"name": "mnist5k"}):
        doc = json.loads(before)
        doc["dataset"] = {"id": bad_id}
        odd.write_text(json.dumps(doc))
        assert win.docs.open_path(odd)  # it opens: the dataset is a problem on screen, not a crash
        assert win.session.path == odd and "odd" in win.windowTitle()
        assert any('dataset "id"' in p.message.lower() for p in win.session.analysis.problems)
        win.act_save.trigger()  # Ctrl+S writes the file on screen, not the one opened before
        assert good.read_bytes() == before
        assert project_to_dict(load_project(odd))["dataset"] == {"id": bad_id}
        assert win.docs.open_path(good)  # and a later Open still works
        assert win.session.path == good


def test_a_failed_open_leaves_the_window_on_the_previous_project(qtbot, make_window, tmp_path, monkeypatch):
    """If anything goes wrong while the new project is prepared, the old one is still the one shown
    and saved: the swap happens only once everything is ready."""
    good = tmp_path / "good.cnnproj"
    small_project(good)
    before = good.read_bytes()
    other = tmp_path / "other.cnnproj"
    other.write_text(before.decode().replace('"small"', '"other"'))
    win = make_window()
    assert win.docs.open_path(good)
    from cnnstudio.core.train import fit

    def broken(*a, **k):
        raise RuntimeError("a check failed")
    monkeypatch.setattr(fit, "fit_problems", broken)
    seen = []
    answer_dialogs(["OK"], seen)
    assert not win.docs.open_path(other)
    assert "Could not open “other.cnnproj”" in seen[0]
    assert win.session.path == good and win.session.project.name == "small" and "good" in win.windowTitle()
    monkeypatch.undo()
    assert win.docs.open_path(other) and win.session.project.name == "other"


HOSTILE_PASTES = [
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "d", "type": "Dropout", "params": {"p": "x"}}], "edges": []}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "d", "type": "Dropout", "params": {"p": NaN}}], "edges": []}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "d", "type": "Dropout", "params": {"p": 1e400}}], "edges": []}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": [1, 2, 3]}}]}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "c", "type": "Conv2d", "params": {"kernel_size": 1'
    + "0" * 40 + '}}]}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "c", "type": ["Conv2d"], "params": {}}]}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "c", "type": "Conv2d", "params": [], "pos": [0, 0]}]}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "c", "type": "Conv2d", "pos": [NaN, 1e400]}]}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "c", "type": "Conv2d", "pos": "here"}]}',
    '{"format": "cnnstudio.blocks", "nodes": "all of them"}',
    '{"format": "cnnstudio.blocks", "nodes": [5, null]}',
    '{"format": "cnnstudio.blocks", "nodes": [{"id": "a", "type": "ReLU"}], "edges": [["a"], 7, ["a", "a", "a"]]}',
    '{"format": "cnnstudio.blocks", "nodes": [' + "[" * 50000 + "]" * 50000 + "]}",
    '[1, 2]',
]


def test_hostile_pastes_are_refused_with_a_message_or_stay_saveable(qtbot, make_window, tmp_path):
    from cnnstudio.core.project import parse_project
    from cnnstudio.gui.canvas import edits
    win = make_window()
    notes = []
    win.canvas.graph_scene.message.connect(notes.append)
    saved = tmp_path / "after.cnnproj"
    for payload in HOSTILE_PASTES:
        QApplication.clipboard().setText(payload)
        before = set(win.session.graph.nodes)
        win.canvas.paste()  # what Ctrl+V does
        if set(win.session.graph.nodes) == before:
            assert notes and "paste" in notes[-1].lower(), payload[:80]
        # whatever the editor holds now saves into a file that opens again
        assert win.docs.save_as(saved)
        parse_project(json.loads(saved.read_text()))
        load_project(saved)
        win.docs.write_journal()
    c, ids = edits.paste(win.session.graph, edits.copy_payload(win.session.graph, []))  # nothing selected
    assert c is None and ids == []


def test_training_values_the_form_cannot_show_fill_it_with_defaults_and_stay_in_the_file(qtbot, make_window, tmp_path):
    path = tmp_path / "odd.cnnproj"
    small_project(path)
    doc = json.loads(path.read_text())
    doc["training"] = {"lr": "NaN", "epochs": "INF", "batch_size": 10 ** 25, "momentum": "NEGINF",
                       "weight_decay": 0.001, "optimizer": "sgd", "precision": "fp16"}
    path.write_text(json.dumps(doc).replace('"NaN"', "NaN").replace('"INF"', "1e400").replace('"NEGINF"', "-Infinity"))
    win = make_window()
    assert win.docs.open_path(path)
    form = win.training.form
    assert form.lr.value() == 0.001 and form.epochs.value() == 10 and form.batch_size.value() == 64
    assert form.momentum.value() == 0.9 and form.weight_decay.value() == 0.001
    # the rows after the odd values were filled too: the form is whole
    assert form.optimizer.currentData() == "sgd" and form.precision.currentData() == "fp16"
    assert win.docs.save_as(tmp_path / "again.cnnproj")
    assert load_project(tmp_path / "again.cnnproj").training["batch_size"] == 10 ** 25  # kept until edited
