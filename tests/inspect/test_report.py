"""`cnnstudio report`: one self-contained HTML file with every section, and the timeline files."""
import base64
import io
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cnnstudio.cli import main
from cnnstudio.core.inspect.report import SECTIONS
from cnnstudio.core.inspect.timeline import load_frame, timeline_epochs


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.srcs, self.links, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.srcs.append(a.get("src", ""))
        if tag in ("link", "script") or (tag == "a" and a.get("href", "").startswith("http")):
            self.links.append(tag)


def test_report_has_every_section_with_embedded_images_and_opens(small_run, tmp_path, capsys, qtbot):
    out = tmp_path / "report.html"
    assert main(["report", str(small_run), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    doc = Collect()
    doc.feed(text)
    assert doc.ids == list(SECTIONS)  # summary, architecture, curves, filters, maps, predictions, confusion
    assert not doc.links  # self-contained: no stylesheet, script or remote link
    assert len(doc.srcs) >= 1 + 2 + 4 + 24  # curves, 2 conv layers, 4 spatial layers + input, 24 samples
    from PIL import Image
    curves = [src for src in doc.srcs if src.startswith("data:image/svg+xml;base64,")]
    assert len(curves) == 1  # drawn as SVG (no matplotlib): loss and accuracy, train and validation
    import xml.etree.ElementTree as ET
    svg = ET.fromstring(base64.b64decode(curves[0].split(",", 1)[1]))
    assert len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 4
    for src in doc.srcs:
        if src in curves:
            continue
        assert src.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert img.size[0] > 0 and img.size[1] > 0
    for word in ("LeNet-5", "c1", "61,706", "precision", "recall", "accuracy"):
        assert word in text
    from PySide6.QtWidgets import QTextBrowser  # it opens in a browser widget
    view = QTextBrowser()
    qtbot.addWidget(view)
    view.setHtml(text)
    view.document().setTextWidth(1000)
    assert "Confusion matrix" in view.toPlainText()
    assert view.document().size().height() > 2000  # laid out, images and all


def test_report_errors_are_clear(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a training run (no run.json" in capsys.readouterr().err


def test_timeline_snapshots_are_small_and_unpickled(small_run, tmp_path):
    epochs = timeline_epochs(small_run)
    assert [e for e, _ in epochs] == [1, 2]
    assert all(p.stat().st_size < 100_000 for _, p in epochs)
    frame = load_frame(epochs[0][1], 1)
    assert frame.filters.shape == (6, 1, 5, 5) and frame.filters_node == "c1"
    assert frame.maps["c1"].shape == (6, 28, 28) and frame.maps["s4"].shape == (16, 5, 5)
    bad = tmp_path / "epoch_0003.npz"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="epoch_0003.npz: cannot read"):
        load_frame(bad)


def test_gui_start_up_imports_neither_torch_nor_matplotlib():
    code = ("import sys; import cnnstudio.gui.inspect.docks, cnnstudio.cli; "
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_report_on_a_run_without_weights_says_which(small_run, tmp_path, capsys):
    run = tmp_path / "unfinished"
    run.mkdir()
    for name in ("run.json", "project.cnnproj"):
        (run / name).write_bytes((small_run / name).read_bytes())
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "no best checkpoint yet" in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()
