"""The Training dock's run history: the project's runs in the run table, the chosen one's
curves shown (and its weights in the inspection panels), an unsaved project's runs kept with
it at its first save, and the settings, curves and table arranged as the dock's shape and
the run shown ask (arrangement.py).

A mixin of TrainingDock (dock.py).
"""
from __future__ import annotations

from PySide6.QtCore import QTimer

from ...core.train.runs import list_runs, load_runs, read_metrics, runs_folder
from .unsaved import offer_to_keep


class RunHistory:
    # --- history ---------------------------------------------------------------------------------
    def _project_runs(self) -> list:
        if self.session.path:
            return list_runs(runs_folder(self.session.path))
        # unsaved: the runs this project trained, not every unsaved project's in the shared folder
        return load_runs(self._unsaved_runs)

    def _show_run(self, *_) -> None:
        d = self.runs.current()
        if not d or self.running:
            return
        rows = read_metrics(d)
        self.curves.set_epochs(len(rows))
        self.curves.set_history(rows)
        self.session.set_run(d)
        self._set_buttons()

    def _path_changed(self, path) -> None:
        """Saved: a first save offers to move the runs trained meanwhile beside the project."""
        if self._path is None and path is not None and self._unsaved_runs:
            keep = [r for r in self._unsaved_runs if not (self.running and r == self.run_dir)]
            shown = self.session.run_dir
            for moved in offer_to_keep(self, keep, runs_folder(path)):
                if shown is not None and moved.name == shown.name:
                    self.session.set_run(moved)  # the inspection panels follow it to its new place
            self._unsaved_runs = []
        self._path = path
        self.runs.say_where(None if path else runs_folder(None))
        self.runs.refresh(select=self.session.run_dir)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        from .run_control import prepare_start
        prepare_start()  # while the user reads the settings, not in the first seconds of a run

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()
        if not hasattr(self, "_fit_later"):  # a timer of the dock's own: it dies with the dock
            self._fit_later = QTimer(self, singleShot=True, interval=0, timeout=self._fit_columns)
        self._fit_later.start()  # again once the scroll area around the content has its size

    def _fit_columns(self) -> None:
        if not hasattr(self, "arrangement"):  # still being built
            return
        plotted = self.running or bool(self.curves.rows) or self.runs.current() is not None
        a = self.arrangement
        a.apply(a.choose(self.width(), self.height(), plotted))
        view = self.widget().viewport()
        a.fit(view.width(), view.height() - self.body.y() - 12)
        self.widget().fit()

    def _summary(self) -> str:
        """The settings in one line, for the folded settings panel."""
        f = self.form
        return (f"{f.dataset.currentText()} · {f.epochs.value()} epochs · batch {f.batch_size.value()} · "
                f"{f.optimizer.currentText()} lr {f.lr.text()} · {f.schedule.currentText()} · "
                f"{f.device.currentText()} × {f.processes.value()} · {f.precision.currentText()}")
