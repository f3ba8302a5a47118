"""Predictions: a gallery of test samples (filter by class or mistakes, sort by
confidence), the chosen sample up close with Grad-CAM and neighbours; drop an image to
predict it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QScrollArea, QSplitter

from .detail import SampleDetail
from .gallery import CELL_W, GAP, MAX_CELLS, Gallery
from .image_view import DropTarget
from .widgets import Panel, definitions_tip

SORTS = (("Most confident first", "confidence"), ("Least confident first", "uncertain"), ("Test order", "index"))


class PredictionsPanel(DropTarget, Panel):
    picture_title = "Image to predict"
    no_run_text = "Open a trained run first: there is no network to predict with."

    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.cls = QComboBox()
        self.cls.setToolTip("Show only samples of this true class")
        self.mistakes = QCheckBox("Mistakes only")
        self.sort = QComboBox()
        for text, key in SORTS:
            self.sort.addItem(text, key)
        self.predict_btn = QPushButton("Predict image…")
        self.predict_btn.setToolTip("Or drop an image file onto this panel")
        self.predict_btn.clicked.connect(self.choose_picture)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.01, 0.99)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.5)
        self.threshold.setToolTip("Multi-label: a class counts as present at this probability or above")
        self.threshold.valueChanged.connect(self._threshold_changed)
        self.threshold_label = QLabel("Threshold")
        for w in (QLabel("Class"), self.cls, self.mistakes, self.sort, self.threshold_label, self.threshold,
                  self.predict_btn):
            self.controls.addWidget(w)
        self.controls.addStretch(1)
        self.cls.currentIndexChanged.connect(self.refresh)
        self.mistakes.toggled.connect(self.refresh)
        self.sort.currentIndexChanged.connect(self.refresh)
        self.gallery = Gallery()
        self.gallery.sample_clicked.connect(self.state.select_sample)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.gallery)
        # at least one whole card: a narrower column cut the labels and the "100%" column
        scroll.setMinimumWidth(CELL_W + 2 * GAP + scroll.verticalScrollBar().sizeHint().width() + 2)
        self.detail = SampleDetail(state, self)
        split = QSplitter()
        split.addWidget(scroll)
        detail_scroll = QScrollArea()  # the sample's text, Grad-CAM and neighbours scroll on their own, so the
        detail_scroll.setWidgetResizable(True)  # panel (and its status line with the metrics) fits a short dock
        detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        detail_scroll.setWidget(self.detail)
        detail_scroll.setMinimumWidth(max(240, self.detail.minimumSizeHint().width())
                                      + detail_scroll.verticalScrollBar().sizeHint().width())
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.body.addWidget(split, 1)
        self.enable_drops()
        state.follow(self.reload)
        self.reload()

    def reload(self) -> None:
        insp = self.state.inspection
        self.cls.blockSignals(True)
        self.cls.clear()
        self.cls.addItem("All classes", None)
        if insp is not None and insp.task != "box":
            for c in range(len(insp.classes)):
                self.cls.addItem(insp.class_name(c), c)
        self.cls.blockSignals(False)
        self.cls.setEnabled(insp is not None and insp.task != "box")
        multi = insp is not None and insp.task == "multilabel"
        self.threshold.setVisible(multi)
        self.threshold_label.setVisible(multi)
        if multi:
            self.threshold.blockSignals(True)
            self.threshold.setValue(insp.threshold)
            self.threshold.blockSignals(False)
        self.gallery.set_inspection(insp)
        self.refresh()

    def _threshold_changed(self, value: float) -> None:
        insp = self.state.inspection
        if insp is not None and insp.task == "multilabel":
            insp.threshold = insp.predictions.threshold = value  # "right" and the metrics depend on it
            self.refresh()
            self.detail.refresh()
            for panel in self.state.panels:  # the per-class table shows the same threshold's figures
                if panel is not self and hasattr(panel, "threshold_changed"):
                    panel.threshold_changed()

    def catch_up(self) -> None:
        if self.detail.stale:
            self.detail.refresh()

    def refresh(self) -> None:
        insp = self.state.inspection
        if insp is None:
            self.gallery.set_indices([])
            self.show_info(self.state.message)
            return
        from ...core.inspect.predictions import select
        p = insp.predictions
        idx = select(p, self.cls.currentData(), self.mistakes.isChecked(), self.sort.currentData())
        self.gallery.set_indices(idx)
        shown = f"showing the first {MAX_CELLS} of {len(idx)}" if len(idx) > MAX_CELLS else f"{len(idx)} shown"
        if p.targets is not None:  # multi-label: the metrics every view names the same way
            from ...core.train.metrics import summary_text
            score = f"at threshold {p.threshold:g}: {summary_text(insp.multilabel_metrics())}"
            self.status.setToolTip(definitions_tip(p.threshold))
        else:
            score = f"IoU ≥ 0.5 {p.accuracy:.1%}" if p.boxes is not None else f"accuracy {p.accuracy:.1%}"
            self.status.setToolTip("")
        self.show_info(f"{len(p.conf)} test samples, {score}; {shown}. "
                       "Click one to see it with Grad-CAM and its neighbours.")
