"""Crash recovery journal (Qt-free): the open project, written atomically while editing.

Each window writes its own journal file; a clean exit, a save or a discard deletes it.
A journal left behind by a process that is no longer running is offered on next start.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..core.project.atomic import atomic_write_text
from ..core.graph import Graph, Node
from ..core.graph.doc import parse_json
from ..core.project import ProjectError, parse_project, project_to_dict

KIND = "cnnstudio.journal"


class Journal:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.path = self.dir / f"journal-{os.getpid()}-{time.time_ns()}.json"
        self._writer: ThreadPoolExecutor | None = None
        self._pending = None

    def write(self, project, project_path) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        doc = {"format": KIND, "pid": os.getpid(), "saved_at": time.time(),
               "path": str(project_path) if project_path else None, "project": project_to_dict(project)}
        atomic_write_text(self.path, json.dumps(doc))

    def write_soon(self, project, project_path, failed) -> None:
        """Write from a snapshot on a background thread: serialising 5,000 blocks took the UI
        thread ≈150 ms. `failed(message)` is called (from that thread) if the write fails."""
        snap = snapshot(project)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")

        def run():
            try:
                self.write(snap, project_path)
            except OSError as e:
                failed(str(e))
        self._pending = self._writer.submit(run)  # one writer: journals land in order

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def remove(self) -> None:
        self.wait()  # a write still under way must not bring the file back
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def adopt(self, path: Path) -> None:
        """Take over a restored journal: it is deleted once the user saves or discards."""
        if Path(path) != self.path:
            self.remove()
        self.path = Path(path)


def snapshot(project):
    """A copy of the project that later edits cannot touch. Cheap: a block's params dict and
    position are replaced on every edit, never changed in place, so they can be shared."""
    g = Graph()
    g.nodes = {nid: Node(n.id, n.type, n.params, n.pos) for nid, n in project.graph.nodes.items()}
    g._edges = dict(project.graph._edges)
    return dataclasses.replace(project, graph=g, dataset=dict(project.dataset),
                               training=dict(project.training), layout=dict(project.layout))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own earlier windows: treat as left behind
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def pending(directory: Path, own: Path | None = None) -> list[Path]:
    """Journals left behind by ended sessions, newest first."""
    d = Path(directory)
    if not d.is_dir():
        return []
    found = []
    for p in d.glob("journal-*.json"):
        if own is not None and p == own:
            continue
        try:
            pid = int(p.name.split("-")[1])
        except (IndexError, ValueError):
            pid = -1
        if pid > 0 and _alive(pid):
            continue  # another running CNN Studio owns it
        if _in_vanished_temp_folder(p):
            p.unlink(missing_ok=True)  # a scratch project (a test, a script) nobody will come back to
            continue
        found.append(p)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _in_vanished_temp_folder(journal: Path) -> bool:
    """The journal's project lived in a temporary folder that no longer exists."""
    try:
        original = json.loads(journal.read_text(encoding="utf-8")).get("path")
    except (OSError, ValueError, AttributeError):
        return False  # unreadable: offered, and the offer says what is wrong
    if not isinstance(original, str):
        return False
    folder = Path(original).parent
    temp = Path(tempfile.gettempdir()).resolve()
    return not folder.exists() and (folder.resolve() == temp or temp in folder.resolve().parents)


def read(path: Path):
    """(Project, original file path or None, saved_at); raises ProjectError if unusable."""
    try:
        doc = parse_json(Path(path).read_text(encoding="utf-8"), str(path))
    except (OSError, ValueError) as e:
        raise ProjectError(f"{path}: the recovery journal cannot be read ({e}).") from None
    if not isinstance(doc, dict) or doc.get("format") != KIND:
        raise ProjectError(f"{path}: not a CNN Studio recovery journal.")
    project = parse_project(doc.get("project"), source="recovery journal")
    original = doc.get("path")
    return project, (Path(original) if isinstance(original, str) else None), doc.get("saved_at")
