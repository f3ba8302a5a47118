"""Atomic file writes: a reader or a crash never sees half a file, and a failed write
leaves the old file as it was."""
from __future__ import annotations

import errno
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

_UMASK: int | None = None
ORPHAN_AGE_S = 600  # a temp file this old belongs to a write that was killed, not one in progress
_TEMP_NAME = 80  # characters of the target's name in its temp file's name (names have a 255 limit)


def _umask() -> int:
    global _UMASK
    if _UMASK is None:  # reading the umask means setting it; do that once
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def target(path) -> Path:
    """Where a write to `path` lands: through a symbolic link to the file it names, so the link stays."""
    if "\0" in str(path):
        raise OSError(errno.EINVAL, "a file name cannot contain a NUL character", str(path).replace("\0", "\\0"))
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def atomic_write(path, write: Callable[[str], None]) -> None:
    """`write(temp_path)` beside `path`, fsync, the old file's permissions (or the normal ones),
    then rename over `path`. Temp files left by a killed write are removed afterwards."""
    atomic_write_many({path: write})


def atomic_write_many(writers: dict) -> None:
    """Several files as one write (`writers`: path → write(temp_path)): every file is staged to a
    temp file beside its target first; only when all are written are they renamed into place,
    and if a rename fails, the ones renamed before it are put back. A failed call changes nothing."""
    staged: list[tuple[Path, str]] = []
    try:
        for path, write in writers.items():
            path = target(path)
            staged.append((path, _stage(path, write)))
        _commit(staged)
    finally:
        for _, tmp in staged:
            Path(tmp).unlink(missing_ok=True)
    for folder in dict.fromkeys(p.parent for p, _ in staged):
        _fsync_dir(folder)  # the renames themselves survive a power cut
    for path, _ in staged:
        remove_orphans(path.parent, f".{path.name[:_TEMP_NAME]}.")


def _stage(path: Path, write: Callable[[str], None]) -> str:
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # mkstemp makes files private; saved files are not
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:_TEMP_NAME]}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _commit(staged: list) -> None:
    """Rename each temp file over its target, keeping a hard link to each old file until all are
    in place, so that a failure part-way puts the old ones back."""
    done: list[tuple[Path, str | None | bool]] = []  # (target, its old file's link | None: none kept | False: new)
    try:
        for i, (path, tmp) in enumerate(staged):
            old = _keep(path) if i < len(staged) - 1 else None  # the last one is never put back
            try:
                os.replace(tmp, path)
            except BaseException:
                if old:
                    Path(old).unlink(missing_ok=True)
                raise
            done.append((path, old))
    except BaseException:
        for path, old in reversed(done):
            if old:
                os.replace(old, path)
            elif old is False:
                path.unlink(missing_ok=True)
        raise
    finally:
        for _, old in done:
            if old and Path(old).exists():
                Path(old).unlink(missing_ok=True)


def _keep(path: Path):
    """A hard link to the file at `path` (to put it back), False when there is none, None when it cannot be kept."""
    if not path.exists():
        return False
    link = path.with_name(f".{path.name[:_TEMP_NAME]}.old-{os.getpid()}-{time.monotonic_ns()}.tmp")
    try:
        os.link(path, link)
    except OSError:
        return None
    return str(link)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_orphans(folder: Path, prefix: str = ".", age_s: float = ORPHAN_AGE_S) -> None:
    """Delete temp files (`prefix…tmp`) older than `age_s`: what a write killed midway left behind."""
    limit = time.time() - age_s
    try:
        for entry in os.scandir(folder):
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                try:
                    if entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                except OSError:
                    pass
    except OSError:
        pass


def atomic_write_text(path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
