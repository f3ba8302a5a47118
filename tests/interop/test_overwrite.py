"""Item 1 and 3: writing commands never replace a file they did not write; a failed command writes nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cnnstudio.cli import main

import cnnstudio
SAMPLES = Path(cnnstudio.__file__).resolve().parents[1] / "sample_projects"


@pytest.fixture
def lenet(tmp_path):
    p = tmp_path / "lenet5.cnnproj"
    shutil.copy(SAMPLES / "lenet5.cnnproj", p)
    return p


def test_export_refuses_to_replace_a_file_it_did_not_write(lenet, tmp_path, capsys):
    other = tmp_path / "good.safetensors"
    other.write_bytes(b"another project's weights")
    assert main(["export", str(lenet), "-o", str(tmp_path / "good.py")]) == 2
    err = capsys.readouterr().err
    assert "good.safetensors" in err and "--force" in err and "Traceback" not in err
    assert other.read_bytes() == b"another project's weights"
    assert not (tmp_path / "good.py").exists()  # nothing half-written
    # its own earlier output it may replace; with --force the other file too
    assert main(["export", str(lenet), "-o", str(tmp_path / "mine.py")]) == 0
    assert main(["export", str(lenet), "-o", str(tmp_path / "mine.py")]) == 0
    assert main(["export", str(lenet), "-o", str(tmp_path / "good.py"), "--force"]) == 0
    assert other.read_bytes() != b"another project's weights"


def test_export_never_writes_over_the_project_it_reads(lenet, capsys):
    before = lenet.read_bytes()
    for extra in ([], ["--force"]):
        assert main(["export", str(lenet), "--format", "pytorch", "-o", str(lenet), *extra]) == 2
        assert lenet.read_bytes() == before
    assert "the project" in capsys.readouterr().err


def test_an_edited_export_is_not_replaced(lenet, tmp_path, capsys):
    out = tmp_path / "net.onnx"
    assert main(["export", str(lenet), "-o", str(out)]) == 0
    out.write_bytes(out.read_bytes() + b"\0")  # the user changed it since
    edited = out.read_bytes()
    assert main(["export", str(lenet), "-o", str(out)]) == 2
    assert out.read_bytes() == edited


def test_report_screenshot_and_import_refuse_too(lenet, tmp_path, capsys):
    page, picture = tmp_path / "notes.html", tmp_path / "holiday.png"
    page.write_text("my notes")
    picture.write_bytes(b"my picture")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    assert main(["report", str(run), "-o", str(page)]) == 2
    assert main(["open", str(lenet), "--screenshot", str(picture)]) == 2
    assert main(["open", str(lenet), "--screenshot", str(lenet), "--force"]) == 2
    assert page.read_text() == "my notes" and picture.read_bytes() == b"my picture"
    assert capsys.readouterr().err.count("--force") == 2
    onnx = tmp_path / "l.onnx"
    assert main(["export", str(lenet), "-o", str(onnx)]) == 0
    proj = tmp_path / "mine.cnnproj"
    proj.write_text(lenet.read_text())
    assert main(["import", str(onnx), "-o", str(proj)]) == 2
    assert proj.read_text() == lenet.read_text()
    assert "--force" in capsys.readouterr().err


def test_a_failed_import_writes_nothing(lenet, tmp_path, capsys):
    onnx = tmp_path / "l.onnx"
    assert main(["export", str(lenet), "-o", str(onnx)]) == 0
    (tmp_path / "OUT.cnnproj").mkdir()
    assert main(["import", str(onnx), "-o", str(tmp_path / "OUT.cnnproj")]) == 2
    assert not (tmp_path / "OUT.safetensors").exists()
    assert "folder" in capsys.readouterr().err
