"""A label of a fixed two lines' height for the dock's status row (the network's check, what
is happening): a message that wraps to one, two or three lines must not move everything under
it (the settings columns, the curves, which would be drawn again in full). A longer message
scrolls inside its two lines; its tooltip holds it whole."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy

LINES = 2


class StatusLine(QScrollArea):
    def __init__(self, label: QLabel, parent=None):
        super().__init__(parent)
        self.label = label
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.setWidget(label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.viewport().setAutoFillBackground(False)  # the dock's own background shows through
        label.setAutoFillBackground(False)
        self.setFixedHeight(LINES * label.fontMetrics().lineSpacing() + 2 * label.margin())
        # its width comes from the row's stretch, never from the text's length
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
