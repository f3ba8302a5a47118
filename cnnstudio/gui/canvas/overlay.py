"""The canvas's bar, below its drawing area (so it never covers a block): find-a-block (Ctrl+F:
type part of a name or type, Enter selects the next match and shows it), the map's switch (a
pointer resting on it shows the map even where no corner is free), zoom out / the zoom in
percent / zoom in / fit."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton

BAR = 32  # the bar's height: the canvas keeps this much room below its drawing area


class MapButton(QToolButton):
    """The minimap on or off; resting the pointer on it shows the map at once, wherever it covers."""

    def __init__(self, view):
        super().__init__()
        self.view = view
        self.setText("Map")
        self.setCheckable(True)
        self.setChecked(True)
        self.setAutoRaise(True)
        self.setToolTip("The whole network small, in a free corner of the canvas (rest the pointer here to see it now)")
        self.toggled.connect(lambda _: view.place_corner())

    def enterEvent(self, e):
        super().enterEvent(e)
        self.view.place_corner(peek=True)

    def leaveEvent(self, e):  # time to reach the map above: it goes only if the pointer is on neither
        super().leaveEvent(e)
        self.view.minimap.leave_soon()


class CanvasOverlay(QFrame):
    def __init__(self, view):
        super().__init__(view)  # not the viewport's child: scrolling the viewport would move it
        self.view = view
        self.setObjectName("canvasOverlay")
        self.setFrameShape(QFrame.StyledPanel)
        self.setAutoFillBackground(True)
        self.find = QLineEdit()
        self.find.setPlaceholderText("Find a block…")
        self.find.setClearButtonEnabled(True)
        self.find.setFixedWidth(170)
        self.find.hide()
        self.find.returnPressed.connect(self.find_next)
        self.find.textEdited.connect(lambda _: self._reset_find())
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.count.hide()
        self.percent = QLabel("100 %")
        self.percent.setMinimumWidth(44)
        self.percent.setAlignment(Qt.AlignCenter)
        self.percent.setToolTip("Zoom (Ctrl+wheel or the wheel; F fits the network)")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        lay.addWidget(self.find)
        lay.addWidget(self.count)
        buttons = []
        for text, tip, slot in (("−", "Zoom out", lambda: view.set_zoom(0.8)),
                                ("+", "Zoom in", lambda: view.set_zoom(1.25)), ("Fit", "Fit the network (F)", view.fit)):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(lambda *_, s=slot: s())
            buttons.append(b)
        self.zoom_out, self.zoom_in, self.fit_button = buttons
        self.map_button = MapButton(view)
        for w in (self.map_button, self.zoom_out, self.percent, self.zoom_in, self.fit_button):
            lay.addWidget(w)
        self._matches: list[str] = []
        self._at = -1

    def show_zoom(self, zoom: float) -> None:
        self.percent.setText(f"{round(zoom * 100)} %")

    def place(self) -> None:
        """In the bar below the drawing area, at its right end."""
        self.adjustSize()
        self.setFixedHeight(BAR - 4)
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width(), vp.bottom() + 3)
        self.raise_()

    # --- find ---------------------------------------------------------------------------------
    def open_find(self) -> None:
        self.find.show()
        self.count.show()
        self.place()
        self.find.setFocus()
        self.find.selectAll()

    def close_find(self) -> None:
        self.find.hide()
        self.count.hide()
        self.place()
        self.view.setFocus()

    def _reset_find(self) -> None:
        text = self.find.text().strip().lower()
        g = self.view.session.graph
        self._matches = [n for n, node in g.nodes.items() if text and (text in n.lower() or text in node.type.lower())]
        self._at = -1
        self.count.setText(f"{len(self._matches)} found" if text else "")

    def find_next(self) -> None:
        if not self._matches:
            self._reset_find()
        if not self._matches:
            self.count.setText("none found")
            return
        self._at = (self._at + 1) % len(self._matches)
        node = self._matches[self._at]
        self.view.session.select([node])
        self.view.centerOn(self.view.graph_scene.nodes[node])
        self.count.setText(f"{self._at + 1} of {len(self._matches)}")

    def keyPressEvent(self, e):
        if e.key() == Qt.Key_Escape:
            self.close_find()
            e.accept()
            return
        super().keyPressEvent(e)
