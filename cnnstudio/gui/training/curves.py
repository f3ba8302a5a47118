"""Live training curves: loss, accuracy (IoU; multi-label: mAP) and learning rate, drawn with matplotlib.

matplotlib is imported on a background thread when training starts (`prepare()`) or when there
is first something to draw, never at import time and never on the UI thread: until it is in,
the curves show a placeholder (importing it there froze the window 1.3–1.9 s at Start). Updates
are coalesced by a timer (at most ~4 a second) and blitted: the axes, ticks and legends are
drawn once into a cached background, and an update only repaints the lines over it (a few
ms). A full redraw happens only when a value leaves the current axis limits, which grow with
head-room so that is rare, and is drawn an axes a turn (staged_canvas.py).
"""
from __future__ import annotations

import math
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

REDRAW_MS = 250
HEADROOM = 1.25
MARGINS_PT = (52, 8, 6, 34)  # left, right, top, bottom: y label + ticks; x ticks + "epoch"
OVERLAY_COLORS = ("#7f7f7f", "#9467bd", "#8c564b", "#e377c2")  # other runs, dashed
_MATPLOTLIB = threading.Event()  # set once matplotlib and its Qt backend are imported
_loading = threading.Lock()
_SPARE: list = []  # a figure made and drawn once off the UI thread, for the first view to show


def prepare() -> None:
    """Import matplotlib off the UI thread (once; returns at once), and make the first view's
    figure there too: its first draw makes the ticks and lays out the text (≈0.1 s that would
    otherwise stall the window when the first batch of a run arrives)."""
    if _MATPLOTLIB.is_set() or not _loading.acquire(blocking=False):
        return

    def load():
        import matplotlib.backends.backend_qtagg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import matplotlib.ticker  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from . import staged_canvas  # noqa: F401
        try:
            parts = _figure()
            FigureCanvasAgg(parts[0]).draw()  # a plain Agg canvas: no Qt off the UI thread
            _SPARE.append(parts)
        finally:  # without a spare the view makes its figure itself
            _MATPLOTLIB.set()
    # not a daemon: the interpreter waits for it at exit (killed in matplotlib's C++ code, it aborted)
    threading.Thread(target=load, name="import-matplotlib").start()


