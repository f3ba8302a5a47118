"""Filters: a conv layer's kernels as one zoomable mosaic, plus its weight histogram; click a
filter to see what its unit looks for (top-9 test patches and activation maximisation)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel

from .image_view import ImageView, ZoomArea
from .widgets import Panel, zoom_buttons


class FiltersPanel(Panel):
    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.layer = QComboBox()
        self.layer.setToolTip("The convolution layer whose kernels are shown")
        self.layer.currentIndexChanged.connect(self.refresh)
        self.controls.addWidget(QLabel("Layer"))
        self.controls.addWidget(self.layer, 1)
        self.area = ZoomArea()
        for b in zoom_buttons(self.area):
            self.controls.addWidget(b)
        self.caption = QLabel()
        self.hist = ImageView()
        self.hist.setMaximumHeight(70)
        self.hist_label = QLabel()
        self.body.addWidget(self.area, 1)
        self.body.addWidget(self.caption)
        self.body.addWidget(QLabel("Weight histogram"))
        self.body.addWidget(self.hist)
        self.body.addWidget(self.hist_label)
        self.unit_view = ImageView()
        self.unit_view.setMaximumHeight(80)
        self.unit_caption = QLabel("Click a filter to see the test patches that excite it most.")
        self.unit_caption.setWordWrap(True)
        self.body.addWidget(self.unit_view)
        self.body.addWidget(self.unit_caption)
        self.area.view.clicked.connect(self.filter_clicked)
        self._layers = []
        state.changed.connect(self.reload)
        state.session.selection_changed.connect(self.follow_selection)
        self.reload()

    def reload(self) -> None:
        insp = self.state.inspection
        current = self.layer.currentText()
        self._layers = []
        if insp is not None:
            from ...core.inspect.filters import conv_layers
            self._layers = conv_layers(insp.net)
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems([l.label for l in self._layers])
        names = [l.label for l in self._layers]
        self.layer.setCurrentIndex(names.index(current) if current in names else 0)
        self.layer.blockSignals(False)
        self.refresh()

    def follow_selection(self, ids: list) -> None:
        """Clicking a conv node on the canvas shows its kernels."""
        for i, l in enumerate(self._layers):
            if ids and l.node == ids[0]:
                self.layer.setCurrentIndex(i)
                return

    def refresh(self) -> None:
        from ...core.inspect.filters import filter_mosaic, histogram_image, weight_histogram

        i = self.layer.currentIndex()
        if not self._layers or i < 0:
            msg = self.state.message if self.state.inspection is None else "This network has no convolution layer."
            self.area.view.set_image(None, msg)
            self.hist.set_image(None)
            self.caption.setText("")
            self.hist_label.setText("")
            return
        layer = self._layers[i]
        m = filter_mosaic(layer.weight)
        self.area.view.set_image(m.image)
        self.caption.setText(f"{layer.label}: {m.caption}. Each filter is scaled to its own range "
                             "(dark = most negative, light = most positive).")
        counts, edges = weight_histogram(layer.weight)
        self.hist.set_image(histogram_image(counts))
        self.hist_label.setText(f"{layer.weight.size:,} weights from {edges[0]:.3g} to {edges[-1]:.3g}; "
                                f"mean {layer.weight.mean():.3g}, std {layer.weight.std():.3g}")
        self.mosaic = m
        self.unit_view.set_image(None)

    def filter_clicked(self, x: int, y: int) -> None:
        """What the clicked filter's unit looks for, over the run's test samples."""
        from ...core.inspect.mosaic import tile_at
        from ...core.inspect.units import unit_picture

        m, insp, i = getattr(self, "mosaic", None), self.state.inspection, self.layer.currentIndex()
        if m is None or insp is None or i < 0:
            return
        hit = tile_at(y, x, m.count, m.tile_h, m.tile_w, m.cols, m.pad)
        layer = self._layers[i]
        if hit is None:
            return
        per_filter = 1 if layer.weight.shape[1] == 3 and layer.weight.ndim == 4 else m.cols
        channel = hit[0] // max(per_filter, 1)
        if layer.label != layer.node:
            self.unit_caption.setText(f"{layer.label} is inside the block {layer.node}; pick a plain "
                                      "convolution layer to see what its units look for.")
            return
        img, caption = unit_picture(insp, layer.node, channel)
        self.unit_view.set_image(img)
        self.unit_caption.setText(caption)
