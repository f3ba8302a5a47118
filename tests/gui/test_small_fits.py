"""Small things a new user saw cut at 1280×800: the keyboard dialog's "does" column and the
confusion matrix's row labels ("awtooth" for sawtooth)."""
from __future__ import annotations

import numpy as np

from .conftest import show_themed


def test_the_keyboard_dialog_shows_every_line_whole(qtbot):
    from cnnstudio.gui.help import ShortcutsDialog
    d = show_themed(qtbot, ShortcutsDialog())
    t, fm = d.table, d.table.fontMetrics()
    assert t.columnViewportPosition(1) + t.columnWidth(1) <= t.viewport().width()  # no column beyond the edge
    for row in range(t.rowCount()):  # each "does" fits its cell, on as many lines as it needs
        text = t.item(row, 1).text()
        lines = -(-fm.horizontalAdvance(text) // max(t.columnWidth(1) - 12, 1))
        assert t.rowHeight(row) >= lines * fm.lineSpacing(), text


def test_confusion_row_labels_have_room_for_the_class_names(qtbot):
    from cnnstudio.gui.inspect.confusion_panel import MatrixView
    view = MatrixView()
    qtbot.addWidget(view)
    view.resize(420, 360)
    names = ["sawtooth", "sine", "square"]
    view.set_matrix(np.array([[5, 1, 0], [0, 6, 0], [1, 0, 7]]), names)
    view.show()
    k, cell, x0, y0 = view.geometry_()
    room = x0 - 24  # the labels are drawn right-aligned between the "true class" arrow and the matrix
    assert all(view.fontMetrics().horizontalAdvance(n) <= room for n in names)
    view.grab()  # and it paints
