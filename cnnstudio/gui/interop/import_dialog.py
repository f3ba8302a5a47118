"""File → Import model…: a torchvision model (searchable, with parameter counts and input
sizes), an ONNX file or a Python factory, imported off the UI thread into a new project."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QTabWidget, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)


class Job(QThread):
    """Runs `fn()` in a thread (torch work: tracing, weights, writing); reports a value or a message.
    `cancel` is set when the dialog closes: a job running the user's code ends its child process."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn, parent=None):
        super().__init__(parent)
        self.fn = fn
        self.cancel = threading.Event()

    def run(self):
        try:
            self.done.emit(self.fn())
        except BaseException as e:  # noqa: BLE001 - even a SystemExit reaches the user as a line, not an abort
            self.failed.emit(str(e) or type(e).__name__)


def zoo_rows() -> list[dict]:
    """torchvision's CNNs with their sizes, from a cache file named for the installed torchvision
    (listing them imports torchvision and reads every model's metadata: ≈20 s)."""
    import json
    from importlib.metadata import PackageNotFoundError, version

    from ...core.data.vision import data_root
    from ...core.project.atomic import atomic_write_text
    try:
        # "-2": parameters as the import gives them (an older list counted Inception-v3's aux head)
        cache = data_root().parent / f"torchvision-{version('torchvision')}-models-2.json"
    except PackageNotFoundError:
        cache = None
    if cache is not None and cache.is_file():
        try:
            return json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # damaged: listed again and rewritten
            pass
    from ...core.interop import zoo
    rows = [{"name": n, **zoo.info(n)} for n in zoo.model_names()]
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache, json.dumps(rows))
        except OSError:  # a read-only folder: listed again next time
            pass
    return rows


def image_datasets() -> list:
    """The datasets a 2-D image model can be fitted to (not signals or volumes)."""
    from ...core.data.registry import DATASETS
    return [d for d in DATASETS.values() if d.shape is None or len(d.shape) == 3]


def run_import(source: str, weights: str, shape, out: str, dataset: str | None, freeze: bool, cancel=None) -> dict:
    """The import: a factory's code runs in a child process that `cancel` (an Event) ends."""
    from ...core.interop import InteropError
    from ...core.interop.importer import save_imported
    from ...core.interop.open_model import carries_weights
    from ...core.interop.usercode import import_checked
    from ...core.interop.zoo import OfflineError
    try:
        imported, diff = import_checked(source, weights, shape, progress=False, cancel=cancel)
    except OfflineError as e:  # in the window's terms, not the command line's
        raise InteropError(e.say("choose Weights: from a file… and Browse to it")) from None
    saved = save_imported(imported, out, carries_weights(source, weights), dataset, freeze)
    return {**saved, "max_abs_difference": diff, "blocks": len(imported.graph.nodes), "notes": imported.notes}


