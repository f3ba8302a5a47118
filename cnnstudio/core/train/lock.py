"""One writer per run folder: an OS lock on `.lock`, held for as long as the writer runs.

The operating system drops the lock when its process ends however it ends (kill -9, crash,
power cut), so there is no stale lock to take over and no race in taking one over: two
processes can never both hold it. The file holds the writer's pid, for messages only.
"""
from __future__ import annotations

import os
from pathlib import Path

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


class RunBusy(Exception):
    def __init__(self, pid: int):
        super().__init__(pid)
        self.pid = pid


class RunLock:
    """The held lock; `release()` (or process exit) gives it up."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd is None:
            return
        if os.name != "nt":  # removed while still held, so nobody locks a file that is going away
            self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = None


def lock_run(run_dir) -> RunLock:
    """Take the folder's writer lock, or raise RunBusy(pid of the writer) at once."""
    path = Path(run_dir) / ".lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            raise RunBusy(_pid(path))
        try:  # the holder before us may have removed the file after we opened it: lock the file that is there
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return RunLock(path, fd)


def is_locked(run_dir) -> bool:
    """Whether a live process holds the folder's writer lock."""
    path = Path(run_dir) / ".lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        if not _try_lock(fd):
            return True
        return False  # closing the descriptor below lets the lock go again
    finally:
        os.close(fd)


def _pid(path: Path) -> int:
    try:
        return int(path.read_text(encoding="utf-8").strip() or 0)
    except (OSError, ValueError):
        return 0
