"""The sweep on this machine: K worker processes and their messages. On Linux the workers are
forked from a process that has already loaded torch and the engine (and made one optimizer,
which pulls in torch._dynamo): each worker then starts in well under a second instead of
importing all of it again. Elsewhere they are spawned."""
from __future__ import annotations

import gc
import multiprocessing as mp
import queue as queues
import sys
import threading


def warm_up() -> None:
    """What every trial needs, loaded once before forking (no torch op runs, so no thread pool starts)."""
    import torch

    from ..train import engine  # noqa: F401 - the engine and what it imports
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def start_workers(url: str, name: str, k: int, runs_here: str | None = None):
    from .worker import main
    fork = sys.platform == "linux" and threading.active_count() == 1
    if fork:
        warm_up()
        # What is loaded now (torch, its compiler's sympy) lives as long as the process: frozen,
        # no later collection walks it, neither a worker's (which would also write to the pages
        # it shares with this process) nor this process's last one at exit (1–2 s of CPU).
        gc.freeze()
    ctx = mp.get_context("fork" if fork else "spawn")
    q, stop, wake = ctx.Queue(), ctx.Event(), ctx.Event()
    procs = [ctx.Process(target=main, args=(url, name, q, stop, runs_here, wake), daemon=False) for _ in range(k)]
    for p in procs:
        p.start()
    return procs, q, stop


def messages(procs, q, poll_s: float = 0.2):
    """Yield the workers' messages until all of them have ended."""
    while True:
        try:
            yield q.get(timeout=poll_s)
            continue
        except queues.Empty:
            pass
        if not any(p.is_alive() for p in procs):
            while True:
                try:
                    yield q.get_nowait()
                except queues.Empty:
                    return
