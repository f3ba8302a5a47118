"""The window's reader of a study storage writes nothing: a sweep started from the window failed
when the reader, polling, wrote Optuna's version rows at the moment the sweep wrote them."""
from __future__ import annotations

import sqlite3

from cnnstudio.core.sweep.reader import StudyReader
from cnnstudio.core.sweep.setup import new_study
from cnnstudio.core.sweep.space import parse_vary

from .conftest import project_file  # noqa: F401


def _rows(db, table):
    with sqlite3.connect(db) as c:
        try:
            return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:  # no such table
            return None


def test_a_storage_still_being_made_is_read_as_empty_and_left_alone(tmp_path):
    from optuna.storages._rdb import models
    from sqlalchemy import create_engine
    db = tmp_path / "sweeps.db"
    engine = create_engine(f"sqlite:///{db}")
    models.BaseModel.metadata.create_all(engine)  # a sweep half way: its tables made, not yet stamped
    engine.dispose()
    reader = StudyReader(f"sqlite:///{db}")
    for _ in range(3):  # the view polls
        assert reader.studies() == []
    reader.close()
    assert _rows(db, "version_info") == 0 and _rows(db, "alembic_version") is None  # the sweep's to write


def test_a_made_storage_lists_its_study(project_file):  # noqa: F811
    url, name, _ = new_study(project_file, [parse_vary("lr=0.01,0.1")], sampler="grid")
    reader = StudyReader(url)
    assert reader.studies() == [name]
    settings, rows, _ = reader.read(name)
    assert settings["sampler"] == "grid" and rows == []
    reader.close()


def test_asking_about_a_storage_that_is_not_there_makes_none(tmp_path):
    from cnnstudio.core.sweep.reader import made
    assert not made(str(tmp_path / "sweeps.db")) and not (tmp_path / "sweeps.db").exists()