def _figure():
    """The curves' figure, its three axes and its lines (no canvas: any thread may make it)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig = Figure(figsize=(5, 4.2), dpi=90)
    ax_loss, ax_acc, ax_lr = fig.subplots(3, 1, sharex=True, height_ratios=[3, 3, 1.4])
    ax_lr.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers

    def line(ax, *fmt, **kw):  # animated: left out of full draws, painted over the background
        return ax.plot([], [], *fmt, animated=True, **kw)[0]
    lines = {
        "running": line(ax_loss, color="#9ecae1", lw=1, label="train (running)"),
        "train_loss": line(ax_loss, "o-", color="#1f77b4", ms=3, label="train"),
        "val_loss": line(ax_loss, "o-", color="#ff7f0e", ms=3, label="validation"),
        "train_score": line(ax_acc, "o-", color="#1f77b4", ms=3, label="train"),
        "val_score": line(ax_acc, "o-", color="#ff7f0e", ms=3, label="validation"),
        "lr": line(ax_lr, "o-", color="#2ca02c", ms=3),  # a marker: one epoch is one point
    }
    for i, color in enumerate(OVERLAY_COLORS):
        for key, ax in (("loss", ax_loss), ("score", ax_acc), ("lr", ax_lr)):
            lines[f"cmp_{key}{i}"] = line(ax, "--", color=color, label="_none")
    for ax, label in ((ax_loss, "loss"), (ax_acc, "accuracy"), (ax_lr, "lr")):
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    ax_acc.set_ylim(0, 1.02)  # accuracy and IoU are fractions
    ax_lr.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
    ax_lr.yaxis.set_major_locator(MaxNLocator(3))
    ax_lr.set_xlabel("epoch")
    ax_loss.legend(fontsize=7, loc="upper right")
    ax_acc.legend(fontsize=7, loc="lower right")
    return fig, ax_loss, ax_acc, ax_lr, lines


EMPTY_TEXT = "Curves appear here when training starts."


class CurvesView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []  # one per finished epoch
        self.running: list[tuple[float, float]] = []  # (fractional epoch, running train loss)
        self.compare: list[tuple[str, list[dict]]] = []  # other runs overlaid: (label, rows)
        self.epochs = 0  # planned epochs: fixes the x axis for the whole run
        self.task = ""  # the running run's task: its score's name before the first epoch (multi-label: mAP)
        self.canvas = None
        self.draw_count = 0  # updates shown (blits and full draws)
        self.full_draws = 0
        self._background = None
        self._legend_dirty = False
        self._left_pt = MARGINS_PT[0]  # grows or shrinks to the widest y tick label (lr 0.0005)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel(EMPTY_TEXT)
        self._layout.addWidget(self._placeholder)
        self.setMinimumHeight(260)
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS, timeout=self._redraw)

    # --- data ------------------------------------------------------------------------------
    def set_epochs(self, n: int) -> None:
        self.epochs = n

    def set_history(self, rows: list[dict]) -> None:
        self.rows = [dict(r) for r in rows]
        self.running = []
        self.schedule_redraw()

    def add_epoch(self, row: dict) -> None:
        self.rows = [r for r in self.rows if r.get("epoch", 0) < row["epoch"]] + [dict(row)]
        self.running = [p for p in self.running if p[0] > row["epoch"]]
        self.schedule_redraw()

    def add_batch(self, msg: dict) -> None:
        x = msg["epoch"] - 1 + msg["batch"] / max(msg["batches"], 1)
        self.running.append((x, msg["loss"]))
        self.schedule_redraw()

    def set_overlays(self, runs: list[tuple[str, list[dict]]]) -> None:
        """Other runs' validation curves, dashed, over this one's (up to four)."""
        self.compare = [(label, rows) for label, rows in runs if rows][:len(OVERLAY_COLORS)]
        self._legend_dirty = True
        self.schedule_redraw()

    # --- drawing -----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.canvas is not None or self.rows or self.running or self.compare:
            self.schedule_redraw()  # what changed while hidden; builds the canvas only when there is data

    def _build(self) -> None:
        from .staged_canvas import StagedCanvas

        try:
            parts = _SPARE.pop()  # made by prepare() off the UI thread
        except IndexError:
            parts = _figure()
        fig, self.ax_loss, self.ax_acc, self.ax_lr, self.lines = parts
        self.canvas = StagedCanvas(fig)
        self.canvas.mpl_connect("draw_event", self._on_full_draw)
        self.canvas.mpl_connect("resize_event", lambda _: self._fit_margins())
        self._fit_margins()
        self._placeholder.hide()
        self._layout.addWidget(self.canvas)

    def _legends(self) -> None:
        labels = [f"val: {self.compare[i][0]}" if i < len(self.compare) else "_none"  # listed only while shown
                  for i in range(len(OVERLAY_COLORS))]
        if labels == [self.lines[f"cmp_loss{i}"].get_label() for i in range(len(OVERLAY_COLORS))]:
            return  # the legends already list these (made anew, each costs its layout again)
        for i, label in enumerate(labels):
            self.lines[f"cmp_loss{i}"].set_label(label)
            self.lines[f"cmp_score{i}"].set_label(label)
        self.ax_loss.legend(fontsize=7, loc="upper right")
        self.ax_acc.legend(fontsize=7, loc="lower right")

    def _fit_margins(self) -> None:
        """Margins in points, not fractions of the figure: a short figure (1280×800) keeps room
        for the tick labels and the "epoch" label under the axes, a narrow one for the y labels."""
        fig = self.canvas.figure
        w, h = (max(v * 72, 1.0) for v in fig.get_size_inches())  # points
        fig.subplots_adjust(left=min(self._left_pt / w, 0.4), right=1 - min(MARGINS_PT[1] / w, 0.1),
                            top=1 - min(MARGINS_PT[2] / h, 0.1), bottom=min(MARGINS_PT[3] / h, 0.4), hspace=0.12)

    def _fit_y_labels(self, renderer) -> bool:
        """Room left of the axes for the widest tick labels and the y labels, measured as drawn
        (the y label sits left of the tick labels); True when the margin had to change."""
        fig = self.canvas.figure
        x0 = min(ax.yaxis.label.get_window_extent(renderer).x0 for ax in (self.ax_loss, self.ax_acc, self.ax_lr))
        need = (fig.subplotpars.left * fig.bbox.width - x0 + 3) * 72 / fig.dpi  # points
        if abs(need - self._left_pt) < 2:
            return False
        self._left_pt = need
        self._fit_margins()
        return True

    def schedule_redraw(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _on_full_draw(self, event) -> None:
        """After any full draw (ours, a resize, an expose): cache the background, paint the lines."""
        if self._fit_y_labels(event.renderer):
            self.canvas.draw_idle()  # once more, with room for the y labels
        self._background = self.canvas.copy_from_bbox(self.canvas.figure.bbox)
        self._paint_lines()
        self.full_draws += 1

    def _paint_lines(self) -> None:
        fig = self.canvas.figure
        for ln in self.lines.values():
            fig.draw_artist(ln)

    def _redraw(self) -> None:
        if not self.isVisible() or (self.canvas is None and not (self.rows or self.running or self.compare)):
            return  # nothing drawn yet and nothing to draw: matplotlib stays unloaded
        if self.canvas is None:
            if not _MATPLOTLIB.is_set():  # still importing: the placeholder stays a moment longer
                prepare()
                self._placeholder.setText("Preparing the curves …")
                self._timer.start()
                return
            self._build()
        empty = not (self.rows or self.running or self.compare)
        if empty:  # e.g. after File → New: no axes left over from the last project's run
            self._placeholder.setText(EMPTY_TEXT)
        self._placeholder.setVisible(empty)
        self.canvas.setVisible(not empty)
        if empty:
            return
        if self.canvas.drawing:  # a full draw is under way: this update is drawn after it
            self._timer.start()
            return
        self._set_data()
        limits_changed = self._limits_changed()  # also before the first full draw: its axes fit the data
        if self._legend_dirty or self._background is None or limits_changed:
            self._legend_dirty = False
            self._legends()
            # on the next turn, after the layout: a canvas just built is drawn once at its size
            self.canvas.draw_idle()  # → _on_full_draw
        else:
            self.canvas.restore_region(self._background)
            self._paint_lines()
            self.canvas.blit(self.canvas.figure.bbox)
        self.draw_count += 1

    def _set_data(self) -> None:
        rows, L = self.rows, self.lines
        from ...core.train.metrics import score_key
        from ...core.train.metrics import headline
        self.score = score_key(rows + [r for _, other in self.compare for r in other]) or f"val_{headline(self.task)}"
        ep = [r["epoch"] for r in rows]
        L["running"].set_data([p[0] for p in self.running], [p[1] for p in self.running])
        L["train_loss"].set_data(ep, _col(rows, "train_loss"))
        L["val_loss"].set_data(ep, _col(rows, "val_loss"))
        L["train_score"].set_data(ep, _col(rows, self.score.replace("val_", "train_")))
        L["val_score"].set_data(ep, _col(rows, self.score))
        L["lr"].set_data(ep, _col(rows, "lr"))
        for i in range(len(OVERLAY_COLORS)):
            other = self.compare[i][1] if i < len(self.compare) else []
            oe = [r["epoch"] for r in other]
            L[f"cmp_loss{i}"].set_data(oe, _col(other, "val_loss"))
            L[f"cmp_score{i}"].set_data(oe, _col(other, self.score))
            L[f"cmp_lr{i}"].set_data(oe, _col(other, "lr"))

    def _limits_changed(self) -> bool:
        """Set limits that hold every point (with head-room); True when they had to change."""
        changed = False
        xs = [x for ln in self.lines.values() for x in ln.get_xdata()]
        x_hi = max([self.epochs, 1] + xs)
        x_hi = float(x_hi) + 0.3  # room past the last epoch: its marker is not cut in half
        if self.ax_loss.get_xlim() != (0.0, x_hi):
            self.ax_loss.set_xlim(0, x_hi)
            changed = True
        for ax, keys in ((self.ax_loss, ("running", "train_loss", "val_loss", "cmp_loss")),
                         (self.ax_lr, ("lr", "cmp_lr"))):
            ys = [y for k, ln in self.lines.items() if k.rstrip("0123456789") in keys
                  for y in ln.get_ydata() if math.isfinite(y)]
            if not ys:
                continue
            lo, hi = ax.get_ylim()
            if max(ys) > hi or lo != 0 or hi > HEADROOM ** 3 * max(ys):
                ax.set_ylim(0, max(ys) * HEADROOM or 1)
                changed = True
        label = _axis_label(self.score)
        if self.ax_acc.get_ylabel() != label:
            self.ax_acc.set_ylabel(label)
            self.setToolTip(_definition(self.score))
            changed = True
        return changed


def _axis_label(key: str) -> str:
    """The score axis: "accuracy", "IoU" or (multi-label) "mAP"; an old multi-label run's "accuracy"."""
    from ...core.train.metrics import NAMES
    return NAMES.get(key.partition("_")[2], "accuracy")


def _definition(key: str) -> str:
    from ...core.train.metrics import DEFINITIONS
    what = key.partition("_")[2]
    if what == "accuracy":  # an old multi-label run's history says "accuracy" too: a share of yes/no decisions
        return ""
    return f"<p><b>{_axis_label(key)}</b>: {DEFINITIONS[what]}</p>" if what in DEFINITIONS else ""  # rich text wraps


def _col(rows: list[dict], key: str) -> list[float]:
    return [float("nan") if r.get(key) is None else r[key] for r in rows]