class ImportDialog(QDialog):
    imported = Signal(str)  # the project written

    def __init__(self, parent=None, folder: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Import model")
        self.resize(640, 560)
        # the project's folder, else the last one imported into, else home: never the program's working folder
        self.settings = getattr(parent, "settings", None)
        last = self.settings.value("import/folder", "") if self.settings is not None else ""
        self.folder = folder or (last if last and Path(last).is_dir() else str(Path.home()))
        self.jobs: list[Job] = []
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs)

        zoo_tab = QWidget()
        z = QVBoxLayout(zoo_tab)
        self.search = QLineEdit(placeholderText="Search torchvision models (e.g. resnet, mobilenet)")
        self.search.textChanged.connect(self._filter)
        self.models = QTreeWidget()
        self.models.setHeaderLabels(["model", "parameters", "input", "ImageNet top-1"])
        self.models.setRootIsDecorated(False)
        self.models.setColumnWidth(0, 200)
        self.models.currentItemChanged.connect(lambda *_: self._suggest_output())
        z.addWidget(self.search)
        z.addWidget(self.models)
        z.addWidget(QLabel("Vision transformers (vit, swin, maxvit) have no CNN Studio blocks and are not listed."))
        self.tabs.addTab(zoo_tab, "torchvision")

        onnx_tab = QWidget()
        f = QFormLayout(onnx_tab)
        self.onnx_path = QLineEdit(placeholderText="model.onnx")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_onnx)
        row = QHBoxLayout()
        row.addWidget(self.onnx_path)
        row.addWidget(browse)
        f.addRow("ONNX file (opset 13+)", row)
        self.tabs.addTab(onnx_tab, "ONNX file")

        py_tab = QWidget()
        f = QFormLayout(py_tab)
        self.factory = QLineEdit(placeholderText="package.module:factory")
        f.addRow("Python factory", self.factory)
        f.addRow(QLabel("A function returning your nn.Module; it is traced with torch.fx.\n"
                        "Run CNN Studio from the folder that holds the module."))
        self.tabs.addTab(py_tab, "Python factory")

        opts = QFormLayout()
        self.weights = QComboBox()
        self.weights.addItems(["none (fresh start)", "pretrained (torchvision, cached)", "from a file…"])
        self.weights.activated.connect(lambda i: i == 2 and not self.weights_file.text() and self._browse_weights())
        self.weights_file = QLineEdit(placeholderText="weights.safetensors or a torch state dict")
        browse_weights = QPushButton("Browse…")
        browse_weights.clicked.connect(self._browse_weights)
        weights_row = QHBoxLayout()
        weights_row.addWidget(self.weights_file, 1)
        weights_row.addWidget(browse_weights)
        self.shape = QLineEdit(placeholderText="the model's own, e.g. 3,224,224")
        self.dataset = QComboBox()
        self.dataset.addItem("keep the model as it is", None)
        for d in image_datasets():
            self.dataset.addItem(f"fit to {d.name} (new head)", d.id)
        self.freeze = QComboBox()
        self.freeze.addItems(["train every block", "freeze every block before the head"])
        self.output = QLineEdit()
        opts.addRow("Weights", self.weights)
        opts.addRow("Weights file", weights_row)
        opts.addRow("Input shape C,H,W", self.shape)
        opts.addRow("Dataset", self.dataset)
        opts.addRow("Transfer learning", self.freeze)
        opts.addRow("Save project as", self.output)
        lay.addLayout(opts)
        self.status = QLabel("Loading the list of torchvision models…")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._start(zoo_rows, self._fill, lambda msg: self.status.setText(f"Cannot list torchvision's models: {msg}"))

    # --- the model list -------------------------------------------------------------------
    def _fill(self, rows) -> None:
        for r in rows:
            acc = f"{r['accuracy']:.1f} %" if r.get("accuracy") else ""
            it = QTreeWidgetItem([r["name"], f"{r['params']:,}", f"{r['input_size']}×{r['input_size']}", acc])
            self.models.addTopLevelItem(it)
        self.status.setText(f"{len(rows)} convolutional models. Pick one, or an ONNX file or a Python factory.")
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        for i in range(self.models.topLevelItemCount()):
            it = self.models.topLevelItem(i)
            it.setHidden(bool(text) and text not in it.text(0))

    def visible_models(self) -> list[str]:
        return [self.models.topLevelItem(i).text(0) for i in range(self.models.topLevelItemCount())
                if not self.models.topLevelItem(i).isHidden()]

    def _browse_onnx(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "ONNX file", self.folder, "ONNX models (*.onnx)")
        if path:
            self.onnx_path.setText(path)
            self._suggest_output()

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights file", self.folder,
                                              "Weights (*.safetensors *.pth *.pt *.bin);;All files (*)")
        if path:
            self.weights_file.setText(path)
            self.weights.setCurrentIndex(2)

    def _suggest_output(self) -> None:
        if self.output.isModified() and self.output.text():
            return
        name = self._source_name()
        if name:
            self.output.setText(str(Path(self.folder) / f"{name}.cnnproj"))

    def _source_name(self) -> str:
        src = self.source()
        return Path(src.split(":", 1)[-1]).stem.replace(".", "_") if src else ""

    # --- importing ------------------------------------------------------------------------
    def source(self) -> str:
        tab = self.tabs.currentIndex()
        if tab == 0:
            it = self.models.currentItem()
            return f"torchvision:{it.text(0)}" if it is not None and not it.isHidden() else ""
        if tab == 1:
            return self.onnx_path.text().strip()
        return self.factory.text().strip()

    def start(self) -> None:
        from ...core.interop import InteropError, parse_shape
        source, out = self.source(), self.output.text().strip()
        if not source:
            self.status.setText("Choose a model first.")
            return
        if not out.endswith(".cnnproj"):
            self.status.setText("Save the project as a .cnnproj file.")
            return
        weights = ("none", "pretrained", self.weights_file.text().strip())[self.weights.currentIndex()]
        if not weights:
            self.status.setText("Give the weights file, or choose none.")
            return
        try:
            shape = parse_shape(self.shape.text()) if self.shape.text().strip() else None
        except InteropError as e:
            self.status.setText(str(e))
            return
        dataset, freeze = self.dataset.currentData(), self.freeze.currentIndex() == 1
        self.import_button.setEnabled(False)
        self.status.setText(f"Importing {source}…")
        cancel = threading.Event()
        self._start(lambda: run_import(source, weights, shape, out, dataset, freeze, cancel), self._done,
                    self._failed, cancel)

    def _start(self, fn, ok, bad, cancel=None) -> None:
        job = Job(fn, self)
        job.cancel = cancel or job.cancel
        job.done.connect(ok)
        job.failed.connect(bad)
        self.jobs.append(job)
        job.start()

    def _done(self, result: dict) -> None:
        self.import_button.setEnabled(True)
        if self.settings is not None:
            self.settings.setValue("import/folder", str(Path(result["project"]).parent))
        self.result = result
        self.imported.emit(result["project"])
        self.accept()

    def _failed(self, message: str) -> None:
        self.import_button.setEnabled(True)
        self.status.setText(message)

    def done(self, code):  # noqa: D401 - QDialog.done: cancel a running import, then wait for it
        for job in self.jobs:
            job.cancel.set()
        for job in self.jobs:
            job.wait()
        super().done(code)
