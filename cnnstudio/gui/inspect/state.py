"""The inspection state all panels share: the loaded run (loaded off the UI thread), the
sample being looked at, and a watch on the run folder so panels refresh while training."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

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
    changed = Signal()  # a new model/run is in `inspection` (or None)
    sample_changed = Signal()  # `sample` / `custom` changed
    status = Signal(str)  # a one-line summary of what is loaded, for a status bar
    notice = Signal(str)  # loading / error text every panel shows in its status line
    timeline_changed = Signal()  # new epoch snapshots on disk
    _loaded = Signal(object, object, object)  # (run_dir, Inspection or None, error text)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.inspection = None
        self.run_dir: Path | None = None
        self.sample = 0  # index into inspection.images
        self.custom = None  # (C×H×W net input, uint8 display) of a dropped image, or None
        self.message = "No run to inspect yet: train the network, or open a run folder."
        self.panels: list = []  # the panels showing this state (they register themselves)
        self._in_view: set = set()  # those whose dock is shown (not behind another tab)
        self._deferred = False  # a load waits until a panel is in view
        self._loading = False
        self._stamp = ()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._loaded.connect(self._on_loaded)
        session.run_changed.connect(self.open_run)
        if session.run_dir:
            self.open_run(session.run_dir)

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
        hidden (behind other tabs, closed) does not load the model and torch, nor re-predict
        after every epoch; the first panel shown catches up."""
        on_screen = [p for p in self.panels if p.window().isVisible()]
        return not on_screen or any(p in self._in_view for p in on_screen)

    def set_in_view(self, panel, on: bool) -> None:
        """A panel's dock came into view (its tab chosen, shown) or left it."""
        (self._in_view.add if on else self._in_view.discard)(panel)
        if on and self._deferred:
            self._load()

    def _load(self) -> None:
        if self._loading or self.run_dir is None:
            return
        if not self._wanted():
            self._deferred = True
            return
        self._deferred = False
        self._loading = True
        run_dir = self.run_dir
        self._stamp = _stamp(run_dir)
        self.notice.emit(f"Loading {run_dir.name} …")

        def work():
            try:
                from ...core.inspect.source import from_run
                insp, err = from_run(run_dir).warm(), None
            except Exception as e:  # shown in the panels, never a traceback dialog
                insp, err = None, _explain(run_dir, e)
            try:
                self._loaded.emit(run_dir, insp, err)
            except RuntimeError:  # the window closed while loading: nobody to tell
                pass

        threading.Thread(target=work, name="inspect-load", daemon=True).start()

    def _on_loaded(self, run_dir, insp, err) -> None:
        self._loading = False
        if run_dir != self.run_dir:
            self._load()  # the run changed while loading
            return
        if insp is None:
            if self.inspection is None:  # keep showing the last good model while training
                self.set_inspection(None, err)
            self.notice.emit(err)
            return
        self.set_inspection(insp)
        self.timeline_changed.emit()

    def _poll(self) -> None:
        if self.run_dir is None or self._loading:
            return
        if _stamp(self.run_dir) != self._stamp:
            self._load()

    # --- for the panels ---------------------------------------------------------------------
    def set_inspection(self, insp, message: str = "") -> None:
        """Show `insp` (tests and scripts call this directly; no thread)."""
        keep = insp is not None and self.inspection is not None and len(insp.images) == len(self.inspection.images)
        self.inspection = insp
        self.message = message
        if not keep:
            self.sample, self.custom = 0, None
        self.changed.emit()
        self.status.emit(message or (f"{insp.name}: {len(insp.images)} test samples" if insp else ""))
        self.sample_changed.emit()

    def source_text(self) -> str:
        """Which run and checkpoint the panels show, in words."""
        insp = self.inspection
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
        self.sample_changed.emit()

    def current(self):
        """(net input C×H×W, display uint8 H×W×C, test index or None) of the sample in view."""
        insp = self.inspection
        if insp is None or (self.custom is None and not len(insp.images)):
            return None
        if self.custom is not None:
            return self.custom[0], self.custom[1], None
        i = min(max(self.sample, 0), len(insp.images) - 1)
        return insp.images[i], insp.to_display(insp.images[i:i + 1])[0], i


def _explain(run_dir: Path, e: Exception) -> str:
    text = str(e) or e.__class__.__name__
    if isinstance(e, FileNotFoundError) and (run_dir / "run.json").exists() and "checkpoint" in text:
        return f"Waiting for the first epoch of {run_dir.name} to finish …"
    if isinstance(e, FileNotFoundError):
        return f"{run_dir}: not a complete run folder yet ({text})."
    if isinstance(e, (ImportError, ModuleNotFoundError)):
        return f"Cannot inspect runs: {text}."
    return f"Cannot open the run {run_dir.name}: {text}"
