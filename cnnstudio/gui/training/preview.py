"""Dataset preview: a sample grid and the class counts, loaded in a background thread.

Loading imports torch and may read files for seconds; a plain thread keeps the window live
and hands the finished numpy mosaic back through a queued Qt signal.
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class _Relay(QObject):
    done = Signal(object, object)  # (spec, result dict) — emitted from the loader thread


class DatasetPreview(QWidget):
    loaded = Signal(dict)  # {"shape", "classes", "counts", "train", "val", "test"}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.button = QPushButton("Preview dataset")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignCenter)
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.image)
        lay.addWidget(self.counts)
        self._relay = _Relay()
        self._relay.done.connect(self._show)
        self._spec = None
        self.last: dict | None = None
        self.spec_source = lambda: {}
        self.button.clicked.connect(lambda: self.load(self.spec_source()))

    def load(self, spec: dict) -> None:
        self._spec = dict(spec)
        self.button.setEnabled(False)
        self.status.setText(f"Loading {spec.get('id')}…")
        threading.Thread(target=self._work, args=(dict(spec),), daemon=True, name="dataset-preview").start()

    def _work(self, spec: dict) -> None:
        try:
            from ...core.data import load_dataset
            ds = load_dataset({**spec, "count": min(int(spec.get("count", 600) or 600), 600)}
                              if spec.get("id") == "shapes" else spec)
            grid = ds.sample_grid(48)
            result = {"grid": grid, "shape": ds.shape, "classes": ds.classes, "counts": ds.class_counts(),
                      "train": len(ds.train), "val": len(ds.val), "test": len(ds.test), "name": ds.name}
        except Exception as e:  # noqa: BLE001 - any failure becomes the message shown
            result = {"error": str(e)}
        self._relay.done.emit(spec, result)

    def _show(self, spec, result) -> None:
        if spec != self._spec:
            return  # a newer request is on its way
        self.button.setEnabled(True)
        if "error" in result:
            self.status.setText(f"<span style='color:#c0392b'>{result['error']}</span>")
            self.image.clear()
            self.counts.clear()
            return
        g = result.pop("grid")
        h, w = g.shape[:2]
        img = QImage(g.tobytes(), w, h, 3 * w, QImage.Format_RGB888).copy()
        scale = max(1, min(4, 260 // max(w, 1)))
        self.image.setPixmap(QPixmap.fromImage(img).scaled(w * scale, h * scale, Qt.KeepAspectRatio))
        sizes = f"{result['train']} train / {result['val']} validation / {result['test']} test"
        if spec.get("id") == "shapes":  # the preview generates a sample; the run makes them all
            sizes = f"{int(spec.get('count', 6000) or 6000):,} generated for training (preview: 600)"
        self.status.setText(f"{result['name']}: images {'×'.join(map(str, result['shape']))}, {sizes}")
        self.counts.setText("Training images per class: " + ", ".join(
            f"{c} {n}" for c, n in zip(result["classes"], result["counts"])))
        self.last = result
        self.loaded.emit(result)
