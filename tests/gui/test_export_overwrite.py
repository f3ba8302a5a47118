"""File → Export… never writes over the open project's weights, and asks before replacing a
file it did not write (issue 19, item 1)."""
import shutil
from pathlib import Path

from PySide6.QtCore import Qt

import cnnstudio
from cnnstudio.cli import main

from .conftest import answer_dialogs

SAMPLES = Path(cnnstudio.__file__).resolve().parents[1] / "sample_projects"


def test_export_in_the_window_guards_the_projects_weights_and_asks(qtbot, make_window, tmp_path):
    shutil.copy(SAMPLES / "lenet5.cnnproj", tmp_path / "src.cnnproj")
    assert main(["export", str(tmp_path / "src.cnnproj"), "-o", str(tmp_path / "src.onnx")]) == 0
    project = tmp_path / "lenet.cnnproj"
    assert main(["import", str(tmp_path / "src.onnx"), "-o", str(project)]) == 0  # writes lenet.safetensors
    weights = (tmp_path / "lenet.safetensors").read_bytes()
    win = make_window()
    assert win.docs.open_path(project, confirmed=True)
    dialog = win.export_model()
    dialog.format.setCurrentIndex(dialog.format.findData("pytorch"))
    assert dialog.output.text() == str(tmp_path / "lenet.py")  # its weights would be lenet.safetensors
    seen = []
    answer_dialogs(["OK"], seen)
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert "the open project's weights file" in seen[0]
    assert (tmp_path / "lenet.safetensors").read_bytes() == weights and not (tmp_path / "lenet.py").exists()

    # someone else's file: asked; Cancel writes nothing, Replace writes
    other = tmp_path / "other.safetensors"
    other.write_bytes(b"another project's weights")
    dialog.output.setText(str(tmp_path / "other.py"))
    seen.clear()
    answer_dialogs(["Cancel"], seen)
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert "other.safetensors already exists" in seen[0] and other.read_bytes() == b"another project's weights"
    answer_dialogs(["Yes"], seen)
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / "other.py").exists(), timeout=60000)
    qtbot.waitUntil(lambda: "Wrote other.py, other.safetensors" in dialog.status.text(), timeout=60000)
    assert other.read_bytes() != b"another project's weights"
    dialog.grab().save(str(tmp_path / "export.png"))
