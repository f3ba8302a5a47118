"""Feature maps: a sample's activations, layer by layer, as mosaics (signals as heat strips,
volumes one depth slice at a time). Click a unit to see its receptive field on the input (and,
on a deformable layer, where its taps sample); click a node on the canvas to see its maps."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QLabel, QPushButton, QScrollArea, QSlider, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from .image_view import DropTarget, ImageView, ZoomArea
from .widgets import Panel, zoom_buttons

ALL = "All layers"
UNIT = "#ff3030"
TAP = "#00e0ff"


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
        self.depth = QSlider(Qt.Orientation.Horizontal)
        self.depth.setToolTip("Depth slice of a volume layer's maps")
        self.depth.setMinimumWidth(120)  # a track to drag along, not a bare handle
        self.depth.setMaximumWidth(240)
        self.depth.valueChanged.connect(self.refresh)
        self.depth_label = QLabel("Depth")
        self.depth.setVisible(False)
        self.depth_label.setVisible(False)
        for w in (QLabel("Sample"), self.sample, self.open_btn, QLabel("Layer"), self.layer, self.depth_label,
                  self.depth):
            self.controls.addWidget(w)
        self.controls.setStretchFactor(self.layer, 1)
        self.area = ZoomArea()
        self.controls.addWidget(zoom_buttons(self.area))
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
        self.acts, self.mosaics = {}, {}  # node → its maps and their mosaic, for the layer(s) shown
        self._shown = self._asked = self._index = None
        self.stale = False
        state.follow(self.reload)
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
        """Show the layer in view for the sample in view: its maps and their mosaic come from the
        inspection process; until they do, the last ones stay up."""
        cur = self.state.current()
        self.stale = False
        if cur is None:
            self.input_view.set_image(None, self.state.message)
            self.area.view.set_image(None, self.state.message)
            self.caption.setText("")
            self.acts, self.mosaics, self._shown = {}, {}, None
            return
        _, display, index = cur
        if index is not None and self.sample.value() != index:
            self.sample.blockSignals(True)
            self.sample.setValue(index)
            self.sample.blockSignals(False)
        self.input_view.boxes = []
        self.input_view.set_image(display)
        node = self.layer.currentText()
        shape = self.state.inspection.analysis.info[node].shape if node in self.state.inspection.graph.nodes else None
        volume = shape is not None and len(shape) == 4
        self.depth.setVisible(volume)
        self.depth_label.setVisible(volume)
        if volume:
            self.depth.blockSignals(True)
            self.depth.setRange(0, shape[1] - 1)
            self.depth.blockSignals(False)
            self.depth_label.setText(f"Depth {self.depth.value() + 1}/{shape[1]}")
        key = (self.state.sample_key(), node, self.depth.value() if volume else None)
        if key == self._shown or not node:
            return
        if not self.state.showing(self):
            self.stale = True  # asked for when the panel comes into view
            return
        if key != self._asked:
            self._asked = key
            self.show_info("Computing feature maps …")
            self.state.ask("features", lambda r: self._got(r, key), key=list(key[0]),
                           node="*" if node == ALL else node, depth=key[2], **self.state.where())

    def _got(self, reply: dict, key) -> None:
        from ...core.inspect.filters import Mosaic
        self._asked = None
        if "error" in reply:
            self.show_error(reply["error"])
            return
        self.show_info("")
        self._shown, self._index = key, self.state.current()[2]
        self.acts = {n: m["acts"] for n, m in reply["maps"].items()}
        self.mosaics = {n: Mosaic(**m["mosaic"]) for n, m in reply["maps"].items()}
        self.draw(key[1])

    def draw(self, node: str) -> None:
        """The maps the inspection process made into mosaics (painting only)."""
        index = self._index
        every = node == ALL
        self.area.setVisible(not every)
        self.all_area.setVisible(every)
        where = "a dropped image" if index is None else f"test sample {index}"
        if every:
            self._show_all()
            self.caption.setText(f"Every layer's output for {where}. Click a unit to see the input "
                                 "pixels it depends on.")
            return
        m = self.mosaics[node]
        self.area.view.boxes = []
        self.area.view.set_image(m.image)
        shape = "×".join(map(str, self.acts[node].shape))
        self.caption.setText(f"{node} [{shape}] for {where}: {m.caption}, each map scaled to its own range. "
                             "Click a unit to see its receptive field on the input.")

    def _show_all(self) -> None:
        box = QWidget()
        lay = QVBoxLayout(box)
        self.all_views = {}
        for node, m in self.mosaics.items():
            a = self.acts[node]
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
            if a.ndim == 2:  # a signal's heat strip: the column is the position
                unit, where = (tx // m.scale,), f"position {tx // m.scale}"
                rows = (0, m.tile_h - 1)
                cols = (tx // m.scale * m.scale, (tx // m.scale + 1) * m.scale - 1)
            else:
                uy, ux = ty // m.scale, tx // m.scale
                d = self.depth.value() if a.ndim == 4 else None
                unit = (uy, ux) if d is None else (d, uy, ux)
                where = f"row {uy}, column {ux}" + (f", depth {d}" if d is not None else "")
                rows, cols = (uy * m.scale, (uy + 1) * m.scale - 1), (ux * m.scale, (ux + 1) * m.scale - 1)
            self.caption.setText(f"{node} map {i}, unit ({where}) = {a[(i, *unit)]:.4g}")
            view = self.area.view if self.layer.currentText() == node else self.all_views.get(node)
            if view is not None:
                from ...core.inspect.mosaic import tile_origin
                oy, ox = tile_origin(i, m.tile_h, m.tile_w, m.cols, m.pad)
                view.boxes = [(oy + rows[0], oy + rows[1], ox + cols[0], ox + cols[1], UNIT)]
                view.update()
        if a.ndim == 1:
            unit = ()
        box = receptive_field(insp.graph, insp.analysis, node, *unit)
        self.receptive_box = box
        if box is None:
            return
        h = self.input_view.image_size()[0]
        if len(box) == 2:  # a signal: the span of positions, on the line plot
            l0, l1 = box
            self.input_view.boxes = [(0, h - 1, l0, l1, UNIT)]
            self.caption.setText(self.caption.text() + f" — sees input positions {l0}–{l1} ({l1 - l0 + 1} samples).")
        else:
            depth = "" if len(box) == 4 else f"depth {box[0]}–{box[1]}, "
            y0, y1, x0, x1 = box[-4:]
            self.input_view.boxes = [(y0, y1, x0, x1, UNIT)]
            self.caption.setText(self.caption.text() + f" — sees input {depth}rows {y0}–{y1}, columns {x0}–{x1} "
                                 f"({y1 - y0 + 1}×{x1 - x0 + 1} pixels).")
        if insp.graph.nodes[node].type == "DeformConv2d" and len(unit) == 2:
            self._show_taps(node, *unit)
        self.input_view.update()

    def _show_taps(self, node: str, y: int, x: int) -> None:
        """A deformable unit's sampling points (after its learned offsets), asked of the
        inspection process and drawn on the input when they come."""
        self.state.ask("taps", lambda r: self._got_taps(r, node), node=node, y=y, x=x, **self.state.where())

    def _got_taps(self, reply: dict, node: str) -> None:
        from ...core.inspect.deform import input_scale
        if "error" in reply:
            self.show_error(reply["error"])
            return
        insp = self.state.inspection
        points, mask = reply["points"], reply["mask"]
        sy, sx = input_scale(insp.analysis, insp.graph, node)
        for py, px in points:
            cy, cx = int(round((py + 0.5) * sy - 0.5)), int(round((px + 0.5) * sx - 0.5))
            self.input_view.boxes.append((cy, cy, cx, cx, TAP))
        self.sampling_points = points
        weights = "" if mask is None else f", tap weights {mask.min():.2f}–{mask.max():.2f}"
        self.caption.setText(self.caption.text() + f" Cyan: where its {len(points)} taps sample after their "
                             f"learned offsets{weights}.")
        self.input_view.update()
