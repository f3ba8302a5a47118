"""The inspection state all panels share: the run shown (as plain data: the model itself lives
in the inspection process, see client.py), the sample being looked at, a watch on the run
folder so panels refresh while training, and the panels' requests to the inspection process."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from .client import InspectClient

POLL_MS = 2000  # how often a run folder is checked for new weights (live training)


def _stamp(run_dir: Path) -> tuple:
    """Changes whenever the run writes new weights or metrics."""
    out = []
    for pattern in ("checkpoints/*.safetensors", "checkpoints/current.json", "checkpoints/epoch-*/*.safetensors",
                    "run.json", "metrics.jsonl", "timeline/epoch_*.npz"):
        for p in sorted(run_dir.glob(pattern)):
            try:
                st = p.stat()
                out.append((p.name, st.st_mtime_ns, st.st_size))
            except OSError:
                pass
    return tuple(out)


class InspectState(QObject):
    changed = Signal()  # a new run is in `inspection` (or None); panels fill themselves via `follow`
    sample_changed = Signal()  # `sample` / `custom` changed
    status = Signal(str)  # a one-line summary of what is loaded, for a status bar
    notice = Signal(str)  # loading / error text every panel shows in its status line
    timeline_changed = Signal()  # new epoch snapshots on disk

    def __init__(self, session, parent=None, backend: str | None = None):
        super().__init__(parent)
        self.session = session
        self.inspection = None  # an Inspection without its model (service.from_plain)
        self.run_dir: Path | None = None
        self.sample = 0  # index into inspection.images
        self.custom = None  # (C×H×W net input, uint8 display) of a dropped image, or None
        self.version = 0  # counts the runs shown and images dropped: what a panel's pictures are of
        self.message = "No run to inspect yet: train the network, or open a run folder."
        self.panels: list = []  # the panels showing this state (they register themselves)
        self._in_view: set = set()  # those whose dock is shown (not behind another tab)
        self._deferred = False  # a load waits until a panel is in view
        self._loading = None  # the run folder being loaded, or None
        self._stamp = ()
        self._waiting: dict = {}  # op → (request id, callback): the newest request of each op
        self._followers: list = []  # each panel's reload, run for every new run shown
        self._queue: list = []  # those still to run for the run shown now
        self._turn = QTimer(self, singleShot=True, interval=0)
        self._turn.timeout.connect(self._hand_over)
        self.client = InspectClient(backend, self)
        self.client.replied.connect(self._on_reply)
        self.client.stopped.connect(self._on_stopped)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        session.run_changed.connect(self.open_run)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if session.run_dir:
            self.open_run(session.run_dir)

    def shutdown(self) -> None:
        """End the inspection process (the window is closing)."""
        self._timer.stop()
        self.client.close()

    # --- loading --------------------------------------------------------------------------
    def open_run(self, run_dir) -> None:
        self.run_dir = Path(run_dir) if run_dir else None
        self._stamp = ()
        if self.run_dir is None:
            self._timer.stop()
            self.set_inspection(None, "No run to inspect yet: train the network, or open a run folder.")
            return
        self._timer.start()
        self._load()

    def _wanted(self) -> bool:
        """Whether a load is worth its cost now: a window on screen with every inspection panel
        hidden (behind other tabs, closed) does not load the model, nor re-predict after every
        epoch; the first panel shown catches up."""
        on_screen = [p for p in self.panels if p.window().isVisible()]
        return not on_screen or any(p in self._in_view for p in on_screen)

    def showing(self, panel) -> bool:
        """Whether `panel` is worth a request now (in view, or in no window on screen)."""
        return not panel.window().isVisible() or panel in self._in_view

    def set_in_view(self, panel, on: bool) -> None:
        """A panel's dock came into view (its tab chosen, shown) or left it."""
        (self._in_view.add if on else self._in_view.discard)(panel)
        if on and self._deferred:
            self._load()
        elif on:
            panel.catch_up()

    def _load(self, reuse: bool = True) -> None:
        if self._loading is not None or self.run_dir is None:
            return
        if not self._wanted():
            self._deferred = True
            return
        self._deferred = False
        self._loading = self.run_dir
        self._stamp = _stamp(self.run_dir)
        self.notice.emit(f"Loading {self.run_dir.name} …")
        insp = self.inspection
        pictures = insp.pictures if reuse and insp is not None and insp.run_dir == self.run_dir else None
        self.ask("load", self._on_loaded, run_dir=str(self.run_dir), pictures=pictures)

    def _on_loaded(self, reply: dict) -> None:
        run_dir, self._loading = self._loading, None
        if run_dir != self.run_dir:
            self._load()  # the run changed while loading
            return
        if "error" in reply:
            if self.inspection is None:  # keep showing the last good model while training
                self.set_inspection(None, reply["error"])
            self.notice.emit(reply["error"])
            return
        from ...core.inspect.service import from_plain
        view, insp = reply["view"], self.inspection
        if view["display"] is None and (insp is None or insp.pictures != view["pictures"]):
            self._load(reuse=False)  # it left out pictures this window no longer has
            return
        self.set_inspection(from_plain(view, insp))
        self._queue.append(self.timeline_changed.emit)  # once the panels have taken the run in

    def _poll(self) -> None:
        if self.run_dir is None or self._loading is not None:
            return
        if _stamp(self.run_dir) != self._stamp:
            self._load()

    # --- requests to the inspection process ----------------------------------------------------
    def ask(self, op: str, callback, **args) -> None:
        """Request `op`; `callback(reply)` runs on the UI thread when its reply comes, unless a
        newer request of the same op (or a new run) made it stale."""
        self._waiting[op] = (self.client.request(op, **args), callback)

    def pending(self, op: str | None = None) -> bool:
        """Whether a reply (of `op`) is awaited, or (no op) panels still have a run to take in."""
        return op in self._waiting if op else bool(self._waiting or self._queue)

    def _on_reply(self, reply: dict) -> None:
        op = reply.get("op")
        rid, callback = self._waiting.get(op, (None, None))
        if op is None and "error" in reply:
            self.notice.emit(reply["error"])
            return
        if rid != reply.get("id"):
            return  # stale: a newer request of this op is on its way
        del self._waiting[op]
        self.client.good_reply()
        callback(reply)

    def _on_stopped(self, text: str) -> None:
        """The inspection process died: say so, start a new one and reload the run into it."""
        waiting, self._waiting = self._waiting, {}
        self._loading = None
        if self.client.restart():
            text += " Restarted it; reloading the run …"
            if self.run_dir is not None and self.client.last_load is not None:
                self._loading = self.run_dir
                self._waiting["load"] = (self.client.last_load["id"], self._on_loaded)
        self.notice.emit(text)
        for op, (_, callback) in waiting.items():
            if op not in ("load", "adopt"):
                callback({"op": op, "error": text})

    # --- for the panels ---------------------------------------------------------------------
    def set_inspection(self, insp, message: str = "") -> None:
        """Show `insp`: a view from the inspection process, None, or (tests and scripts, with the
        thread backend) an Inspection with its model, which the in-process service adopts."""
        if insp is not None and insp.net is not None:
            self._waiting.pop("load", None)
            self._loading = None
            self.ask("adopt", self._on_adopted, inspection=insp)
            return
        keep = insp is not None and self.inspection is not None and len(insp.images) == len(self.inspection.images)
        for op in [op for op in self._waiting if op not in ("load", "adopt")]:
            del self._waiting[op]  # asked of the previous run
        self.inspection = insp
        self.version += 1
        self.message = message
        if not keep:
            self.sample, self.custom = 0, None
        self.changed.emit()
        self.status.emit(message or (f"{insp.name}: {len(insp.images)} test samples" if insp else ""))
        self._queue = list(self._followers)  # their reloads show the sample in view too
        self._turn.start()

    def follow(self, reload) -> None:
        """`reload()` runs for every run shown (or None), one panel per event-loop turn: filling
        and first painting all five panels at once held the UI thread 25–45 ms."""
        self._followers.append(reload)

    def _hand_over(self) -> None:
        if self._queue:
            self._queue.pop(0)()
        if self._queue:
            self._turn.start()  # after the events (paints, input) waiting now

    def _on_adopted(self, reply: dict) -> None:
        from ...core.inspect.service import from_plain
        if "error" in reply:
            self.set_inspection(None, reply["error"])
        else:
            self.set_inspection(from_plain(reply["view"]))

    def source_text(self) -> str:
        """Which run and checkpoint the panels show, in words."""
        insp = self.inspection
        if insp is None and self._loading is not None:  # the first load: not "No run shown" beside "Loading …"
            return f"Run {self._loading.name} · loading …"
        if insp is None or insp.run_dir is None:
            return "No run shown" if insp is None else f"Showing {insp.name}"
        info, epochs = insp.info or {}, len(insp.metrics or [])
        best = info.get("best") or {}
        if info.get("status") == "running" or not best.get("epoch"):
            which = f"last checkpoint (epoch {epochs}" + (", training live)" if info.get("status") == "running" else ")")
        else:
            which = f"best checkpoint (epoch {best['epoch']} of {epochs})"
        return f"Run {insp.run_dir.name} · {which}"

    def select_sample(self, index: int) -> None:
        self.sample, self.custom = int(index), None
        self.sample_changed.emit()

    def set_custom(self, net_input, display) -> None:
        self.custom = (net_input, display)
        self.version += 1
        self.sample_changed.emit()

    def sample_key(self) -> tuple:
        """Names the sample in view of the run shown: panels cache their pictures by it."""
        return (self.version, None if self.custom is not None else self.sample)

    def where(self) -> dict:
        """The sample in view, as a request names it: a test index, or the dropped image."""
        if self.custom is not None:
            return {"image": self.custom[0], "display": self.custom[1]}
        return {"sample": self.current()[2]}

    def current(self):
        """(net input C×H×W, display uint8 H×W×C, test index or None) of the sample in view. The
        net input is the dropped image's; a test sample's stays in the inspection process (the
        window holds zeros of its shape): requests name it by index."""
        insp = self.inspection
        if insp is None or (self.custom is None and not len(insp.images)):
            return None
        if self.custom is not None:
            return self.custom[0], self.custom[1], None
        i = min(max(self.sample, 0), len(insp.images) - 1)
        return insp.images[i], insp.display[i], i
