"""The curves' full draw is spread over turns of the event loop, an axes a turn (in one turn
it paused the window ≈50 ms when a run's first batch arrived), and gives the same picture as
matplotlib's own full draw."""
from __future__ import annotations

import numpy as np

from cnnstudio.gui.training import curves


def test_a_full_draw_takes_an_axes_a_turn_and_draws_the_same_picture(qtbot):
    curves.prepare()
    qtbot.waitUntil(curves._MATPLOTLIB.is_set, timeout=60000)
    from cnnstudio.gui.training.staged_canvas import StagedCanvas
    fig, ax_loss, ax_acc, ax_lr, lines = curves._figure()
    ax_loss.plot([1, 2, 3], [1.0, 0.6, 0.4])  # drawn with the axes (the live lines are painted over)
    canvas = StagedCanvas(fig)
    qtbot.addWidget(canvas)
    canvas.resize(640, 420)
    canvas.show()
    qtbot.waitExposed(canvas)
    qtbot.waitUntil(lambda: not canvas.drawing, timeout=10000)  # the draw its showing asked for
    drawn = []
    canvas.mpl_connect("draw_event", lambda e: drawn.append(e))

    canvas.draw()
    assert canvas.drawing and len(canvas._staged[2]) == 2  # the background and one axes so far, two to go
    assert not drawn
    qtbot.waitUntil(lambda: not canvas.drawing, timeout=10000)
    assert len(drawn) == 1 and (canvas.renderer.width, canvas.renderer.height) == canvas.get_width_height(physical=True)
    staged = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw_now()  # matplotlib's whole draw, in one turn
    assert np.array_equal(staged, np.asarray(canvas.buffer_rgba()))
    assert (staged[..., :3] < 128).any()  # something was drawn: the axes' frames, ticks, labels
