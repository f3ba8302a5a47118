"""Filters: a conv layer's kernels as one zoomable mosaic, plus its weight histogram; click a
filter to see what its unit looks for (top-9 test patches and activation maximisation)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel

from .image_view import ImageView, ZoomArea
from .widgets import Panel, zoom_buttons


UNIT_HINT = "Click a filter to see the test patches that excite it most."


class FiltersPanel(Panel):
    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.layer = QComboBox()
        self.layer.setToolTip("The convolution layer whose kernels are shown")
        self.layer.currentIndexChanged.connect(self.refresh)
        self.controls.addWidget(QLabel("Layer"))
        self.controls.addWidget(self.layer, 1)
        self.area = ZoomArea()
        self.controls.addWidget(zoom_buttons(self.area))
        self.caption = QLabel()
        self.caption.setWordWrap(True)  # unwrapped, a long caption widened the panel past its dock
        self.hist = ImageView()
        self.hist.setMaximumHeight(70)
        self.hist_label = QLabel()
        self.hist_label.setWordWrap(True)
        self.body.addWidget(self.area, 1)
        self.body.addWidget(self.caption)
        self.body.addWidget(QLabel("Weight histogram"))
        self.body.addWidget(self.hist)
        self.body.addWidget(self.hist_label)
        self.unit_view = ImageView()
        self.unit_view.setMaximumHeight(80)
        self.unit_caption = QLabel(UNIT_HINT)
        self.unit_caption.setWordWrap(True)
        self.body.addWidget(self.unit_view)
        self.body.addWidget(self.unit_caption)
        self.area.view.clicked.connect(self.filter_clicked)
        self._layers, self._shown, self.mosaic, self.stale = [], None, None, False
        state.follow(self.reload)
        state.session.selection_changed.connect(self.follow_selection)
        self._unit_asked = None  # {node, channel} of the unit whose patches are being found
        self.reload()

    def reload(self) -> None:
        insp = self.state.inspection
        current = self.layer.currentText()
        self._layers = list(insp.convs) if insp is not None else []  # [{label, node, shape}]
        names = [l["label"] for l in self._layers]
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(names)
        self.layer.setCurrentIndex(names.index(current) if current in names else 0)
        self.layer.blockSignals(False)
        self._shown = None
        self.refresh()
        self._ask_unit_again()

    def _ask_unit_again(self) -> None:
        """A new run or epoch drops the search for a unit's patches (its answer would be stale):
        search the new weights for the unit the user clicked, or say it is not there."""
        asked, self._unit_asked = self._unit_asked, None
        if asked is None:  # none asked, or its answer came
            return
        if any(l["node"] == asked["node"] for l in self._layers):
            self._unit_asked = asked
            self.state.ask("unit", self._got_unit, **asked)
        else:
            self.unit_caption.setText(UNIT_HINT)

    def follow_selection(self, ids: list) -> None:
        """Clicking a conv node on the canvas shows its kernels."""
        for i, l in enumerate(self._layers):
            if ids and l["node"] == ids[0]:
                self.layer.setCurrentIndex(i)
                return

    def refresh(self) -> None:
        """Ask the inspection process for the layer's mosaic and histogram; the last ones stay
        up until they come."""
        i = self.layer.currentIndex()
        self.stale = False
        if not self._layers or i < 0:
            msg = self.state.message if self.state.inspection is None else "This network has no convolution layer."
            self.area.view.set_image(None, msg)
            self.hist.set_image(None)
            self.caption.setText("")
            self.hist_label.setText("")
            self.mosaic = None
            return
        key = (self.state.version, i)
        if key == self._shown:
            return
        layer = self._layers[i]
        if layer["label"] != getattr(self, "_layer_shown", None):  # another layer: nothing of the last one's stays
            self._layer_shown = layer["label"]
            self.caption.setText(f"Computing the filters of {layer['label']} …")
            if self._unit_asked is None or self._unit_asked["node"] != layer["node"]:
                self._unit_asked = None
                self.unit_view.set_image(None)
                self.unit_caption.setText(UNIT_HINT)
        if not self.state.showing(self):
            self.stale = True  # asked for when the panel comes into view
            return
        self.show_info("Computing the filters …")
        self.state.ask("filters", lambda r: self._got(r, key), layer=self._layers[i]["label"])

    def _got(self, reply: dict, key) -> None:
        from ...core.inspect.filters import Mosaic, histogram_image

        if "error" in reply:
            self.show_error(reply["error"])
            return
        self.show_info("")
        self._shown = key
        layer, m = self._layers[key[1]], Mosaic(**reply["mosaic"])
        self.area.view.set_image(m.image)
        self.caption.setText(f"{layer['label']}: {m.caption}. Each filter is scaled to its own range "
                             "(dark = most negative, light = most positive).")
        self.hist.set_image(histogram_image(reply["counts"]))
        edges = reply["edges"]
        self.hist_label.setText(f"{reply['size']:,} weights from {edges[0]:.3g} to {edges[-1]:.3g}; "
                                f"mean {reply['mean']:.3g}, std {reply['std']:.3g}")
        self.mosaic = m
        self.unit_view.set_image(None)

    def filter_clicked(self, x: int, y: int) -> None:
        """What the clicked filter's unit looks for, over the run's test samples (asked of the
        inspection process: top patches and activation maximisation take a while)."""
        from ...core.inspect.mosaic import tile_at

        m, i = getattr(self, "mosaic", None), self.layer.currentIndex()
        if m is None or self.state.inspection is None or i < 0:
            return
        hit = tile_at(y, x, m.count, m.tile_h, m.tile_w, m.cols, m.pad)
        layer = self._layers[i]
        if hit is None:
            return
        shape = layer["shape"]
        per_filter = 1 if shape[1] == 3 and len(shape) == 4 else m.cols
        channel = hit[0] // max(per_filter, 1)
        if layer["label"] != layer["node"]:
            self.unit_caption.setText(f"{layer['label']} is inside the block {layer['node']}; pick a plain "
                                      "convolution layer to see what its units look for.")
            return
        self.unit_caption.setText(f"{layer['node']} channel {channel}: finding the test patches that excite it "
                                  "most …")
        self._unit_asked = {"node": layer["node"], "channel": int(channel)}
        self.state.ask("unit", self._got_unit, **self._unit_asked)

    def _got_unit(self, reply: dict) -> None:
        if self._unit_asked is None:  # asked for a layer no longer shown
            return
        self._unit_asked = None
        if "error" in reply:
            self.unit_caption.setText(reply["error"])
            return
        self.unit_view.set_image(reply["image"])
        self.unit_caption.setText(reply["caption"])
