"""Where the Experiments view opens in the window, and at what size: opened from View →
Experiments or by Vary… alike. A tab in front of the Training dock where that is open (the
Train workspace: the whole height); else in front of Properties (Design: the tallest room beside
the canvas, Properties a tab away); else where it was. Beside the canvas it then gets its setup
tab's width and the height its contents ask for, as far as the docks below can spare it (at
1400×900 and 1280×800 the whole Sweep tab: the Summary below the canvas gives room if it must)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget

NARROW_PX = 520  # the least width the view takes beside the canvas when it opens: its setup tab's whole width
HOSTS = ("training", "properties")  # the window's docks it opens in front of, the first one open
SIDES = (Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea)
LEAST_PX = 110  # a dock that gives the view room keeps a few rows of its own


def reveal(dock) -> None:
    """Vary…: the view in front, opened as View → Experiments opens it."""
    if not dock.toggleViewAction().isChecked():
        dock.toggleViewAction().trigger()  # → opened()
    else:
        dock.raise_()
        QTimer.singleShot(0, dock, lambda: fit(dock))


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
    QTimer.singleShot(0, dock, lambda: fit(dock))  # once the window has laid it out


def fit(dock, tries: int = 3) -> None:
    """Its setup in view: the docks in its column (Problems) give it the room its contents still
    ask for, then the docks below the canvas (Summary), each keeping a few rows; asked again on
    the next turns, as Qt lays the column out after each request. (A request for the view's own
    height is met only part way when it is tabbed with Properties.)"""
    window = dock.parent()
    if window is None or dock.isFloating() or not dock.isVisible():
        return
    if dock.width() < NARROW_PX:
        window.resizeDocks([dock], [min(NARROW_PX, window.width() * 2 // 5)], Qt.Horizontal)
    area = dock.arrangement  # what it cannot show yet: its scroll areas' overflow
    short = area.verticalScrollBar().maximum() + (area.setup_page.verticalScrollBar().maximum()
                                                  if area.setup_page.isVisible() else 0)
    if short and dock.height() < window.height() * 2 // 3 and window.dockWidgetArea(dock) in SIDES:
        tabbed = set(window.tabifiedDockWidgets(dock)) | {dock}
        docks = [d for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
        column = [d for d in docks if d not in tabbed and window.dockWidgetArea(d) == window.dockWidgetArea(dock)]
        below = [d for d in docks if window.dockWidgetArea(d) == Qt.BottomDockWidgetArea]
        giver = max((d for d in column + below if d.height() > LEAST_PX + 8),
                    key=lambda d: (d in column, d.height()), default=None)
        if giver is not None:
            window.resizeDocks([giver], [max(LEAST_PX, giver.height() - short - 4)], Qt.Vertical)
            if tries > 1:
                QTimer.singleShot(0, dock, lambda: fit(dock, tries - 1))
