"""Small shared pieces of the inspection panels."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ..flow import FlowLayout
from .image_view import ZoomArea


def definitions_tip(threshold: float) -> str:
    """The multi-label metrics' definitions as a tooltip (rich text, so Qt wraps the lines)."""
    import html

    from ...core.train.metrics import definition_lines
    return "".join(f"<p>{html.escape(line)}</p>" for line in definition_lines(threshold))


class Panel(QWidget):
    """A panel body: a row of controls on top, content, a status line at the bottom."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.source = QLabel(state.source_text())  # which run and checkpoint this panel shows
        self.source.setObjectName("hint")
        self.source.setWordWrap(True)  # a long run name wraps: unwrapped, it set the panel's minimum width
        self.controls = FlowLayout()  # wraps when the panel is narrow
        self.body = QVBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.source)
        lay.addLayout(self.controls)
        lay.addLayout(self.body, 1)
        lay.addWidget(self.status)
        self._notice = False
        state.panels.append(self)
        state.notice.connect(self.show_notice)
        state.changed.connect(self._clear_notice)  # connected first: panels then write their own
        state.changed.connect(lambda: self.source.setText(state.source_text()))

    def catch_up(self) -> None:
        """The panel came into view: ask for what it skipped while hidden."""
        if getattr(self, "stale", False):
            self.refresh()

    def show_notice(self, text: str) -> None:
        """Loading and load errors, from the shared state."""
        self.source.setText(self.state.source_text())
        if text.startswith(("Loading", "Waiting")):
            self.show_info(text)
        else:
            self.show_error(text)
        self._notice = True

    def _clear_notice(self) -> None:
        if self._notice and self.state.inspection is not None:
            self.show_info("")
        self._notice = False

    def show_error(self, text: str) -> None:
        self._status(text, "color: #b00020;")

    def show_info(self, text: str) -> None:
        self._status(text, "color: #555;")

    def _status(self, text: str, style: str) -> None:
        self.status.setText(text)
        if self.status.styleSheet() != style:  # setting a style sheet re-polishes the label: ≈0.6 ms
            self.status.setStyleSheet(style)


def zoom_buttons(area: ZoomArea) -> QWidget:
    """−, fit, + buttons for a ZoomArea, as one group: a wrapping toolbar moves them together
    (at 1280×800 the "+" wrapped alone onto a second row)."""
    group = QWidget()
    group.setObjectName("zoom_buttons")
    row = QHBoxLayout(group)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(2)
    for text, tip, fn in (("−", "Zoom out (Ctrl+wheel)", lambda: area.zoom_by(0.8)),
                          ("Fit", "Fit to the panel", lambda: area.set_zoom(None)),
                          ("+", "Zoom in (Ctrl+wheel)", lambda: area.zoom_by(1.25))):
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(fn)
        row.addWidget(b)
    return group
