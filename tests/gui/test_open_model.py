"""Open any model, as a model viewer does: `cnnstudio open model.onnx` / `open torchvision:NAME`
(with --screenshot), and an .onnx or .pt2 file dropped on the window, each as an unsaved imported
project whose weights are saved beside it on the first save; a bad file is one message and leaves
the open project as it was."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QMimeData, QPoint, QUrl
from PySide6.QtGui import QImage

from cnnstudio.core import load_project
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.project.weights import load_matching

from .conftest import answer_dialogs, drop_mime

ROOT = Path(__file__).resolve().parents[2]


def small_cnn() -> torch.nn.Module:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(8 * 8 * 8, 5))
    with torch.no_grad():  # trained-looking statistics, so a lost BatchNorm would show in the outputs
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
    return net.eval()


def write_onnx(path: Path) -> torch.nn.Module:
    net = small_cnn()
    torch.onnx.export(net, (torch.randn(1, 3, 16, 16),), str(path), dynamo=False, opset_version=17)
    return net


def run_cli(*args, cfg: Path, timeout=240):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CNNSTUDIO_CONFIG_DIR": str(cfg)}
    return subprocess.run([sys.executable, "-m", "cnnstudio", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def shows_blocks(png: Path) -> bool:
    img = QImage(str(png))
    colours = {img.pixel(x, y) for x in range(0, img.width(), 16) for y in range(0, img.height(), 16)}
    return img.width() == 1280 and len(colours) > 20


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cli_opens_an_onnx_file_without_an_output(tmp_path):
    model = tmp_path / "net.onnx"
    write_onnx(model)
    out = tmp_path / "onnx.png"
    r = run_cli("open", str(model), "--screenshot", str(out), "--size", "1280x800", cfg=tmp_path / "cfg")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out}" and shows_blocks(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg", "net.onnx", "onnx.png"]  # no project written
    assert not list((tmp_path / "cfg").glob("recovery/journal-*"))


def test_open_a_torchvision_name_as_the_command_does_in_the_window(qtbot, make_window):
    win = make_window()
    win.docs.open_any("torchvision:resnet18", shape=(3, 64, 64))  # what `cnnstudio open torchvision:resnet18` runs
    wait_opened(qtbot, win, "torchvision:resnet18")
    types = [n.type for n in win.session.graph.nodes.values()]
    assert len(types) == 14 and types.count("ResidualBlock") == 8  # torchvision's ResNet-18, folded
    assert win.session.path is None and win.docs.pending_weights is None  # fresh weights: nothing to keep
    assert "imported from torchvision:resnet18, not saved" in win.windowTitle()



def test_cli_refuses_a_bad_model_file_in_one_line(tmp_path, capsys, monkeypatch):
    from cnnstudio.cli import main
    monkeypatch.setenv("CNNSTUDIO_CONFIG_DIR", str(tmp_path / "cfg"))
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    assert main(["open", str(tmp_path / "bad.onnx"), "--screenshot", str(tmp_path / "bad.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable ONNX file" in err and "Traceback" not in err
    (tmp_path / "w.safetensors").write_bytes(b"{}")
    assert main(["open", str(tmp_path / "w.safetensors")]) == 2
    assert "holds weights only" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx", "w.safetensors"]  # nothing written


def drop_file(win, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop_mime(win.canvas.viewport(), mime, QPoint(300, 300))


def wait_opened(qtbot, win, name: str) -> None:
    qtbot.waitUntil(lambda: win.docs.imported_from == name, timeout=120000)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dropped_onnx_and_pt2_open_unsaved_and_save_with_their_weights(qtbot, make_window, tmp_path):
    win = make_window()
    win.docs.open_path(ROOT / "sample_projects" / "lenet5.cnnproj")
    net = write_onnx(tmp_path / "net.onnx")

    drop_file(win, tmp_path / "net.onnx")
    wait_opened(qtbot, win, "net.onnx")
    assert win.session.path is None and win.isWindowModified()
    assert "imported from net.onnx, not saved" in win.windowTitle()
    types = sorted(n.type for n in win.session.graph.nodes.values())
    assert "Linear" in types and "BatchNorm2d" not in types  # folded, as any import is

    out = tmp_path / "saved" / "mine.cnnproj"
    out.parent.mkdir()
    assert win.docs.save_as(out)
    assert not win.isWindowModified() and "imported" not in win.windowTitle()
    project = load_project(out)
    assert project.weights == "mine.safetensors" and (out.parent / "mine.safetensors").is_file()
    compiled = compile_graph(project.graph)
    assert load_matching(compiled, out, project.weights) == []  # every block took its saved weights
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(compiled.eval()(x), net(x), atol=1e-5)

    program = torch.export.export(small_cnn(), (torch.randn(2, 3, 16, 16),))
    torch.export.save(program, str(tmp_path / "net.pt2"))
    drop_file(win, tmp_path / "net.pt2")
    wait_opened(qtbot, win, "net.pt2")
    assert win.session.path is None and len(win.session.graph.nodes) >= 4
    assert win.docs.pending_weights  # the program's weights, kept for the first save


def test_a_bad_dropped_file_is_one_message_and_the_project_stays(qtbot, make_window, tmp_path):
    win = make_window()
    win.docs.open_path(ROOT / "sample_projects" / "lenet5.cnnproj")
    before, path = win.session.project, win.session.path
    (tmp_path / "broken.pt2").write_bytes(b"PK\x03\x04 not really a zip")
    seen: list[str] = []
    answer_dialogs(["OK"], seen)
    drop_file(win, tmp_path / "broken.pt2")
    qtbot.waitUntil(lambda: bool(seen), timeout=60000)
    assert seen[0].startswith("Could not open “broken.pt2”")
    assert "not a readable torch.export program" in seen[0] and "Traceback" not in seen[0]
    assert win.session.project is before and win.session.path == path and not win.isWindowModified()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.pt2", "config"]


def test_a_dropped_weights_file_asks_which_model_it_belongs_to(qtbot, make_window, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog
    win = make_window()
    win.docs.open_path(ROOT / "sample_projects" / "lenet5.cnnproj")
    before = win.session.project
    weights = tmp_path / "resnet18-f37072fd.safetensors"
    weights.write_bytes(b"{}")
    asked = []

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QInputDialog):
            QTimer.singleShot(10, answer)
            return
        asked.append((box.labelText(), box.textValue()))
        box.reject()  # the user changes their mind
    QTimer.singleShot(0, answer)
    drop_file(win, weights)
    qtbot.waitUntil(lambda: bool(asked), timeout=10000)
    assert "holds weights only" in asked[0][0] and asked[0][1] == "torchvision:resnet18"
    assert win.session.project is before and win.docs.opener.job is None
