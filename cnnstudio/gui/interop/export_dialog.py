"""File → Export…: the project's network as ONNX, TorchScript, an ExportedProgram or PyTorch
code + safetensors, with a run's weights or the project's; written and checked off the UI thread."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout)

from .import_dialog import Job

FORMATS = [("ONNX (checked with onnxruntime)", "onnx", ".onnx"), ("TorchScript", "torchscript", ".pt"),
           ("ExportedProgram (torch.export)", "exported-program", ".pt2"),
           ("PyTorch code + safetensors", "pytorch", ".py")]


def run_export(project, fmt, out, project_path, run_dir, checkpoint, force: bool = False) -> dict:
    from ...core.interop.export import export
    return export(project, fmt, out, project_path, run_dir, checkpoint, force=force)


def may_write(parent, fmt: str, out: str, project_path, weights) -> bool | None:
    """Whether to replace what is at `out` (and its weights file): False when nothing needs
    replacing, True when the user confirmed it, None when it must not be written (said in a box)."""
    from PySide6.QtWidgets import QMessageBox

    from ...core.project import outputs
    files = [Path(out)] + ([Path(out).with_suffix(".safetensors")] if fmt == "pytorch" else [])
    protect = [(project_path, "the open project")]
    if project_path and weights:
        protect.append((Path(project_path).resolve().parent / weights, "the open project's weights file"))
    refused = []
    for f in files:
        try:
            outputs.check([f], "export", False, protect)
        except outputs.Refused as e:
            if not e.forceable:
                QMessageBox.warning(parent, "Export", f"{e}. Choose another name.")
                return None
            refused.append(e)
    if not refused:
        return False
    names = "\n".join(f"• {e}" for e in refused)
    answer = QMessageBox.question(parent, "Replace files?", f"{names}\n\nReplace {'it' if len(refused) == 1 else 'them'}?",
                                  QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
    return True if answer == QMessageBox.Yes else None


class ExportDialog(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.session = session
        self.jobs: list[Job] = []
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.format = QComboBox()
        for label, key, _ in FORMATS:
            self.format.addItem(label, key)
        self.format.currentIndexChanged.connect(self._suffix)
        self.weights = QComboBox()
        self.weights.addItem("the project's weights (or a fresh initialisation)", None)
        from ...core.train.runs import list_runs, runs_folder
        for run in list_runs(runs_folder(session.path)) if session.path else []:
            self.weights.addItem(f"run {run.label}", str(run.path))
        if session.run_dir is not None:  # the run on screen (trained, or opened from elsewhere) by default
            if self.weights.findData(str(session.run_dir)) < 0:
                self.weights.addItem(f"run {session.run_dir.name} (shown)", str(session.run_dir))
            self.weights.setCurrentIndex(self.weights.findData(str(session.run_dir)))
        self.checkpoint = QComboBox()
        self.checkpoint.addItems(["best", "last"])
        base = Path(session.path).with_suffix("") if session.path else Path.cwd() / "model"
        self.output = QLineEdit(str(base) + ".onnx")
        form.addRow("Format", self.format)
        form.addRow("Weights", self.weights)
        form.addRow("Checkpoint", self.checkpoint)
        form.addRow("Write to", self.output)
        lay.addLayout(form)
        self.status = QLabel("The batch axis stays dynamic; the file is checked against PyTorch after writing.")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ActionRole)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _suffix(self) -> None:
        out = Path(self.output.text())
        self.output.setText(str(out.with_suffix(FORMATS[self.format.currentIndex()][2])))

    def start(self) -> None:
        s = self.session
        fmt, out = self.format.currentData(), self.output.text().strip()
        run_dir, checkpoint = self.weights.currentData(), self.checkpoint.currentText()
        from ...core import Project
        p = s.project  # a copy: the user may go on editing while the export runs
        project = Project(p.name, p.graph.copy(), dict(p.dataset), dict(p.training), dict(p.layout), p.weights)
        force = may_write(self, fmt, out, s.path, p.weights)
        if force is None:
            self.status.setText("Nothing written: choose another file name.")
            return
        self.export_button.setEnabled(False)
        self.status.setText(f"Exporting {fmt}…")
        job = Job(lambda: run_export(project, fmt, out, s.path, run_dir, checkpoint, force), self)
        job.done.connect(self._done)
        job.failed.connect(self._failed)
        self.jobs.append(job)
        job.start()

    def _done(self, r: dict) -> None:
        self.export_button.setEnabled(True)
        self.result = r
        check = (f" Checked: max |difference| {r['max_abs_difference']:.2e}." if "max_abs_difference" in r else "")
        self.status.setText(f"Wrote {', '.join(Path(f).name for f in r['files'])} (weights from {r['weights_from']})."
                            + check)

    def _failed(self, message: str) -> None:
        self.export_button.setEnabled(True)
        self.status.setText(message)

    def done(self, code):
        for job in self.jobs:
            job.wait()
        super().done(code)
