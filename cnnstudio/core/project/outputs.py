"""Which files a writing command may replace: only one it wrote itself and that nobody changed
since (or any file with the user's explicit `--force` / the window's confirmation); never a
folder, and never the project it reads or that project's weights, not even with --force.

A command knows what it wrote from a small record in the user's config folder
(`written.json`: real path → the command, size, modification time and inode of the file just
after it was written). A file the user edited, another command's output, a file copied from
elsewhere: all differ from the record, so they are refused with a line naming --force.
Writing is staged: every file is written to a temporary file beside its target, then all are
renamed into place, so a failed command leaves every old file as it was (see atomic.py)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from .atomic import atomic_write_many, atomic_write_text

KEEP = 2000  # records kept: the newest (older outputs are refused once, then recorded again)


class Refused(Exception):
    """`path` may not be written; `forceable`: `--force` (or a confirmation) would allow it."""

    def __init__(self, path, why: str, forceable: bool):
        super().__init__(f"{path} {why}")
        self.path, self.why, self.forceable = Path(path), why, forceable

    def cli(self) -> str:
        return str(self) + (". Choose another name, or add --force to replace it." if self.forceable else
                            ". Choose another name.")


def record_path() -> Path:
    from .userlib import config_dir
    return config_dir() / "written.json"


def _stamp(st: os.stat_result) -> list:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _read() -> dict:
    try:
        doc = json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _real(path) -> str:
    return os.path.realpath(os.path.abspath(path))


def check(paths, by: str, force: bool = False, protect=()) -> None:
    """Raise Refused for the first of `paths` that `by` (e.g. "export") may not write."""
    guarded = {_real(p): why for p, why in protect if p}
    written = None
    for p in paths:
        real = _real(p)
        if real in guarded:
            raise Refused(p, f"is {guarded[real]}: a command never writes over it", False)
        try:
            st = os.stat(p)
        except (FileNotFoundError, NotADirectoryError):  # nothing there to lose (the write says why it fails)
            continue
        except OSError as e:
            raise Refused(p, f"cannot be checked ({e.strerror or e})", False) from None
        if stat.S_ISDIR(st.st_mode):
            raise Refused(p, "is a folder", False)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(p, "is not a regular file", False)
        same = next((why for real_, why in guarded.items() if _same(st, real_)), None)
        if same:
            raise Refused(p, f"is {same} (under another name): a command never writes over it", False)
        if force:
            continue
        written = _read() if written is None else written
        mine = written.get(real)
        if not (isinstance(mine, dict) and mine.get("by") == by and mine.get("stamp") == _stamp(st)):
            changed = isinstance(mine, dict) and mine.get("by") == by
            raise Refused(p, "already exists and " + ("was changed since cnnstudio " + by + " wrote it" if changed
                                                      else f"was not written by cnnstudio {by}"), True)


def _same(st: os.stat_result, path: str) -> bool:
    try:
        return os.path.samestat(st, os.stat(path))
    except OSError:
        return False


def write(writers: dict, by: str, force: bool = False, protect=()) -> list[Path]:
    """Check every target, write each (`writers`: path → fn(temp_path)), rename them all into
    place, and remember them as `by`'s. → the paths written."""
    check(list(writers), by, force, protect)
    atomic_write_many(writers)
    remember(list(writers), by)
    return [Path(p) for p in writers]


def remember(paths, by: str) -> None:
    """Record files just written by `by`. A record that cannot be written costs a refusal later, nothing more."""
    doc = _read()
    for p in paths:
        try:
            doc[_real(p)] = {"by": by, "stamp": _stamp(os.stat(p))}
        except OSError:
            continue
    items = sorted(doc.items(), key=lambda kv: kv[1].get("stamp", [0, 0])[1] if isinstance(kv[1], dict) else 0)
    try:
        record_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(record_path(), json.dumps(dict(items[-KEEP:])))
    except OSError:
        pass
