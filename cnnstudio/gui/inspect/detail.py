"""One sample up close: its prediction, the Grad-CAM overlay for any class, and its nearest
neighbours in the feature space of the last hidden layer."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QVBoxLayout, QWidget

from ..flow import FlowLayout

from .image_view import ImageView

N_NEIGHBOURS = 8


class SampleDetail(QWidget):
    def __init__(self, state, panel, parent=None):
        super().__init__(parent)
        self.state, self.panel = state, panel  # panel: the Predictions panel it sits in
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
        row = FlowLayout()  # wraps when the panel is narrow
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
        self._shown = self._asked = self._reply = None
        self.stale = False
        state.follow(self.reload)
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
        """Ask the inspection process for the sample's outputs and Grad-CAM; the last picture
        stays up (with a "computing" line) until they come."""
        cur = self.state.current()
        self.stale = False
        if cur is None:
            self.image.set_image(None, self.state.message)
            self.neighbours.set_image(None)
            self.text.setText("")
            self.nb_text.setText("")
            return
        key = (self.state.sample_key(), self.cam_box.isChecked(), self.cam_class.currentData(),
               self.cam_layer.currentData())
        if key == self._shown:
            self.render()
            return
        if not self.state.showing(self.panel):
            self.stale = True
            return
        if key != self._asked:
            self._asked = key
            self.text.setText(self.text.text().split("<br>")[0] + "<br><i>computing …</i>")
            self.state.ask("detail", lambda r: self._got(r, key), cam=key[1], target=key[2], node=key[3],
                           **self.state.where())

    def _got(self, reply: dict, key) -> None:
        self._asked = None
        if "error" in reply:
            self.text.setText(reply["error"])
            return
        self._shown, self._reply = key, reply
        self.render()

    def render(self) -> None:
        """The prediction, the overlay and the neighbours, from the last reply (numpy only)."""
        x, display, index = self.state.current()
        insp, reply = self.state.inspection, self._reply
        from ...core.inspect.predictions import to_probs, top_k
        raw = reply["raw"][None]
        where = "dropped image" if index is None else f"test sample {index}"
        if insp.task == "box":
            self._show_box(display, index, raw[0], where)
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
        if reply["heat"] is not None:
            self.heat, img = reply["heat"], reply["overlay"]
            lines.append(f"Grad-CAM of class {insp.class_name(reply['cam_class'])} at {reply['cam_node']}: "
                         "red = strongest evidence.")
        elif reply["cam_error"]:
            lines.append(reply["cam_error"])
        self.image.boxes = []
        self.image.set_image(img)
        self.text.setText("<br>".join(lines))
        self._show_neighbours(index, reply["embedding"])

    def _show_box(self, display, index, out, where) -> None:
        from ...core.inspect.mosaic import draw_box
        from ...core.data.boxes import to_corners
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

    def _show_neighbours(self, index, embedding) -> None:
        from ...core.inspect.mosaic import as_rgb, tile, upscale
        from ...core.inspect.neighbours import nearest
        insp = self.state.inspection
        feats = insp.features()
        query = feats[index] if index is not None else embedding
        idx, sim = nearest(feats, query, N_NEIGHBOURS, exclude=index)
        self._nb = idx
        disp = insp.display[idx]
        step = max(1, max(disp.shape[1:3]) // 48)  # big pictures: every step-th pixel, about 48 a side
        disp = disp[:, ::step, ::step]
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
