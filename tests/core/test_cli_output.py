"""What the command line writes to a terminal: no control characters from files, and a quiet
end when the reader goes away (`cnnstudio ... | head`) (issue 11, items 12 and 13)."""
from __future__ import annotations

import os
import subprocess
import sys

from cnnstudio.cli import main
from cnnstudio.core import Graph, Project, save_project

FORGED = "\x1b[2J\x1b[HAll good, 0 errors\r\u202e"


def hostile_project(path):
    g = Graph()
    x = g.add("Input", shape=[1, 8, 8])
    x = g.add("Conv2d", x, out_channels=2, kernel_size=3)
    g.nodes[x].params["out_channels"] = 0  # an error, whose message names the block
    p = Project(FORGED, g)
    save_project(p, path)
    text = path.read_text().replace('"conv1"', '"conv\\u001b[31m1"')
    path.write_text(text)
    return path


def test_names_and_ids_with_terminal_escapes_are_printed_escaped(tmp_path, capsys):
    path = hostile_project(tmp_path / "p.cnnproj")
    assert main(["summary", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert "\\x1b[2J\\x1b[HAll good, 0 errors\\x0d\\u202e" in out and "conv\\x1b[31m1" in out
    assert "1 error(s)" in out  # the real verdict is still there
    assert main(["summary", str(path), "--json"]) == 1
    assert "\x1b" not in capsys.readouterr().out  # JSON escapes them itself


def test_every_subcommand_piped_into_head_ends_quietly(tmp_path):
    """The reader closes the pipe before the command writes: no traceback, no 'Exception ignored'."""
    path = tmp_path / "p.cnnproj"
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    x = g.add("Conv2d", x, out_channels=4, kernel_size=3, activation="relu")
    x = g.add("Flatten", x)
    g.add("Linear", x, out_features=3)
    save_project(Project("p", g, {"id": "shapes", "image_size": 16, "count": 60,
                                  "classes": ["circle", "square", "cross"]},
                         {"epochs": 1, "batch_size": 16, "cpu_threads": 1}), path)
    commands = [["--help"], ["summary", str(path)], ["datasets"], ["train", str(path), "--json", "--out", str(tmp_path / "run")]]
    procs = []
    for cmd in commands:
        p = subprocess.Popen([sys.executable, "-m", "cnnstudio", *cmd], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        p.stdout.close()  # like `| head` that has already read what it wanted
        procs.append(p)
    for cmd, p in zip(commands, procs):
        err = p.stderr.read()
        code = p.wait(timeout=300)
        assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, (cmd, err)
        assert code in (0, 3), (cmd, code, err)  # train stops cleanly (resumable) when nobody reads it


def test_a_screenshot_into_a_path_under_a_file_is_a_message(tmp_path, capsys):
    path = hostile_project(tmp_path / "p.cnnproj")
    (tmp_path / "afile").write_text("not a folder")
    assert main(["open", str(path), "--screenshot", str(tmp_path / "afile" / "shot.png")]) == 2
    err = capsys.readouterr().err
    assert "could not write" in err and "afile" in err
