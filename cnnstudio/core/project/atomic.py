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
    path = target(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # mkstemp makes files private; saved files are not
    prefix = f".{path.name[:_TEMP_NAME]}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)  # the rename itself survives a power cut
    remove_orphans(path.parent, prefix)


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
