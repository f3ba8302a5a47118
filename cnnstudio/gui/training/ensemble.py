"""Evaluate the runs ticked in the experiment table together: each run's test accuracy and
their ensemble's, with optional test-time augmentation. It runs `cnnstudio evaluate --json`
in a child process, so the window never loads torch and never waits on the forward passes."""
from __future__ import annotations

import json
import sys

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

TTA_CHOICES = (("no test-time augmentation", "none"), ("flips averaged", "flip"), ("ten crops averaged", "tencrop"))


def _score(row: dict) -> str:
    return f"{row['accuracy']:.1%}" if "accuracy" in row else f"mAP {row['mAP']:.1%}"


class EnsemblePanel(QWidget):
    finished = Signal(dict)  # the evaluate result (plain data), or {"error": message}

    def __init__(self, ticked, parent=None):
        """`ticked()`: the run folders to evaluate (the experiment table's ticked rows)."""
        super().__init__(parent)
        self._ticked, self._proc = ticked, None
        self.tta = QComboBox()
        for text, value in TTA_CHOICES:
            self.tta.addItem(text, value)
        self.button = QPushButton("Evaluate ticked runs")
        self.button.setToolTip("Each ticked run's test accuracy and, for two or more, their ensemble's "
                               "(class probabilities averaged), as `cnnstudio evaluate` does.")
        self.button.clicked.connect(self.evaluate)
        self.result = QLabel()  # shown once there is something to say
        self.result.setWordWrap(True)
        self.result.hide()
        self.tta.setToolTip("Tick runs in the table, then evaluate them alone or as an ensemble.")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.tta, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row)
        box.addWidget(self.result)

    def _tell(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def evaluate(self) -> None:
        runs = self._ticked()
        if not runs:
            self._tell("Tick one or more runs in the table first.")
            return
        self.button.setEnabled(False)
        self._tell(f"Evaluating {len(runs)} run(s) on the test split…")
        self._proc = proc = QProcess(self)
        proc.setProgram(sys.executable)
        proc.setArguments(["-m", "cnnstudio", "evaluate", *runs, "--tta", self.tta.currentData(), "--json"])
        proc.finished.connect(lambda *_: self._done(proc))
        proc.start()

    def _done(self, proc: QProcess) -> None:
        out = bytes(proc.readAllStandardOutput()).decode(errors="replace").strip()
        err = bytes(proc.readAllStandardError()).decode(errors="replace").strip()
        self.button.setEnabled(True)
        try:
            result = json.loads(out.splitlines()[-1]) if proc.exitCode() == 0 and out else None
        except ValueError:
            result = None
        if result is None:
            message = err.splitlines()[-1] if err else "the evaluation stopped without a result"
            self._tell(message.removeprefix("cnnstudio evaluate: "))
            self.finished.emit({"error": message})
            return
        parts = [f"{r['run']} {_score(r)}" for r in result["runs"]]
        if "ensemble" in result:
            parts.append(f"ensemble of {result['ensemble']['runs']} runs {_score(result['ensemble'])}")
        self._tell(f"{result['split']} split, {result['samples']} samples: " + " · ".join(parts))
        self.finished.emit(result)
