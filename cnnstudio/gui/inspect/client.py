"""The window's side of the inspection worker (core/inspect/service.py): requests go out from
a writer thread, replies come back on a reader thread and reach the UI thread as a queued
signal. Importing this module does not import torch.

Backends: "process" (the window: a spawned process, started on the first request, restarted
with the last load replayed if it dies) and "thread" (tests and scripts that already have
torch: the same service on a thread of this process, replies still checked to be plain data).
"""
from __future__ import annotations

import itertools
import os
import queue
import threading

from PySide6.QtCore import QObject, Signal

from ...core.inspect.service import dumps, loads_plain

BACKEND_VARIABLE = "CNNSTUDIO_INSPECT_BACKEND"  # "thread": tests/conftest.py, for tests that have torch anyway
MAX_RESTARTS = 3  # in a row without one good reply: a run that crashes the worker every time


class InspectClient(QObject):
    replied = Signal(object)  # a reply dict (UI thread)
    stopped = Signal(str)  # the worker died: one line for the panels (UI thread)

    def __init__(self, backend: str | None = None, parent=None):
        super().__init__(parent)
        self.backend = backend or os.environ.get(BACKEND_VARIABLE) or "process"
        self._ids = itertools.count(1)
        self.last_load = None  # replayed into a restarted worker
        self._restarts = 0
        self._box = [None]  # the worker; a list the destroyed handler can reach without self
        self._closed = False
        self.destroyed.connect(lambda *_, box=self._box: box[0] and box[0].close())  # window deleted, not closed

    @property
    def _worker(self):
        return self._box[0]

    @_worker.setter
    def _worker(self, worker):
        self._box[0] = worker

    # --- requests ---------------------------------------------------------------------------
    def request(self, op: str, **args) -> int:
        """Send a request; its reply arrives later on `replied`. Returns its id."""
        req = {"id": next(self._ids), "op": op, **args}
        if op in ("load", "adopt"):
            self.last_load = req
        if self._closed:
            return req["id"]
        if self._worker is None or not self._worker.alive():
            self._start()
            if self.last_load is not None and req is not self.last_load:
                self._worker.send(self.last_load)
        self._worker.send(req)
        return req["id"]

    def _start(self) -> None:
        if self._worker is not None:
            self._worker.close()  # a dead one: its threads end
        self._worker = (_Process if self.backend == "process" else _Thread)()
        self._worker.begin(self._on_reply, self._on_stopped)  # after: a failed start names this worker

    def _on_reply(self, reply: dict) -> None:  # reader thread
        if not self._closed:
            self.replied.emit(reply)

    def _on_stopped(self, worker, text: str) -> None:  # reader thread
        if not self._closed and worker is self._worker:
            self.stopped.emit(text)

    def good_reply(self) -> None:
        self._restarts = 0

    def restart(self) -> bool:
        """After a crash: start again and reload the run, unless it keeps crashing."""
        if self._closed or self._restarts >= MAX_RESTARTS:
            return False
        self._restarts += 1
        self._start()
        if self.last_load is not None:
            self._worker.send(self.last_load)
        return True

    @property
    def service(self):
        """The in-process service (thread backend only): tests reach the model through it."""
        return getattr(self._worker, "service", None)

    def close(self) -> None:
        """End the worker (the window is closing); waits a little, then kills it."""
        self._closed = True
        if self._worker is not None:
            self._worker.close()
            self._worker = None


class _Process:
    """A spawned process running service.serve on one end of a pipe. Started from the writer
    thread (a spawn costs the UI thread ≈25 ms otherwise); the reader thread follows it."""

    def __init__(self):
        self.outbox = queue.Queue()
        self.proc = self.conn = None
        self._started = threading.Event()
        self._closing = False

    def begin(self, on_reply, on_stopped) -> None:
        threading.Thread(target=self._run, args=(on_reply, on_stopped), name="inspect-send", daemon=True).start()

    def alive(self) -> bool:
        return not self._started.is_set() or (self.proc is not None and self.proc.is_alive())

    def send(self, req: dict) -> None:
        self.outbox.put(req)  # never blocks the UI thread on a full pipe

    def _run(self, on_reply, on_stopped) -> None:
        import multiprocessing as mp

        from ...core.inspect.service import serve
        try:
            ctx = mp.get_context("spawn")  # never fork a process that has Qt and threads
            self.conn, child = ctx.Pipe()
            self.proc = ctx.Process(target=serve, args=(child,), daemon=True, name="cnnstudio-inspect")
            self.proc.start()
            child.close()
        except Exception as e:  # noqa: BLE001 - said in one line in the panels
            self.proc = None
            on_stopped(self, f"Cannot start the inspection process: {e.__class__.__name__}: {str(e).strip()[:200]}")
            return
        finally:
            self._started.set()
        threading.Thread(target=self._read, args=(on_reply, on_stopped), name="inspect-receive", daemon=True).start()
        while True:
            req = self.outbox.get()
            try:
                self.conn.send_bytes(dumps(req))  # None last: the worker returns
            except (OSError, ValueError):
                return
            if req is None:
                return

    def _read(self, on_reply, on_stopped) -> None:
        _warm_imports()
        while True:
            try:
                data = self.conn.recv_bytes()
            except (EOFError, OSError):
                break
            try:
                on_reply(loads_plain(data))
            except Exception as e:  # noqa: BLE001 - a reply that is not plain data: a bug, said in one line
                on_reply({"id": None, "op": None, "error": f"The inspection process sent something unreadable: {e}"})
        if not self._closing:
            self.proc.join(1)
            on_stopped(self, f"The inspection process stopped unexpectedly (exit code {self.proc.exitcode}).")

    def close(self) -> None:
        self._closing = True
        self.outbox.put(None)  # after what is queued: the worker returns when it reads it
        self._started.wait(10)
        if self.proc is None:
            return
        self.proc.join(3)
        if self.proc.is_alive():  # busy with a long request, or stuck
            self.proc.kill()
            self.proc.join(2)
        self.conn.close()


def _warm_imports() -> None:
    """The numpy helpers the panels paint with, imported while the worker starts (seconds), so
    the first reply does not import them on the UI thread (nor zipfile, which np.load of the
    timeline's .npz imports: PySide's import hook reads its source there, 5–10 ms)."""
    import importlib
    import zipfile  # noqa: F401
    for name in ("features", "filters", "mosaic", "confusion", "timeline", "neighbours", "receptive", "deform"):
        importlib.import_module(f"cnnstudio.core.inspect.{name}")
    importlib.import_module("cnnstudio.core.train.metrics")


class _Thread:
    """The same service on a thread of this process; replies still go through plain pickles."""

    def __init__(self):
        from ...core.inspect.service import InspectService
        self.service = InspectService()
        self.inbox = queue.Queue()

    def begin(self, on_reply, on_stopped) -> None:
        from ...core.inspect.service import serve_loop

        def poll():  # what waits now
            batch = []
            while not self.inbox.empty():
                batch.append(self.inbox.get())
            return batch

        def receive():
            return [self.inbox.get()] + poll()

        def deliver(reply):  # through a pickle, as from the process: only plain data gets through
            try:
                on_reply(loads_plain(dumps(reply)))
            except Exception as e:  # noqa: BLE001
                on_reply({"id": None, "op": None, "error": f"The inspection service sent something unreadable: {e}"})

        self.thread = threading.Thread(target=serve_loop, args=(receive, deliver, self.service, poll), name="inspect-service",
                                       daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def send(self, req: dict) -> None:
        self.inbox.put(req)

    def close(self) -> None:
        self.inbox.put(None)
        self.thread.join(10)
