"""Reading studies for a view that polls: one storage connection kept open, importances
computed again only when the complete trials changed."""
from __future__ import annotations

import contextlib
import os
import sqlite3

from . import results as R
from .study import ATTR, open_storage


class StudyReader:
    def __init__(self, url: str):
        self.url, self.storage = url, None
        self._imp: dict = {}  # study → (complete trial numbers, importances)

    def _open(self):
        if self.storage is None:
            self.storage = open_storage(self.url, create=False)
        return self.storage

    def studies(self) -> list[str]:
        """The studies' names; none while a sweep is still making the storage."""
        import optuna
        if self.storage is None and self.url.startswith("sqlite:///") and not made(self.url[len("sqlite:///"):]):
            return []
        return sorted(s.study_name for s in optuna.get_all_study_summaries(self._open(), include_best_trial=False))

    def _study(self, name: str):
        import optuna
        return optuna.load_study(study_name=name, storage=self._open())

    def read(self, name: str):
        """→ (settings, rows, summary), or None for a study not made by `cnnstudio sweep`."""
        study = self._study(name)
        settings = study.user_attrs.get(ATTR)
        if not isinstance(settings, dict):
            return None
        rows = R.rows(study, settings)
        return settings, rows, R.summary(rows)

    def importances(self, name: str) -> dict:
        study = self._study(name)
        settings = study.user_attrs.get(ATTR) or {}
        done = tuple(t.number for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE")
        if self._imp.get(name, (None,))[0] != done:
            self._imp[name] = (done, R.importances(study, settings) if settings else {})
        return self._imp[name][1]

    def close(self) -> None:
        if self.storage is not None:
            self.storage.engine.dispose()
            self.storage = None


def made(path: str) -> bool:
    """Whether a sweep has finished making the SQLite storage at `path`: Optuna stamps its schema
    version last. Opening it before that would have the reader write the version rows too, at the
    moment the sweep writes them (a sweep started from the window failed on the duplicate row)."""
    if not os.path.isfile(path):  # connecting would make an empty one
        return False
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=5)) as db:
            return db.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
    except sqlite3.Error:  # no such table yet, or a busy database: not made yet, read it again soon
        return False
