"""The Experiments dock's sweep: `cnnstudio sweep` run in a process of its own (so torch stays
out of the window) with the dock's settings, stopped like Ctrl-C, its last word shown.

A mixin of ExperimentsDock (dock.py).
"""
from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QProcess


class SweepProcess:
    def command(self) -> list[str]:
        args = ["-m", "cnnstudio", "sweep", str(self.session.path), "--trials", str(self.trials.value()),
                "--parallel", str(self.parallel.value()), "--sampler", self.sampler.currentText(),
                "--objective", self.objective.currentData()]
        study = self.settings and self.settings["study"]
        if study and {d.name: d.to_doc() for d in self.dims} != self.settings["space"]:
            study = f"{self.session.project.name} {len(self.study_names()) + 1}"  # another space: a new study
        if study:
            args += ["--study", study]
        if self.epochs.value():
            args += ["--epochs", str(self.epochs.value())]
        if self.nproc.value() > 1:  # left out: one process each (a resumed study too)
            args += ["--nproc", str(self.nproc.value())]
        for d in self.dims:
            args += ["--vary", f"{d.name}={d.to_spec()}"]
        return args

    def start(self) -> None:
        if self.session.path is None or self.session.dirty:
            self.status.setText("Save the project first: a sweep trains the project file as it is on disk.")
            return
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.SeparateChannels)
        self.process.readyReadStandardError.connect(self._stderr)
        self.process.finished.connect(self._finished)
        self.process.start(sys.executable, self.command())
        self.arrangement.show_results(self.table)
        self.status.setText("Starting the sweep…")
        self._update_buttons()

    def stop(self) -> None:
        """Like Ctrl-C: each running trial stops after its batch and is rerun when the study resumes."""
        if self.process is not None and self.process.state() != QProcess.NotRunning:
            os.kill(self.process.processId(), signal.SIGINT)

    def _stderr(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode(errors="replace").strip().splitlines()
        if text:
            self.status.setText(text[-1])

    def _finished(self, code, _status) -> None:
        self._stderr()
        refused = self.status.text() if code == 2 else ""  # why it could not start: not hidden by a summary
        self.process = None
        self.refresh(force=True)
        if refused:
            self.status.setText(refused)
        self._update_buttons()
        self.session.runs_written.emit()  # its trials' runs, for the Training dock's table
