"""The live curves' first drawing: one full draw at the size they have on screen (a draw at the
canvas's default size, then another once it was laid out, doubled the pause when a run's first
batch arrived), and the legends still list the runs overlaid on them."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication

from cnnstudio.gui.training import curves
from cnnstudio.gui.training.curves import CurvesView


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_first_batch_draws_the_curves_once_at_their_size(qtbot):
    curves.prepare()
    qtbot.waitUntil(curves._MATPLOTLIB.is_set, timeout=60000)
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(900, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_epochs(3)
    view.add_batch({"epoch": 1, "batch": 2, "batches": 10, "loss": 2.0})
    qtbot.waitUntil(lambda: view.full_draws >= 1, timeout=30000)
    QApplication.processEvents()  # anything else already waiting to be drawn
    canvas = view.canvas
    assert view.full_draws == 1
    assert canvas.isVisible() and not view._placeholder.isVisible()
    assert canvas.get_width_height() == (canvas.width(), canvas.height()) and canvas.width() > 800
    assert (canvas.renderer.width, canvas.renderer.height) == canvas.get_width_height(physical=True)
    assert list(view.lines["running"].get_ydata()) == [2.0]
    assert view.ax_loss.get_ylim()[1] >= 2.0 and 3 < view.ax_loss.get_xlim()[1] < 4
    assert legend_texts(view.ax_loss) == ["train (running)", "train", "validation"]

    # another run overlaid: the legends list it, and forget it once it is taken away
    rows = [{"epoch": 1, "val_loss": 1.5, "val_accuracy": 0.4, "lr": 0.01}]
    draws = view.draw_count
    view.set_overlays([("other", rows)])
    qtbot.waitUntil(lambda: view.draw_count > draws and "val: other" in legend_texts(view.ax_loss), timeout=30000)
    assert "val: other" in legend_texts(view.ax_acc)
    draws = view.draw_count
    view.set_overlays([])
    qtbot.waitUntil(lambda: view.draw_count > draws, timeout=30000)
    assert "val: other" not in legend_texts(view.ax_loss) + legend_texts(view.ax_acc)
