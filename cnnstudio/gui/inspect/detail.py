"""One sample up close: its prediction, the Grad-CAM overlay for any class, and its nearest
neighbours in the feature space of the last hidden layer."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .image_view import ImageView

N_NEIGHBOURS = 8


class SampleDetail(QWidget):
    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.cam_box = QCheckBox("Grad-CAM")
        self.cam_box.setChecked(True)
        self.cam_box.setToolTip("Overlay where the evidence for the class lies (Grad-CAM)")
        self.cam_class = QComboBox()
        self.cam_class.setToolTip("Class to explain")
        self.cam_layer = QComboBox()
        self.cam_layer.setToolTip("Layer whose maps Grad-CAM weighs (default: the last convolution)")
        self.cam_box.toggled.connect(self.refresh)
        self.cam_class.currentIndexChanged.connect(self.refresh)
        self.cam_layer.currentIndexChanged.connect(self.refresh)
        self.image = ImageView()
        self.image.setMinimumSize(160, 160)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.neighbours = ImageView()
        self.neighbours.setMinimumHeight(60)
        self.neighbours.clicked.connect(self._neighbour_clicked)
        self.nb_text = QLabel()
        self.nb_text.setWordWrap(True)
        row = QHBoxLayout()
        for w in (self.cam_box, self.cam_class, self.cam_layer):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.image, 3)
        lay.addWidget(self.text)
        lay.addWidget(QLabel("Nearest neighbours (last hidden layer)"))
        lay.addWidget(self.neighbours, 1)
        lay.addWidget(self.nb_text)
        self._nb = np.zeros(0, int)
        state.changed.connect(self.reload)
        state.sample_changed.connect(self.refresh)
        self.reload()

    def reload(self) -> None:
        insp = self.state.inspection
        for combo in (self.cam_class, self.cam_layer):
            combo.blockSignals(True)
            combo.clear()
        if insp is not None and insp.task != "box":
            self.cam_class.addItem("predicted class", None)
            n = 2 if insp.task == "binary" else len(insp.classes)
            for c in range(n):
                self.cam_class.addItem(f"class {insp.class_name(c)}", c)
            self.cam_layer.addItem("last conv layer", None)
            for nid in insp.analysis.order:
                shape = insp.analysis.info[nid].shape
                if shape and len(shape) == len(insp.shape) and insp.graph.nodes[nid].type != "Input":
                    self.cam_layer.addItem(nid, nid)
        for combo in (self.cam_class, self.cam_layer):
            combo.blockSignals(False)
        for w in (self.cam_box, self.cam_class, self.cam_layer):
            w.setVisible(insp is not None and insp.task != "box")
        self.refresh()

    def refresh(self) -> None:
        cur = self.state.current()
        if cur is None:
            self.image.set_image(None, self.state.message)
            self.neighbours.set_image(None)
            self.text.setText("")
            self.nb_text.setText("")
            return
        x, display, index = cur
        insp = self.state.inspection
        from ...core.inspect.predictions import raw_outputs, to_probs, top_k
        raw = raw_outputs(insp.net, x[None])
        where = "dropped image" if index is None else f"test sample {index}"
        if insp.task == "box":
            self._show_box(x, display, index, raw[0], where)
            return
        if insp.task == "multilabel":  # every class is its own yes/no
            probs = raw[0] if insp.activation == "sigmoid" else 1 / (1 + np.exp(-raw[0].astype(np.float64)))
            true = "" if index is None else " — true: " + (", ".join(
                insp.class_name(c) for c in np.flatnonzero(insp.labels[index] > 0.5)) or "none")
            lines = [f"<b>{where}</b>{true}", f"every class, ✓ at probability ≥ {insp.threshold:g}:"]
            lines += [f"{'✓' if p >= insp.threshold else '·'} {insp.class_name(c)}: {p:.1%}" for c, p in enumerate(probs)]
        else:
            probs = to_probs(raw, insp.activation)[0]
            lines = [f"<b>{where}</b>" + (f" — true: {insp.class_name(int(insp.labels[index]))}" if index is not None else "")]
            lines += [f"{insp.class_name(c)}: {p:.1%}" for c, p in top_k(probs, 3)]
        img = display
        if self.cam_box.isChecked():
            from ...core.inspect.gradcam import grad_cam
            from ...core.inspect.mosaic import cam_overlay
            try:
                heat, node, cls = grad_cam(insp.net, x, self.cam_class.currentData(), self.cam_layer.currentData(),
                                           insp.activation)
                img = cam_overlay(display, heat)
                self.heat = heat
                lines.append(f"Grad-CAM of class {insp.class_name(cls)} at {node}: red = strongest evidence.")
            except ValueError as e:
                lines.append(str(e))
        self.image.boxes = []
        self.image.set_image(img)
        self.text.setText("<br>".join(lines))
        self._show_neighbours(x, index)

    def _show_box(self, x, display, index, out, where) -> None:
        from ...core.inspect.mosaic import draw_box
        from ...core.boxes import to_corners
        from ...core.inspect.predictions import box_iou
        h, w = display.shape[:2]
        scale = np.array([w - 1, h - 1, w - 1, h - 1])
        img = draw_box(display, to_corners(out[:4]) * scale, (230, 40, 40))
        fmt = lambda b: "(" + ", ".join(f"{v:.2f}" for v in b[:4]) + ")"
        text = f"<b>{where}</b> — boxes as (centre x, centre y, width, height): predicted (red) {fmt(out)}"
        if index is not None:
            truth = self.state.inspection.labels[index]
            img = draw_box(img, to_corners(truth) * scale, (40, 200, 60))
            text += f", true (green) {fmt(truth)}; IoU {box_iou(out[None, :4], truth[None])[0]:.2f}"
        self.image.set_image(img)
        self.text.setText(text)
        self.neighbours.set_image(None, "Neighbours are shown for classification runs.")
        self.nb_text.setText("")

    def _show_neighbours(self, x, index) -> None:
        from ...core.inspect.mosaic import as_rgb, tile, upscale
        from ...core.inspect.neighbours import embed, hidden_node, nearest
        insp = self.state.inspection
        feats = insp.features()
        query = feats[index] if index is not None else embed(insp.net, x[None], hidden_node(insp.net, insp.graph))[0]
        idx, sim = nearest(feats, query, N_NEIGHBOURS, exclude=index)
        self._nb = idx
        disp = insp.to_display(insp.images[idx])
        s = max(1, 48 // max(disp.shape[1:3]))
        self.nb_mosaic = tile(np.stack([upscale(as_rgb(d), s) for d in disp]), cols=len(idx), pad=2)
        self._nb_tile = disp.shape[2] * s + 2
        self.neighbours.set_image(self.nb_mosaic)
        self.nb_text.setText("  ".join(f"#{i} {insp.class_name(int(insp.predictions.labels[i]))} ({s_:.2f})"
                                       for i, s_ in zip(idx, sim)) + "  — label (cosine similarity); click one to open it")

    def _neighbour_clicked(self, x, y) -> None:
        k = x // getattr(self, "_nb_tile", 1)
        if 0 <= k < len(self._nb):
            self.state.select_sample(int(self._nb[k]))
