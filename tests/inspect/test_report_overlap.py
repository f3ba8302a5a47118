"""What makes `cnnstudio report` quick changes nothing it shows: the units' activation-maximisation
pictures, found in a thread while the other sections are made, are those found alone; and the
command line imports only the subcommand it runs, while --help still lists every one."""
import base64
import io
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from cnnstudio.core.inspect import report as report_mod
from cnnstudio.core.inspect.source import from_run
from cnnstudio.core.inspect.units import unit_pictures

ROOT = Path(__file__).resolve().parents[2]


class Figures(HTMLParser):
    """Each <img> of the report: its alt text → the picture's pixels."""

    def __init__(self):
        super().__init__()
        self.images = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("src", "").startswith("data:image/png"):
            from PIL import Image
            img = Image.open(io.BytesIO(base64.b64decode(a["src"].split(",", 1)[1])))
            self.images[a.get("alt")] = np.asarray(img)


def units_shown(text: str) -> dict:
    doc = Figures()
    doc.feed(text)
    return {alt: img for alt, img in doc.images.items() if " channel " in alt}


def test_the_units_pictures_are_the_ones_found_alone(small_run, monkeypatch):
    insp = from_run(small_run)
    alone = unit_pictures(insp, "c3", [0, 1, 2, 3])  # one after the other, in this thread
    shown = units_shown(report_mod.build_report(insp))
    assert sorted(shown) == [f"c3 channel {c}" for c in range(4)]
    for c, (img, _) in enumerate(alone):
        assert np.array_equal(shown[f"c3 channel {c}"], img)
    # a network that cannot be copied for the thread: the same pictures, found in turn
    def cannot(net):
        raise TypeError("cannot copy")
    monkeypatch.setattr(report_mod, "copy", SimpleNamespace(deepcopy=cannot))
    again = units_shown(report_mod.build_report(insp))
    assert all(np.array_equal(again[k], shown[k]) for k in shown)


def test_a_subcommand_imports_only_its_own_module_and_help_lists_all():
    code = ("import sys, cnnstudio.cli as cli; cli.build_parser(['report', 'RUN']).parse_args(['report', 'RUN']); "
            "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('cnnstudio.cli.')))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['output',", "'report']"]
    helped = subprocess.run([sys.executable, "-m", "cnnstudio", "--help"], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=True).stdout
    for command in ("summary", "open", "train", "sweep", "datasets", "report", "import", "export", "evaluate"):
        assert f"    {command} " in helped
    bad = subprocess.run([sys.executable, "-m", "cnnstudio", "reprot"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'reprot'" in bad.stderr and "Traceback" not in bad.stderr
