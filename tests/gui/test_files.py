"""Files the way users meet them: a broken file, a crash and its recovery, closing with
unsaved work, templates, dropping a project onto the window."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtWidgets import QApplication, QFileDialog

from cnnstudio.core import Graph, Project, save_project
from cnnstudio.core.graph.commands import SetParams
from cnnstudio.core.project import project_to_dict
from cnnstudio.gui import recovery

from .conftest import answer_dialogs, drop_mime


def small_project(path) -> Project:
    g = Graph()
    i = g.add("Input", shape=[3, 32, 32])
    c = g.add("Conv2d", i, out_channels=8, kernel_size=3, padding=1, activation="relu")
    g.add("Flatten", c)
    p = Project("small", g)
    save_project(p, path)
    return p


def test_corrupt_file_gets_a_dialog_and_nothing_changes(qtbot, make_window, tmp_path, monkeypatch):
    good = tmp_path / "good.cnnproj"
    small_project(good)
    bad = tmp_path / "bad.cnnproj"
    bad.write_text(good.read_text()[:300])  # cut off mid-file, as after a failed copy
    before = bad.read_bytes()
    win = make_window()
    assert win.docs.open_path(good)
    shown = project_to_dict(win.session.project)

    seen = []
    answer_dialogs(["OK"], seen)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    win.act_open.trigger()
    assert len(seen) == 1
    assert "Could not open “bad.cnnproj”" in seen[0] and "not valid JSON at line" in seen[0]
    assert "truncated" in seen[0] and "The file was not changed" in seen[0]
    assert bad.read_bytes() == before  # not overwritten
    assert project_to_dict(win.session.project) == shown and win.session.path == good

    # saving where it cannot be written says so and keeps the work open and unsaved
    win.session.push(SetParams(win.session.graph, "conv1", {"out_channels": 9}))
    answer_dialogs(["OK"], seen)
    assert not win.docs.save_as(tmp_path / "no such folder" / "x.cnnproj")
    assert "Could not save “x.cnnproj”" in seen[1] and "nothing was overwritten" in seen[1]
    assert win.session.dirty and win.session.path == good and '"out_channels": 8' in good.read_text()
    win.act_undo.trigger()
    seen.pop()

    # a well-formed file with a wrong block type names the place and a close match
    typo = tmp_path / "typo.cnnproj"
    typo.write_text(good.read_text().replace('"Conv2d"', '"Conv2D"'))
    answer_dialogs(["OK"], seen)
    assert not win.docs.open_path(typo)
    assert 'graph.nodes[1] ("conv1").type' in seen[1] and 'Did you mean "Conv2d"?' in seen[1]


def test_crash_journal_is_offered_restored_and_removed_after_save(qtbot, make_window, tmp_path, config_dir):
    from cnnstudio.cli.open import start_up
    path = tmp_path / "work.cnnproj"
    small_project(path)
    first = make_window()
    assert first.docs.open_path(path)
    s = first.session
    s.push(SetParams(s.graph, "conv1", {"out_channels": 24}))
    assert s.dirty and first.isWindowModified()
    # the journal is written on its own shortly after the edit
    qtbot.waitUntil(lambda: first.docs.journal.path.exists(), timeout=5000)
    journal = first.docs.journal.path
    # "crash": the window is never closed, so nothing cleans up; a new session starts
    first.docs._timer.stop()
    first.docs.journal = recovery.Journal(config_dir / "recovery")  # forget it, as a dead process would

    later = make_window()
    seen = []
    answer_dialogs(["Later"], seen)
    start_up(later)
    assert "CNN Studio closed before “small” (work.cnnproj) was saved" in seen[0]
    assert journal.exists() and later.session.graph.nodes["conv1"].params["out_channels"] == 8
    assert later.session.path == path  # "Later" goes on to reopen the last project, as saved

    again = make_window()
    answer_dialogs(["Restore"], seen)
    start_up(again)
    s2 = again.session
    assert s2.graph.nodes["conv1"].params["out_channels"] == 24 and s2.path == path
    assert s2.dirty and again.isWindowModified()
    assert s2.analysis.info["flatten1"].shape == (24 * 32 * 32,)
    assert journal.exists()  # kept until the work is saved
    assert again.docs.save()
    assert not journal.exists() and not again.isWindowModified()
    assert '"out_channels": 24' in path.read_text()

    # Discard deletes a left-behind journal without touching the project
    leftover = recovery.Journal(config_dir / "recovery")
    leftover.path = config_dir / "recovery" / "journal-999999999-1.json"
    leftover.write(s2.project, path)
    fresh = make_window()
    answer_dialogs(["Discard"], seen)
    assert not fresh.docs.offer_recovery()
    assert not leftover.path.exists()


def test_close_asks_about_unsaved_work_and_templates_open_as_copies(qtbot, make_window, tmp_path):
    win = make_window()
    seen = []
    # the gallery lists the sample projects; pick ResNet-18
    from cnnstudio.gui.gallery import GalleryDialog, list_templates
    names = [p.stem for p, _ in list_templates()]
    assert {"lenet5", "resnet18"} <= set(names)

    def choose():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, GalleryDialog):
            qtbot.wait(5)
            return choose()
        assert dlg.select("resnet18")
        dlg.accept()
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, choose)
    assert win.docs.new_from_gallery()
    s = win.session
    assert s.path is None and "ResNet-18" in s.project.name  # a copy: Save asks where
    assert any(n.type == "ResidualBlock" for n in s.graph.nodes.values())
    assert "11,689,512" in win.summary.totals.text()

    win.canvas.setFocus()
    s.select(["conv1"])
    qtbot.keyClick(win.canvas, Qt.Key_Delete)
    assert "conv1" not in s.graph.nodes and win.isWindowModified()
    answer_dialogs(["Cancel"], seen)
    assert not win.close() and win.isVisible()
    assert "Save the changes to “ResNet-18" in seen[0]
    win.palette.toggleViewAction().trigger()  # the user hides the palette ...
    assert win.palette.isHidden()
    answer_dialogs(["Discard"], seen)
    assert win.close()

    # dropping a project file onto the window opens it
    path = tmp_path / "dropped.cnnproj"
    small_project(path)
    other = make_window()
    assert other.palette.isHidden()  # ... and the next window remembers the layout
    other.act_reset_layout.trigger()
    assert other.palette.isVisible()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop_mime(other.canvas.viewport(), mime, QPoint(200, 200))
    assert other.session.path == path and "conv1" in other.session.graph.nodes
    assert "dropped.cnnproj" in other.windowTitle()


def test_open_and_save_as_start_in_the_last_projects_folder_or_home(qtbot, make_window, tmp_path, monkeypatch):
    from pathlib import Path
    monkeypatch.chdir(tmp_path)  # the program's working folder: never offered
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda _w, _t, start, *a: asked.append(start) or ("", ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda _w, _t, start, *a: asked.append(start) or ("", ""))
    win = make_window()
    win.settings.remove("last_project")
    win.act_open.trigger()
    win.docs.save_as()
    assert asked == [str(Path.home()), str(Path.home() / f"{win.session.project.name}.cnnproj")]
    folder = tmp_path / "work"
    folder.mkdir()
    small_project(folder / "small.cnnproj")
    assert win.docs.open_path(folder / "small.cnnproj")
    asked.clear()
    win.act_open.trigger()
    second = make_window()  # a new window (no project file yet) starts where the last project was
    second.act_open.trigger()
    assert asked == [str(folder), str(folder)]
