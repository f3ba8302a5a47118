"""Epoch timeline: the first layer's filters and the probe image's feature maps as they
were after each epoch, scrubbed with a slider."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QSplitter, QVBoxLayout, QWidget

from .image_view import ImageView, ZoomArea
from .widgets import Panel


class TimelinePanel(Panel):
    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Epoch")
        self.slider.valueChanged.connect(self.show_epoch)
        self.epoch_label = QLabel("epoch –")
        self.layer = QComboBox()
        self.layer.setToolTip("Layer whose maps of the probe image are shown")
        self.layer.currentIndexChanged.connect(lambda _: self.show_epoch(self.slider.value()))
        for w in (QLabel("Epoch"), self.slider, self.epoch_label, QLabel("Maps of"), self.layer):
            self.controls.addWidget(w)
        self.controls.setStretchFactor(self.slider, 1)
        self.probe = ImageView()
        self.filters = ZoomArea()
        self.maps = ZoomArea()
        split = QSplitter()
        for title, w in (("Probe image", self.probe), ("First-layer filters", self.filters), ("Probe feature maps", self.maps)):
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(QLabel(title))
            lay.addWidget(w, 1)
            split.addWidget(box)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 2)
        self.body.addWidget(split, 1)
        self.epochs = []
        self._probe_of = None  # the run whose probe image is shown
        self._frames = {}
        state.follow(self.reload)  # every load (new epochs included) or a run closed
        self.reload()

    def reload(self) -> None:
        from ...core.inspect.timeline import load_probe, timeline_epochs
        run_dir = self.state.run_dir
        other_run, self._run = run_dir != getattr(self, "_run", None), run_dir
        at_end = other_run or not self.epochs or self.slider.value() >= self.slider.maximum()  # follow new epochs
        self.epochs = timeline_epochs(run_dir) if run_dir else []
        if not self.epochs:  # nothing of another project's or run's timeline stays
            self.slider.setEnabled(False)
            self.epoch_label.setText("")
            self.layer.clear()
            self.frame, self._frames = None, {}
            for v in (self.probe, self.filters.view, self.maps.view):
                v.set_image(None, "")
            self._probe_of = None
            self.filters.view.set_image(None, "No epoch snapshots yet: they are saved into the run folder "
                                        "after each training epoch." if run_dir else self.state.message)
            self.show_info("")
            return
        insp = self.state.inspection
        shown = (run_dir, tuple(insp.mean), tuple(insp.std)) if insp is not None else None
        if shown is not None and shown != self._probe_of:  # the same for the whole run
            probe = load_probe(run_dir)
            if probe is not None:
                self.probe.set_image(insp.to_display(probe[None])[0])
                self._probe_of = shown
        self.slider.setEnabled(True)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.epochs) - 1)
        if at_end:
            self.slider.setValue(len(self.epochs) - 1)
        self.slider.blockSignals(False)
        self.show_epoch(self.slider.value())

    def show_epoch(self, k: int) -> None:
        from ...core.inspect.features import feature_mosaic
        from ...core.inspect.filters import filter_mosaic
        from ...core.inspect.timeline import load_frame
        if not 0 <= k < len(self.epochs):
            return
        epoch, path = self.epochs[k]
        try:
            stamp = (path, path.stat().st_mtime_ns)
            frame = self._frames.get(stamp) or load_frame(path, epoch)
        except (OSError, ValueError) as e:
            self.show_error(str(e))
            return
        self._frames = {stamp: frame}  # the one shown: a refresh at the same epoch reads no file
        self.epoch_label.setText(f"epoch {epoch} ({k + 1}/{len(self.epochs)})")
        if frame.filters is not None:
            self.filters.view.set_image(filter_mosaic(frame.filters).image)
        else:
            self.filters.view.set_image(None, "No convolution layer.")
        current = self.layer.currentText()
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(list(frame.maps))
        i = self.layer.findText(current)
        self.layer.setCurrentIndex(i if i >= 0 else 0)
        self.layer.blockSignals(False)
        node = self.layer.currentText()
        if node in frame.maps:
            m = feature_mosaic(frame.maps[node])
            self.maps.view.set_image(m.image)
            self.show_info(f"Epoch {epoch}: {frame.filters_node} filters; {node} maps of the probe image ({m.caption}).")
        self.frame = frame
