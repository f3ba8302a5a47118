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
        self._worker = None
        self._closed = False

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
        self._worker = (_Process if self.backend == "process" else _Thread)(self._on_reply, self._on_stopped)

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

    def pid(self) -> int | None:
        return getattr(self._worker, "pid", None)

    def close(self) -> None:
        """End the worker (the window is closing); waits a little, then kills it."""
        self._closed = True
        if self._worker is not None:
            self._worker.close()
            self._worker = None


class _Process:
    """A spawned process running service.serve on one end of a pipe."""

    def __init__(self, on_reply, on_stopped):
        import multiprocessing as mp

        from ...core.inspect.service import serve
        ctx = mp.get_context("spawn")  # never fork a process that has Qt and threads
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve, args=(child,), daemon=True, name="cnnstudio-inspect")
        self.proc.start()
        child.close()
        self.pid = self.proc.pid
        self.outbox = queue.Queue()
        self._closing = False
        threading.Thread(target=self._write, name="inspect-send", daemon=True).start()
        threading.Thread(target=self._read, args=(on_reply, on_stopped), name="inspect-receive", daemon=True).start()

    def alive(self) -> bool:
        return self.proc.is_alive()

    def send(self, req: dict) -> None:
        self.outbox.put(req)  # never blocks the UI thread on a full pipe

    def _write(self) -> None:
        while True:
            req = self.outbox.get()
            try:
                self.conn.send_bytes(dumps(req))  # None last: the worker returns
            except (OSError, ValueError):
                return
            if req is None:
                return

    def _read(self, on_reply, on_stopped) -> None:
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
        self.proc.join(3)
        if self.proc.is_alive():  # busy with a long request, or stuck
            self.proc.kill()
            self.proc.join(2)
        self.conn.close()


class _Thread:
    """The same service on a thread of this process; replies still go through plain pickles."""

    def __init__(self, on_reply, on_stopped):
        from ...core.inspect.service import InspectService, serve_loop
        self.service = InspectService()
        self.inbox = queue.Queue()

        def receive():
            batch = [self.inbox.get()]
            while not self.inbox.empty():
                batch.append(self.inbox.get())
            return batch

        self.thread = threading.Thread(target=serve_loop, args=(receive, lambda r: on_reply(loads_plain(dumps(r))),
                                                                self.service), name="inspect-service", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def send(self, req: dict) -> None:
        self.inbox.put(req)

    def close(self) -> None:
        self.inbox.put(None)
        self.thread.join(10)
