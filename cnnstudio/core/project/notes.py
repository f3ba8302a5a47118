"""Notes on the canvas: text the user pins beside the network. They live in the project's
`layout` section (`layout.notes`), so the checks, compiler and export never see them; edits
to them are undo steps like any other. See docs/project-format.md."""
from __future__ import annotations

import copy

from ..graph.commands import Command

MAX_TEXT = 10_000  # characters in one note
MAX_NOTES = 1_000
MAX_COORD = 1e9


def notes_of(project) -> list[dict]:
    """The project's notes: [{"id", "text", "pos": [x, y]}, ...] (an empty list when none)."""
    return project.layout.get("notes", [])


def check_notes(value, fail) -> None:
    """A loaded `layout.notes`, or `fail(where, what)` in the file's terms."""
    if not isinstance(value, list) or len(value) > MAX_NOTES:
        fail("layout.notes", f"must be a list of at most {MAX_NOTES} notes.")
    seen = set()
    for i, n in enumerate(value):
        where = f"layout.notes[{i}]"
        if not isinstance(n, dict) or set(n) != {"id", "text", "pos"}:
            fail(where, 'must be {"id": text, "text": text, "pos": [x, y]}.')
        if not isinstance(n["id"], str) or not n["id"] or n["id"] in seen:
            fail(f"{where}.id", "must be non-empty text, unique among the notes.")
        seen.add(n["id"])
        if not isinstance(n["text"], str) or len(n["text"]) > MAX_TEXT:
            fail(f"{where}.text", f"must be text of at most {MAX_TEXT:,} characters.")
        pos = n["pos"]
        if not (isinstance(pos, list) and len(pos) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_COORD for v in pos)):
            fail(f"{where}.pos", f"must be [x, y] with finite numbers within ±{MAX_COORD:g}.")


def new_note_id(project) -> str:
    ids = {n["id"] for n in notes_of(project)}
    k = 1
    while f"note{k}" in ids:
        k += 1
    return f"note{k}"


class SetNotes(Command):
    """The project's notes replaced by `notes` (an add, edit, move or delete), as one undo step."""

    def __init__(self, project, notes: list[dict], label: str):
        self.project, self.label = project, label
        self.old, self.new = copy.deepcopy(notes_of(project)), copy.deepcopy(notes)

    def _set(self, notes):
        if notes:
            self.project.layout["notes"] = copy.deepcopy(notes)
        else:
            self.project.layout.pop("notes", None)

    def do(self, g):
        self._set(self.new)

    def undo(self, g):
        self._set(self.old)


def put_note(project, note_id: str, text: str, pos) -> SetNotes:
    """Add a note, or change the text or place of one (it keeps its place in the list)."""
    notes = [dict(n) for n in notes_of(project)]
    note = {"id": note_id, "text": text, "pos": [float(pos[0]), float(pos[1])]}
    place = next((i for i, n in enumerate(notes) if n["id"] == note_id), None)
    if place is None:
        return SetNotes(project, notes + [note], "Add note")
    old = notes[place]
    notes[place] = note
    return SetNotes(project, notes, "Move note" if old["text"] == text else "Edit note")


def delete_notes(project, note_ids) -> SetNotes:
    gone = set(note_ids)
    return SetNotes(project, [n for n in notes_of(project) if n["id"] not in gone],
                    "Delete note" if len(gone) == 1 else f"Delete {len(gone)} notes")
