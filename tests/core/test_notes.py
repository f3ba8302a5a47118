"""Notes live in the project's layout: they load and save unchanged, every change is an undo
step, and a bad one is refused with its place named."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnstudio.core.graph.commands import UndoStack
from cnnstudio.core.project.notes import delete_notes, put_note
from cnnstudio.core.graph.doc import parse_json
from cnnstudio.core.project import ProjectError, dumps_project, load_project, parse_project

SAMPLE = Path(__file__).resolve().parents[2] / "sample_projects" / "lenet5.cnnproj"


def test_notes_round_trip_and_are_undone():
    p = load_project(SAMPLE)
    stack = UndoStack(p.graph)
    stack.push(put_note(p, "note1", "why 6 filters?", (10, -40)))
    stack.push(put_note(p, "note1", "why 6 filters?", (30, -40)))
    again = parse_project(parse_json(dumps_project(p), "t"))
    assert again.layout["notes"] == [{"id": "note1", "text": "why 6 filters?", "pos": [30.0, -40.0]}]
    stack.undo()
    assert p.layout["notes"][0]["pos"] == [10.0, -40.0]
    stack.push(delete_notes(p, ["note1"]))
    assert "notes" not in p.layout and "notes" not in dumps_project(p)
    stack.undo()
    assert p.layout["notes"][0]["text"] == "why 6 filters?"


@pytest.mark.parametrize("notes, where", [
    ("hello", "layout.notes:"),
    ([{"id": "a", "text": "x"}], "layout.notes[0]:"),
    ([{"id": "a", "text": 3, "pos": [0, 0]}], "layout.notes[0].text"),
    ([{"id": "a", "text": "x", "pos": [0, 1e300]}], "layout.notes[0].pos"),
    ([{"id": "a", "text": "x", "pos": [0, 0]}, {"id": "a", "text": "y", "pos": [0, 0]}], "layout.notes[1].id"),
])
def test_a_bad_note_is_refused_where_it_stands(notes, where):
    doc = {"format": "cnnstudio.project", "version": 1, "graph": {"nodes": [], "edges": []},
           "layout": {"notes": notes}}
    with pytest.raises(ProjectError, match=re.escape(where)):
        parse_project(doc)

