"""The Training dock's run history: the project's runs in the run table, the chosen one's
curves shown (and its weights in the inspection panels), and the table and settings beside
the curves or above them as the dock's shape asks.

A mixin of TrainingDock (dock.py).
"""
from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout

from ...core.train.runs import list_runs, read_metrics, runs_folder


class RunHistory:
    # --- history ---------------------------------------------------------------------------------
    def _project_runs(self) -> list:
        if self.session.path:
            return list_runs(runs_folder(self.session.path))
        return list_runs(runs_folder(None)) if self.run_dir else []

    def _show_run(self, *_) -> None:
        d = self.runs.current()
        if not d or self.running:
            return
        rows = read_metrics(d)
        self.curves.set_epochs(len(rows))
        self.curves.set_history(rows)
        self.session.set_run(d)
        self._set_buttons()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        wide = self.width() > 1.1 * self.height() and self.width() > 760
        self.columns.setDirection(QBoxLayout.LeftToRight if wide else QBoxLayout.TopToBottom)
        # beside each other the curves get the room; stacked, the settings keep enough height to
        # be usable (they come first; the dock scrolls if it is shorter than that)
        # the left column as wide as the experiment table needs (up to 65 %), at least 40 %
        table = self.runs.experiments
        need = table.natural_width() + table.verticalScrollBar().sizeHint().width() + 64
        left = min(65, max(40, round(100 * need / max(self.width(), 1))))
        self.columns.setStretch(0, left if wide else 3)
        self.columns.setStretch(1, 100 - left if wide else 2)
        self.settings_scroll.setMinimumHeight(0 if wide else 300)
