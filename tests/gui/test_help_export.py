"""Help, the first-start tour, and what leaves the window: a diagram picture and the report."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from cnnstudio.core import save_project

from ..train.conftest import small_project

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def when_modal(cls, then) -> None:
    """Once a modal dialog of `cls` is up, call `then(dialog)` (it must close it)."""
    def poll():
        w = QApplication.activeModalWidget()
        if isinstance(w, cls):
            then(w)
        else:
            QTimer.singleShot(10, poll)
    QTimer.singleShot(0, poll)


def test_f1_lists_the_shortcuts_and_the_help_menu_links_the_docs(qtbot, make_window):
    from cnnstudio.gui.help import ShortcutsDialog
    win = make_window()
    seen = []

    def read(dlg):
        seen.extend(dlg.table.item(r, 0).text() for r in range(dlg.table.rowCount()))
        dlg.reject()
    when_modal(ShortcutsDialog, read)
    qtbot.keyClick(win, Qt.Key_F1)
    assert "Ctrl+1 / Ctrl+2 / Ctrl+3" in seen and "Ctrl+F" in seen
    titles = [a.text().replace("&", "") for a in win.help_menu.actions() if a.text()]
    assert titles == ["Keyboard and mouse", "Tour", "Read the guide (README)", "Project file format"]


def test_the_first_start_shows_a_short_tour_then_the_gallery_and_never_again(qtbot, make_window):
    from cnnstudio.cli.open import start_up
    from cnnstudio.gui.gallery import GalleryDialog
    from cnnstudio.gui.help import TOUR, TourDialog
    win = make_window()
    pages = []

    def walk(dlg):
        for _ in TOUR:
            pages.append(dlg.title.text())
            qtbot.mouseClick(dlg.next, Qt.LeftButton)  # Next, …, Done
        when_modal(GalleryDialog, lambda g: (g.select("lenet5"), g.accept()))
    when_modal(TourDialog, walk)
    start_up(win)
    assert len(pages) == len(TOUR) and "Design" in pages[0]
    assert "LeNet-5" in win.session.project.name  # the gallery came next
    win.session.project.name = "x"
    again = make_window()
    when_modal(GalleryDialog, lambda g: g.reject())  # straight to the gallery this time
    start_up(again)
    assert again.settings.value("tour/seen", False, type=bool)


def test_export_diagram_as_png_svg_and_pdf(qtbot, make_window, tmp_path, monkeypatch):
    from cnnstudio.gui.documents import Documents
    errors = []
    monkeypatch.setattr(Documents, "error", lambda self, title, text: errors.append(text))
    win = make_window()
    win.docs.open_path(SAMPLES / "lenet5.cnnproj")
    for name, filt in (("net.png", "PNG image (*.png)"), ("net.svg", "SVG drawing (*.svg)"), ("net", "PDF document (*.pdf)")):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, n=name, f=filt: (str(tmp_path / n), f))
        win.act_export_diagram.trigger()
    img = QImage(str(tmp_path / "net.png"))
    scene_rect = win.canvas.graph_scene.itemsBoundingRect()
    assert img.width() >= 2 * scene_rect.width() and img.height() >= 2 * scene_rect.height()
    svg = (tmp_path / "net.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "Conv2d" in svg and "MaxPool2d" in svg  # the blocks' titles, as text
    assert (tmp_path / "net.pdf").read_bytes()[:5] == b"%PDF-"  # the filter chose the suffix
    assert errors == [] and "Wrote" in win.statusBar().currentMessage()


def test_file_report_writes_the_shown_runs_report_without_the_command_line(qtbot, make_window, tmp_path, monkeypatch):
    from cnnstudio.cli import main
    path = tmp_path / "tiny.cnnproj"
    save_project(small_project(training={"epochs": 1}), path)
    assert main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "tiny.runs" / "r1")]) == 0
    win = make_window()
    out = tmp_path / "report.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(out), "HTML report (*.html)"))
    win.act_new_empty.trigger()
    errors = []
    from cnnstudio.gui.documents import Documents
    monkeypatch.setattr(Documents, "error", lambda self, title, text: errors.append(title))
    win.act_report.trigger()  # no run yet: said so, nothing written
    assert errors == ["No run to report on"] and not out.exists()
    win.docs.open_path(path)
    win.act_report.trigger()  # written in the background: the window stays live
    assert "Writing the report" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: "Wrote the report" in win.statusBar().currentMessage(), timeout=60000)
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "conv1" in html
