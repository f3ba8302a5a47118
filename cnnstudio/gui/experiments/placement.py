"""Where the Experiments view opens in the window, and at what size: opened from View →
Experiments or by Vary… alike. A tab in front of the Training dock where that is open (the
Train workspace: the whole height); else in front of Properties (Design: the tallest room beside
the canvas, Properties a tab away); else where it was. Beside the canvas it then gets its setup
tab's width and the height its contents ask for, as far as the docks below can spare it (at
1400×900 the whole Sweep tab; at 1280×800 it scrolls the last rows)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

NARROW_PX = 520  # the least width the view takes beside the canvas when it opens: its setup tab's whole width
HOSTS = ("training", "properties")  # the window's docks it opens in front of, the first one open


def reveal(dock) -> None:
    """Vary…: the view in front, opened as View → Experiments opens it."""
    if not dock.toggleViewAction().isChecked():
        dock.toggleViewAction().trigger()  # → opened()
    else:
        dock.raise_()
        QTimer.singleShot(0, lambda: fit(dock))


def opened(dock, shown: bool) -> None:
    """View → Experiments: `shown` when it was just opened (not closed)."""
    if not shown:
        return
    window = dock.parent()
    hosts = [getattr(window, name, None) for name in HOSTS]
    host = next((d for d in hosts if d is not None and d.toggleViewAction().isChecked() and not d.isFloating()), None)
    if host is not None:
        window.tabifyDockWidget(host, dock)
    dock.raise_()
    QTimer.singleShot(0, lambda: fit(dock))  # once the window has laid it out


def fit(dock, again: bool = True) -> None:
    """Asked twice: Qt meets a first request for height only part way (and a first width changes
    the height the contents need)."""
    window = dock.parent()
    if window is None or dock.isFloating() or not dock.isVisible():
        return
    if dock.width() < NARROW_PX:
        window.resizeDocks([dock], [min(NARROW_PX, window.width() * 2 // 5)], Qt.Horizontal)
    area = dock.arrangement  # what it cannot show yet: its scroll areas' overflow
    short = area.verticalScrollBar().maximum() + (area.setup_page.verticalScrollBar().maximum()
                                                  if area.setup_page.isVisible() else 0)
    if short and dock.height() < window.height() * 2 // 3:
        window.resizeDocks([dock], [min(dock.height() + short, window.height() * 2 // 3)], Qt.Vertical)
        if again:
            QTimer.singleShot(0, lambda: fit(dock, False))
