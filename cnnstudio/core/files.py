"""Atomic file writes: a reader or a crash never sees half a file, and a failed write
leaves the old file as it was."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:  # reading the umask means setting it; do that once
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def atomic_write(path, write: Callable[[str], None]) -> None:
    """`write(temp_path)` beside `path`, fsync, normal permissions, then rename over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; saved files are not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
