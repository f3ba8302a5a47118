"""A matplotlib Qt canvas whose full draw is spread over turns of the event loop, one axes a
turn, into a renderer of its own. The curves' three axes take ≈40–50 ms to draw in full: in one
turn that is a pause of the window (the first batch of a run, a resize); a turn an axes is
≈15 ms. The widget shows its last whole picture until the new one is done, then swaps it in.
Imports matplotlib: import it only where matplotlib may load (see curves.prepare)."""
from __future__ import annotations

from matplotlib.backend_bases import DrawEvent
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import QTimer


class StagedCanvas(FigureCanvasQTAgg):
    def __init__(self, figure):
        super().__init__(figure)
        self._staged = None  # (renderer, its size key, the artists still to draw)
        self._step_timer = QTimer(self, singleShot=True, interval=1, timeout=self._step)  # 1 ms: not due in this pass of the event loop

    @property
    def drawing(self) -> bool:
        """A full draw is under way (blits wait for it: the background is not there yet)."""
        return self._staged is not None

    def draw(self) -> None:
        """Start a full draw (or start one again: the figure changed meanwhile); it ends with the
        usual "draw_event" and a repaint, a few turns later."""
        fig = self.figure
        w, h = self.get_width_height(physical=True)
        if w <= 0 or h <= 0:
            return
        key = (w, h, fig.dpi)
        artists = sorted((a for a in fig.get_children() if a is not fig.patch and a.get_visible()
                          and not a.get_animated()), key=lambda a: a.get_zorder())
        self._staged = (RendererAgg(w, h, fig.dpi), key, [fig.patch, *artists])
        self._step()  # the first part now: a synchronous caller sees the draw begun

    def draw_now(self) -> None:
        """The whole draw in this turn (pictures taken at once, tests)."""
        self._staged = None
        super().draw()

    def _step(self) -> None:
        if self._staged is None:
            return
        renderer, key, todo = self._staged
        if key != (*self.get_width_height(physical=True), self.figure.dpi):
            self.draw()  # resized meanwhile: begin again at the new size
            return
        while todo:
            artist = todo.pop(0)
            artist.draw(renderer)
            if artist is not self.figure.patch:  # the background and an axes in one turn
                break
        if todo:
            self._step_timer.start()
            return
        self._staged = None
        self.renderer, self._lastKey = renderer, key  # what get_renderer, blits and paints use
        self.figure.stale = False
        DrawEvent("draw_event", self, renderer)._process()
        self.update()
