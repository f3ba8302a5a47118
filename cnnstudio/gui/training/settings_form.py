"""The dataset choice and hyperparameter form: widgets ↔ the project's "dataset"/"training" dicts."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget)

from ...core.data import DATASETS, check_dataset_spec
from ...core.data.medmnist import SUBSETS
from ...core.train.launch import visible_gpus
from .columns import ColumnGrid, compact

SIZED = ("shapes", "image_folder", "multi_shapes", "volumes", "medmnist")  # datasets with an "image_size"
DEFAULT_SIZE = {"image_folder": 64, "volumes": 16, "medmnist": 28}
from ...core.train.config import TrainConfig

ALL_GPUS = "cuda-all"  # the device choice "all N GPUs": device cuda, one process per GPU
AUG_FIELDS = (("rotation", "rotation °", 0, 180, 5), ("translation", "translation", 0, 0.5, 0.05),
              ("scale", "scale ±", 0, 0.9, 0.05), ("shear", "shear °", 0, 45, 5), ("stretch", "stretch ±", 0, 0.9, 0.05))


def _spin(lo, hi, value, step=1):
    w = QSpinBox()
    w.setRange(lo, hi)
    w.setSingleStep(step)
    w.setValue(value)
    return w


def _dspin(lo, hi, value, step, decimals=4):
    w = QDoubleSpinBox()
    w.setDecimals(decimals)
    w.setRange(lo, hi)
    w.setSingleStep(step)
    w.setValue(value)
    return w


class RateSpinBox(QDoubleSpinBox):
    """A rate such as 3e-4 or 0.001, shown and typed in the shortest exact form (%g)."""

    def __init__(self, lo, hi, value, step):
        super().__init__()
        self.setDecimals(12)
        self.setRange(lo, hi)
        self.setSingleStep(step)
        self.setValue(value)

    def textFromValue(self, v: float) -> str:
        return f"{v:g}"

    def valueFromText(self, text: str) -> float:
        return float(text)

    def validate(self, text, pos):
        try:
            float(text)
            return QValidator.Acceptable, text, pos
        except ValueError:
            return QValidator.Intermediate, text, pos


def _combo(items, current):
    w = QComboBox()
    for text, data in items:
        w.addItem(text, data)
    i = w.findData(current)
    w.setCurrentIndex(max(i, 0))
    return w


class SettingsForm(ColumnGrid):
    """The dataset and training settings, in groups laid out in columns (`add_group` adds more,
    e.g. transfer learning)."""
    changed = Signal()  # any setting edited by the user
    dataset_changed = Signal()

    def __init__(self, parent=None):
        super().__init__([], parent)
        d = TrainConfig()
        self._loading = False
        self.dataset = _combo([("(choose a dataset)", "")] +
                              [(f"{i.name}" + ("" if i.source == "built-in" else f" ({i.source})"), i.id)
                               for i in DATASETS.values()], "")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder with one sub-folder of images per class")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.image_size = _spin(8, 1024, 32)
        self.image_size.setSuffix(" px")
        self.subset = _combo([(name + (" (3-D)" if dims == 3 else ""), key)
                              for key, (name, _, dims, _) in SUBSETS.items()], "pathmnist")
        self.length = _spin(16, 65536, 128)
        self.length.setSuffix(" samples")
        self.val_fraction = _dspin(0, 0.9, 0.1, 0.05, 2)
        self.resize = _spin(0, 1024, 0)
        self.resize.setSpecialValueText("as stored")
        self.resize.setSuffix(" px")
        self.channels = _combo([("as stored", None), ("grayscale (1)", 1), ("RGB (3)", 3)], None)
        self.flip = QCheckBox("flip")
        self.aug = {k: _dspin(lo, hi, 0, step, 2) for k, _, lo, hi, step in AUG_FIELDS}
        self.epochs = _spin(1, 100000, d.epochs)
        self.batch_size = _spin(1, 65536, d.batch_size, 16)
        self.optimizer = _combo([("Adam", "adam"), ("AdamW", "adamw"), ("SGD", "sgd"), ("RMSprop", "rmsprop"),
                                 ("Adagrad", "adagrad"), ("Adadelta", "adadelta")], d.optimizer)
        self.lr = RateSpinBox(1e-9, 10, d.lr, 0.0005)
        self.backbone_lr_factor = _dspin(0, 100, d.backbone_lr_factor, 0.1, 3)
        self.backbone_lr_factor.setToolTip("Transfer learning: every block but the head trains at the learning "
                                           "rate × this (e.g. 0.1 to fine-tune a pretrained backbone gently)")
        self.momentum = _dspin(0, 0.999, d.momentum, 0.05, 3)
        self.nesterov = QCheckBox("Nesterov")
        self.weight_decay = RateSpinBox(0, 1, 0, 0.0001)
        self.l1 = RateSpinBox(0, 1, 0, 0.0001)
        self.label_smoothing = _dspin(0, 0.5, 0, 0.05, 2)
        self.schedule = _combo([("constant", "none"), ("step decay", "step"), ("cosine", "cosine"),
                                ("one-cycle", "onecycle"), ("reduce on plateau", "plateau")], "none")
        gpus = visible_gpus()
        self.device = _combo([("auto (GPU if any)", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda"), ("Apple MPS", "mps")]
                             + ([(f"all {gpus} GPUs", ALL_GPUS)] if gpus > 1 else []), "auto")
        self.processes = _spin(1, 256, 1)
        self.processes.setToolTip("Data-parallel training: this many processes, each on its share of every batch "
                                  "(batch size is the global batch). On the CPU each process uses its own cores.")
        self.precision = _combo([("auto (mixed on GPU)", "auto"), ("fp32", "fp32"), ("bf16 mixed", "bf16"),
                                 ("fp16 mixed", "fp16")], "auto")
        self.early = QCheckBox("early stopping (patience 5)")

        data_box = QGroupBox("Dataset")
        f = QFormLayout(data_box)
        f.addRow("dataset", self.dataset)
        self.folder_row = QWidget()
        fr = QHBoxLayout(self.folder_row)
        fr.setContentsMargins(0, 0, 0, 0)
        fr.addWidget(self.folder, 1)
        fr.addWidget(self.browse)
        f.addRow("folder", self.folder_row)
        f.addRow("subset", self.subset)
        f.addRow("image size", self.image_size)
        f.addRow("length", self.length)
        self._rows = f
        f.addRow("validation share", self.val_fraction)
        f.addRow("resize to", self.resize)
        f.addRow("channels", self.channels)

        aug_box = self.aug_box = QGroupBox("Augment (training images)")
        grid = QGridLayout(aug_box)
        grid.addWidget(self.flip, 0, 0, 1, 2)
        for i, (k, label, *_) in enumerate(AUG_FIELDS, start=1):
            grid.addWidget(QLabel(label), i // 2, 2 * (i % 2))
            grid.addWidget(self.aug[k], i // 2, 2 * (i % 2) + 1)

        hyper = QGroupBox("Training")
        h = QFormLayout(hyper)
        h.addRow("epochs", self.epochs)
        h.addRow("batch size", self.batch_size)
        h.addRow("optimizer", self.optimizer)
        h.addRow("learning rate", self.lr)
        mom = QWidget()
        ml = QHBoxLayout(mom)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.momentum)
        ml.addWidget(self.nesterov)
        h.addRow("momentum", mom)
        h.addRow("schedule", self.schedule)
        h.addRow(self.early)

        reg = QGroupBox("Regularisation")
        r = QFormLayout(reg)
        r.addRow("weight decay (L2)", self.weight_decay)
        r.addRow("L1 penalty", self.l1)
        r.addRow("label smoothing", self.label_smoothing)

        hardware = QGroupBox("Hardware")
        hw = QFormLayout(hardware)
        hw.addRow("device", self.device)
        hw.addRow("processes", self.processes)
        hw.addRow("precision", self.precision)
        # the most used first: the grid fills its columns in this order
        self.data_box = data_box
        for box in (data_box, aug_box, hyper, reg, hardware):
            compact(box)
        self.set_groups([hyper, data_box, hardware, aug_box, reg])

        self._touched: set = set()  # widgets the user changed since load(): only those are written back
        for w in self._all():
            sig = next(s for cls, s in ((QSpinBox, "valueChanged"), (QDoubleSpinBox, "valueChanged"),
                                        (QComboBox, "currentIndexChanged"), (QCheckBox, "toggled"),
                                        (QLineEdit, "editingFinished")) if isinstance(w, cls))
            getattr(w, sig).connect(lambda *_, w=w: self._edited(w))
        for sig in (self.dataset.currentIndexChanged, self.resize.valueChanged, self.channels.currentIndexChanged,
                    self.image_size.valueChanged, self.folder.editingFinished, self.subset.currentIndexChanged,
                    self.length.valueChanged):
            sig.connect(lambda *_: self._loading or self.dataset_changed.emit())
        self.dataset.currentIndexChanged.connect(self._enable)
        self.subset.currentIndexChanged.connect(self._enable)
        self.device.currentIndexChanged.connect(self._enable)
        self.optimizer.currentIndexChanged.connect(self._enable)
        self._enable()

    def _all(self):
        return [self.dataset, self.folder, self.image_size, self.subset, self.length, self.val_fraction, self.resize, self.channels, self.flip, *self.aug.values(), self.epochs, self.batch_size,
                self.optimizer, self.lr, self.backbone_lr_factor, self.momentum, self.nesterov, self.weight_decay,
                self.l1, self.label_smoothing, self.schedule,
                self.device, self.precision, self.early]

    def _edited(self, widget):
        if not self._loading:
            self._touched.add(widget)
            self.changed.emit()

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder: one sub-folder per class", self.folder.text())
        if path:
            self.folder.setText(path)
            self.folder.editingFinished.emit()

    def _enable(self, *_):
        ds = self.dataset.currentData()
        self._rows.setRowVisible(self.folder_row, ds == "image_folder")
        self._rows.setRowVisible(self.image_size, ds in SIZED)
        self._rows.setRowVisible(self.subset, ds == "medmnist")
        self._rows.setRowVisible(self.length, ds == "signals")
        holds = self._holds()
        self.aug_box.setEnabled(holds is None)  # the warps are 2-D: signals and volumes are not augmented
        self.aug_box.setToolTip("" if holds is None else
                                f"Augmentation works on images; {self.dataset.currentText()} holds {holds}.")
        all_gpus = self.device.currentData() == ALL_GPUS
        self.processes.setEnabled(not all_gpus)
        if all_gpus:
            self.processes.setValue(visible_gpus())
        opt = self.optimizer.currentData()
        self.momentum.setEnabled(opt in ("sgd", "rmsprop"))
        self.nesterov.setEnabled(opt == "sgd")
        if opt != "sgd":
            self.nesterov.setChecked(False)

    def _holds(self) -> str | None:
        """"signals" or "volumes" for a dataset that does not hold images, else None."""
        ds = self.dataset.currentData()
        if ds == "medmnist":
            return "volumes" if str(self.subset.currentData()).endswith("3d") else None
        shape = DATASETS[ds].shape if ds in DATASETS else None
        return {2: "signals", 4: "volumes"}.get(len(shape)) if shape else None

    # --- dicts ↔ widgets ---------------------------------------------------------------------
    def load(self, dataset: dict, training: dict) -> None:
        if check_dataset_spec(dataset):  # a value the form cannot show: show defaults, keep the file's
            ok = isinstance(dataset, dict) and isinstance(dataset.get("id"), str) and dataset["id"] in DATASETS
            dataset = {"id": dataset["id"]} if ok else {}
        self._loading = True
        self._touched = set()
        try:
            d = TrainConfig()
            i = self.dataset.findData(dataset.get("id") or "")
            self.dataset.setCurrentIndex(max(i, 0))  # none chosen yet: "(choose a dataset)"
            self.val_fraction.setValue(float(dataset.get("val_fraction", 0.1)))
            self.folder.setText(str(dataset.get("path", "")))
            size = dataset.get("image_size", DEFAULT_SIZE.get(dataset.get("id"), 32))
            self.image_size.setValue(int(size[0] if isinstance(size, list) else size))
            self.subset.setCurrentIndex(max(self.subset.findData(dataset.get("subset", "pathmnist")), 0))
            self.length.setValue(int(dataset.get("length", 128)))
            r = dataset.get("resize")
            self.resize.setValue(int(r if isinstance(r, int) else r[0] if isinstance(r, list) and r else 0))
            self.channels.setCurrentIndex(max(self.channels.findData(dataset.get("channels")), 0))
            aug = dataset.get("augment") or {}
            self.flip.setChecked(bool(aug.get("flip")))
            for k, w in self.aug.items():
                w.setValue(float(aug.get(k, 0) or 0))
            for name in ("epochs", "batch_size", "lr", "backbone_lr_factor", "momentum", "weight_decay", "l1",
                         "label_smoothing"):
                w, default = getattr(self, name), getattr(d, name)
                w.setValue(type(default)(_showable(training.get(name, default), default, w)))
            for name in ("optimizer", "schedule", "device", "precision"):
                w, v = getattr(self, name), str(training.get(name, getattr(d, name))).lower()
                if w.findData(v) < 0:  # e.g. "cuda:1" from a file: show it rather than replace it
                    w.addItem(v, v)
                w.setCurrentIndex(w.findData(v))
            self.nesterov.setChecked(bool(training.get("nesterov", False)))
            self.early.setChecked(bool(training.get("early_stopping")))
        finally:
            self._loading = False
        self._enable()

    def dataset_dict(self, base: dict) -> dict:
        """The project's dataset section with the form's values (other keys kept); {} while
        no dataset is chosen."""
        if not self.dataset.currentData():
            return {}
        ds = dict(base) if base.get("id") == self.dataset.currentData() else {"id": self.dataset.currentData()}
        if self.val_fraction in self._touched or "val_fraction" in ds:
            ds["val_fraction"] = round(self.val_fraction.value(), 3)
        if ds["id"] == "image_folder":
            ds["path"] = self.folder.text().strip()
        if ds["id"] == "medmnist" and {self.subset, self.dataset} & self._touched:
            ds["subset"] = self.subset.currentData()
        if ds["id"] == "signals" and {self.length, self.dataset} & self._touched:
            ds["length"] = self.length.value()
        if ds["id"] in SIZED and {self.image_size, self.dataset} & self._touched:
            keep = ds.get("image_size")
            same = isinstance(keep, list) and keep and keep[0] == self.image_size.value()
            ds["image_size"] = keep if same else self.image_size.value()
        if self.resize.value():
            keep = ds.get("resize")
            square_kept = isinstance(keep, list) and keep and keep[0] == self.resize.value()
            ds["resize"] = keep if square_kept else self.resize.value()
        else:
            ds.pop("resize", None)
        if self.channels.currentData() in (1, 3):
            ds["channels"] = self.channels.currentData()
        else:
            ds.pop("channels", None)
        aug = {k: round(w.value(), 3) for k, w in self.aug.items() if w.value() > 0}
        if self.flip.isChecked():
            aug["flip"] = True
        if aug and self.aug_box.isEnabled():
            ds["augment"] = aug
        else:
            ds.pop("augment", None)
        return ds

    def nproc(self) -> int:
        """How many data-parallel processes to launch (a choice of this machine, not saved in the project)."""
        return self.processes.value()

    def training_dict(self, base: dict) -> dict:
        """The project's training section: the fields the user edited, the rest as they were
        (a value the form cannot show exactly must not be replaced by its rounded display)."""
        t = dict(base)
        values = {"epochs": self.epochs.value(), "batch_size": self.batch_size.value(),
                  "optimizer": self.optimizer.currentData(), "lr": self.lr.value(),
                  "backbone_lr_factor": self.backbone_lr_factor.value(),
                  "weight_decay": self.weight_decay.value(), "l1": self.l1.value(),
                  "label_smoothing": round(self.label_smoothing.value(), 3), "schedule": self.schedule.currentData(),
                  "device": "cuda" if self.device.currentData() == ALL_GPUS else self.device.currentData(),
                  "precision": self.precision.currentData()}
        if self.optimizer.currentData() in ("sgd", "rmsprop"):
            values["momentum"] = self.momentum.value()
        for name, v in values.items():
            if getattr(self, name) in self._touched:  # untouched keys stay as they are, or absent
                t[name] = v
        if {self.nesterov, self.optimizer} & self._touched:
            t["nesterov"] = self.nesterov.isChecked() and self.optimizer.currentData() == "sgd"
        if self.early.isChecked():
            t["early_stopping"] = t.get("early_stopping") if isinstance(t.get("early_stopping"), dict) else True
        else:
            t.pop("early_stopping", None)
        return t


def _showable(v, default, widget):
    """A file's value as the widget can show it; anything else (NaN, ±inf, out of the widget's
    range, not a number) shows the default — the file's own value is kept until edited."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and widget.minimum() <= v <= widget.maximum()
    return v if ok else default
