"""File → Import model… with a factory of the user's own: code that calls sys.exit or never
returns runs in a child process; the window stays usable and Cancel ends it (issue 19, item 4)."""
import textwrap
import time

from PySide6.QtCore import Qt


def test_a_factory_that_never_returns_is_cancelled_with_the_dialog(qtbot, make_window, tmp_path, monkeypatch):
    (tmp_path / "usernet.py").write_text(textwrap.dedent("""
        import sys, time
        def forever():
            while True:
                time.sleep(0.1)
    """))
    monkeypatch.chdir(tmp_path)
    from cnnstudio.gui.interop import import_dialog
    monkeypatch.setattr(import_dialog, "zoo_rows", lambda: [])  # the torchvision list is not what this is about
    win = make_window()
    dialog = win.import_model()
    dialog.tabs.setCurrentIndex(2)
    qtbot.keyClicks(dialog.factory, "usernet:forever")
    qtbot.keyClicks(dialog.shape, "1,8,8")
    dialog.output.setText(str(tmp_path / "f.cnnproj"))
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    qtbot.wait(1500)  # the child is building the model for ever
    assert not dialog.import_button.isEnabled()
    t0 = time.monotonic()
    dialog.reject()  # Cancel / Esc / the close box
    assert time.monotonic() - t0 < 10 and not dialog.isVisible()
    assert all(job.isFinished() for job in dialog.jobs)
    assert not list(tmp_path.glob("*.cnnproj"))
