"""`cnnstudio open`: the screenshot used in the docs, a clear error for a bad file, and a
start-up path that never loads torch or matplotlib."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, env=None, timeout=60):
    e = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cnnstudio", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=timeout)


def test_screenshot_renders_the_project_and_bad_files_fail_clearly(tmp_path):
    out = tmp_path / "shot.png"
    r = run_cli("open", "sample_projects/lenet5.cnnproj", "--screenshot", str(out), "--size", "1280x800",
                env={"CNNSTUDIO_CONFIG_DIR": str(tmp_path / "cfg")})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out}" and not r.stderr  # its one line, no Qt platform chatter
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 800)
    # not a blank window: the canvas shows blocks in several colours
    colours = {img.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 20
    assert not list((tmp_path / "cfg").glob("recovery/journal-*"))  # no journal left behind

    bad = tmp_path / "bad.cnnproj"
    bad.write_text('{"format": "cnnstudio.project", "version": 1, "graph": {"nodes": [{"id": "a", "type": "Conv"}]}}')
    r = run_cli("open", str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "unknown block type 'Conv'" in r.stderr and not (tmp_path / "x.png").exists()
    r = run_cli(str(bad), "--screenshot", str(tmp_path / "x.png"))  # `cnnstudio FILE`, as a launcher runs it
    assert r.returncode == 2 and "unknown block type 'Conv'" in r.stderr and "invalid choice" not in r.stderr


def test_window_starts_without_torch_or_matplotlib(tmp_path):
    code = (
        "import sys, os\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import cnnstudio.cli\n"
        "cnnstudio.cli.build_parser()\n"
        "from cnnstudio.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "w.docs.open_path('sample_projects/resnet18.cnnproj'); app.processEvents()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'matplotlib', 'torchvision'))\n"
        "print('HEAVY', heavy[:5])\n"
    )
    e = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CNNSTUDIO_CONFIG_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=e, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout, r.stdout


def test_no_display_is_a_message_not_a_crash():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "cnnstudio"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "no display to open the window on" in result.stderr and "Traceback" not in result.stderr
