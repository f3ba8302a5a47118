"""Feature maps: a sample's activations, layer by layer, as mosaics. Click a unit to see
its receptive field on the input; click a node on the canvas to see that node's maps."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QLabel, QPushButton, QScrollArea, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from .image_view import DropTarget, ImageView, ZoomArea
from .widgets import Panel, zoom_buttons

ALL = "All layers"
UNIT = "#ff3030"


class FeatureMapsPanel(DropTarget, Panel):
    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.sample = QSpinBox()
        self.sample.setToolTip("Test sample to feed the network")
        self.sample.valueChanged.connect(lambda v: self.state.select_sample(v))
        self.open_btn = QPushButton("Open image…")
        self.open_btn.setToolTip("Or drop an image file onto this panel")
        self.open_btn.clicked.connect(self.choose_picture)
        self.layer = QComboBox()
        self.layer.currentIndexChanged.connect(self.refresh)
        for w in (QLabel("Sample"), self.sample, self.open_btn, QLabel("Layer"), self.layer):
            self.controls.addWidget(w)
        self.controls.setStretchFactor(self.layer, 1)
        self.area = ZoomArea()
        for b in zoom_buttons(self.area):
            self.controls.addWidget(b)
        self.area.view.clicked.connect(lambda x, y: self.unit_clicked(self.layer.currentText(), x, y))
        self.input_view = ImageView()
        self.input_view.setMinimumSize(120, 120)
        self.all_area = QScrollArea()
        self.all_area.setWidgetResizable(True)
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("Input"))
        ll.addWidget(self.input_view, 1)
        split.addWidget(left)
        split.addWidget(self.area)
        split.addWidget(self.all_area)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 3)
        self.body.addWidget(split, 1)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self.enable_drops()
        self.acts, self.mosaics, self._acts_key = {}, {}, None
        state.changed.connect(self.reload)
        state.sample_changed.connect(self.refresh)
        state.session.selection_changed.connect(self.follow_selection)
        self.reload()

    # --- inputs -----------------------------------------------------------------------------
    def reload(self) -> None:
        insp = self.state.inspection
        current = self.layer.currentText()
        self.layer.blockSignals(True)
        self.layer.clear()
        if insp is not None:
            nodes = [n for n in insp.analysis.order if insp.graph.nodes[n].type != "Input"]
            self.layer.addItems([ALL] + nodes)
            i = self.layer.findText(current)
            self.layer.setCurrentIndex(i if i >= 0 else min(1, self.layer.count() - 1))
            self.sample.blockSignals(True)
            self.sample.setRange(0, max(len(insp.images) - 1, 0))
            self.sample.setValue(self.state.sample)
            self.sample.blockSignals(False)
        self.layer.blockSignals(False)
        self.refresh()

    def follow_selection(self, ids: list) -> None:
        if ids and self.layer.findText(ids[0]) >= 0:
            self.layer.setCurrentIndex(self.layer.findText(ids[0]))

    # --- drawing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        from ...core.inspect.features import activations, feature_mosaic

        cur = self.state.current()
        if cur is None:
            self.input_view.set_image(None, self.state.message)
            self.area.view.set_image(None, self.state.message)
            self.caption.setText("")
            return
        x, display, index = cur
        if index is not None and self.sample.value() != index:
            self.sample.blockSignals(True)
            self.sample.setValue(index)
            self.sample.blockSignals(False)
        self.input_view.boxes = []
        self.input_view.set_image(display)
        key = (id(self.state.inspection), index if index is not None else id(self.state.custom))
        if key != self._acts_key:  # switching layers reuses the sample's forward pass
            self.acts, self._acts_key = activations(self.state.inspection.net, x), key
        node = self.layer.currentText()
        every = node == ALL
        self.area.setVisible(not every)
        self.all_area.setVisible(every)
        where = "a dropped image" if index is None else f"test sample {index}"
        if every:
            self._show_all(feature_mosaic)
            self.caption.setText(f"Every layer's output for {where}. Click a unit to see the input "
                                 "pixels it depends on.")
            return
        if node not in self.acts:
            self.area.view.set_image(None, "Pick a layer.")
            return
        m = self.mosaics[node] = feature_mosaic(self.acts[node])
        self.area.view.boxes = []
        self.area.view.set_image(m.image)
        shape = "×".join(map(str, self.acts[node].shape))
        self.caption.setText(f"{node} [{shape}] for {where}: {m.caption}, each map scaled to its own range. "
                             "Click a unit to see its receptive field on the input.")

    def _show_all(self, feature_mosaic) -> None:
        box = QWidget()
        lay = QVBoxLayout(box)
        self.all_views = {}
        for node, a in self.acts.items():
            if self.state.inspection.graph.nodes[node].type == "Input":
                continue
            m = self.mosaics[node] = feature_mosaic(a, max_maps=32, target=28)
            lay.addWidget(QLabel(f"{node}  [{'×'.join(map(str, a.shape))}]  {m.caption}"))
            v = ImageView(fit=False)
            v.set_image(m.image)
            v.setMinimumSize(v.sizeHint())
            v.clicked.connect(lambda x, y, n=node: self.unit_clicked(n, x, y))
            lay.addWidget(v)
            self.all_views[node] = v
        lay.addStretch(1)
        self.all_area.setWidget(box)

    def unit_clicked(self, node: str, x: int, y: int) -> None:
        """Highlight the unit and, on the input, the pixels it can see."""
        from ...core.inspect.mosaic import tile_at
        from ...core.inspect.receptive import receptive_field

        m, a = self.mosaics.get(node), self.acts.get(node)
        if m is None or a is None:
            return
        insp = self.state.inspection
        if a.ndim == 1:
            i = (y // m.tile_h) * m.cols + x // m.tile_w
            if i >= len(a):
                return
            uy = ux = 0
            self.caption.setText(f"{node} unit {i} = {a[i]:.4g}: a flat layer sees the whole input.")
        else:
            hit = tile_at(y, x, m.count, m.tile_h, m.tile_w, m.cols, m.pad)
            if hit is None:
                return
            i, ty, tx = hit
            uy, ux = ty // m.scale, tx // m.scale
            self.caption.setText(f"{node} map {i}, unit (row {uy}, column {ux}) = {a[i, uy, ux]:.4g}")
            view = self.area.view if self.layer.currentText() == node else self.all_views.get(node)
            if view is not None:
                from ...core.inspect.mosaic import tile_origin
                oy, ox = tile_origin(i, m.tile_h, m.tile_w, m.cols, m.pad)
                view.boxes = [(oy + uy * m.scale, oy + (uy + 1) * m.scale - 1,
                               ox + ux * m.scale, ox + (ux + 1) * m.scale - 1, UNIT)]
                view.update()
        box = receptive_field(insp.graph, insp.analysis, node, uy, ux)
        self.receptive_box = box
        if box is not None:
            y0, y1, x0, x1 = box
            self.input_view.boxes = [(y0, y1, x0, x1, UNIT)]
            self.input_view.update()
            self.caption.setText(self.caption.text() + f" — sees input rows {y0}–{y1}, columns {x0}–{x1} "
                                 f"({y1 - y0 + 1}×{x1 - x0 + 1} pixels).")
