"""Child processes that end with the process that started them, however it ends.

A child started with `child_env()` calls `die_with_parent()` first thing: on Linux the kernel
sends it SIGTERM when its parent dies (PR_SET_PDEATHSIG, set through ctypes); elsewhere on
POSIX a thread watches for the parent to go. The parent's pid travels in the environment so a
parent that died before the child got that far is noticed too. Torch-free, Qt-free."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

PARENT_ENV = "CNNSTUDIO_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def child_env(env: dict | None = None) -> dict:
    """`env` (default: this process's) naming this process as the parent to die with."""
    return dict(os.environ if env is None else env, **{PARENT_ENV: str(os.getpid())})


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have `sig` sent to this process when the parent named by child_env() ends (no-op when not set).
    The kernel's signal fires when the parent *thread* that started us ends: callers start
    children from a thread that waits for them."""
    try:
        parent = int(os.environ.pop(PARENT_ENV))  # popped: our own children name us, not our parent
    except (KeyError, ValueError):
        return
    if os.name == "nt":
        return  # Windows: the parent ends the child's process tree itself
    if sys.platform.startswith("linux") and _prctl_pdeathsig(sig):
        if os.getppid() != parent:  # it died before the kernel was told
            os.kill(os.getpid(), sig)
        return

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), sig)
    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _prctl_pdeathsig(sig: int) -> bool:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def end_group(proc: subprocess.Popen, grace_s: float = 0.0) -> None:
    """End a child started with start_new_session=True and everything it started: SIGTERM, and
    SIGKILL after `grace_s` (at once when 0)."""
    if proc.poll() is not None:
        return
    try:
        if os.name == "nt":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGTERM if grace_s else signal.SIGKILL)
        proc.wait(grace_s or 10)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL) if os.name != "nt" else proc.kill()
        except OSError:
            pass
        proc.wait()
