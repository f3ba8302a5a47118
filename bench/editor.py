"""Editor responsiveness: time to the first painted window, and edit-to-repaint on a
ResNet-152-sized graph.

    .venv/bin/python bench/editor.py [--runs 5] [--edits 60]

Start-up is measured from launching the process to the window's first paint event, beside
`python -c "import torch"` and a bare `python -c pass` launched the same way in the same
run (targets: window ≤ 1 s and well under the torch import). Edit-to-repaint is one
parameter edit pushed as a command, re-checked, and every widget it touched repainted
(canvas items, summary rows, properties, problems; target ≤ 16 ms median), beside a full
repaint of the idle canvas in the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def launch(cmd: list[str], env: dict, marker: str | None = None) -> float:
    """Seconds from spawning `cmd` to its exit, or to the line starting with `marker`."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if marker:
        for line in p.stdout:
            if line.startswith(marker):
                t = time.perf_counter() - t0
                p.wait(timeout=30)
                return t
        raise RuntimeError(f"{' '.join(cmd)} never printed {marker!r} (exit {p.wait()})")
    p.wait(timeout=120)
    return time.perf_counter() - t0


def startup(runs: int) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "CNNSTUDIO_BENCH_FIRST_PAINT": "1", "CNNSTUDIO_CONFIG_DIR": tempfile.mkdtemp()}
    py = sys.executable
    out = {"bare python": [], "import torch": [], "window painted": []}
    launch([py, "-c", "import torch"], env)  # warm the disk cache for both sides
    launch([py, "-m", "cnnstudio"], env, "first-paint")
    for _ in range(runs):
        out["bare python"].append(launch([py, "-c", "pass"], env))
        out["import torch"].append(launch([py, "-c", "import torch"], env))
        out["window painted"].append(launch([py, "-m", "cnnstudio"], env, "first-paint"))
    return {k: statistics.median(v) for k, v in out.items()}


def resnet152_graph():
    """torchvision's ResNet-152 as plain layers: conv, BatchNorm, ReLU, Add (≈ 520 blocks)."""
    from cnnstudio.core import Graph
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    x = g.add("Conv2d", x, out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    x = g.add("ReLU", g.add("BatchNorm2d", x))
    x = g.add("MaxPool2d", x, kernel_size=3, stride=2, padding=1)
    c_in = 64
    for width, blocks, stride in ((64, 3, 1), (128, 8, 2), (256, 36, 2), (512, 3, 2)):
        for b in range(blocks):
            s = stride if b == 0 else 1
            out = width * 4
            y = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", x, out_channels=width, kernel_size=1, bias=False)))
            y = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", y, out_channels=width, kernel_size=3,
                                                          stride=s, padding=1, bias=False)))
            y = g.add("BatchNorm2d", g.add("Conv2d", y, out_channels=out, kernel_size=1, bias=False))
            short = x
            if s != 1 or c_in != out:
                short = g.add("BatchNorm2d", g.add("Conv2d", x, out_channels=out, kernel_size=1, stride=s, bias=False))
            x = g.add("ReLU", g.add("Add", y, short))
            c_in = out
    x = g.add("Flatten", g.add("AdaptiveAvgPool2d", x))
    g.add("Linear", x, out_features=1000)
    return g


def edit_to_repaint(edits: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CNNSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from cnnstudio.core import Project, analyze
    from cnnstudio.core.commands import SetParams
    from cnnstudio.gui import theme
    from cnnstudio.gui.canvas.edits import place_missing
    from cnnstudio.gui.main_window import MainWindow
    theme.apply(app)
    g = resnet152_graph()
    place_missing(g)
    win = MainWindow(settings=QSettings(os.environ["CNNSTUDIO_CONFIG_DIR"] + "/s.ini", QSettings.IniFormat))
    win.resize(1600, 1000)
    win.session.set_project(Project("resnet152", g))
    win.show()
    for _ in range(5):
        app.processEvents()
    s = win.session
    # a 3×3 conv in the middle: 3/pad 1 ↔ 5/pad 2 keeps every shape valid
    target = [n for n, node in g.nodes.items() if node.type == "Conv2d" and node.params["kernel_size"] == 3][20]
    s.select([target])
    results = {"blocks": len(g.nodes)}
    for view_name, setup in (("whole graph in view", lambda: win.canvas.fit()),
                             ("edited block at 100 %", lambda: (win.canvas.resetTransform(),
                                                               win.canvas.center_on_node(target)))):
        setup()
        for _ in range(3):
            app.processEvents()
        idle, edit = [], []
        for i in range(edits):
            win.canvas.viewport().update()
            t0 = time.perf_counter()
            app.processEvents()
            idle.append(time.perf_counter() - t0)
            k, p = (5, 2) if i % 2 == 0 else (3, 1)
            t0 = time.perf_counter()
            s.push(SetParams(s.graph, target, {"kernel_size": k, "padding": p}))
            app.processEvents()  # every widget the edit touched repaints here
            edit.append(time.perf_counter() - t0)
        results[view_name] = (statistics.median(edit), statistics.median(idle))
    t0 = time.perf_counter()
    for _ in range(20):
        analyze(g)
    results["analyze"] = (time.perf_counter() - t0) / 20
    win.docs.journal.remove()
    win.docs.ask_save = lambda: True
    win.close()
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--edits", type=int, default=60)
    args = ap.parse_args()
    st = startup(args.runs)
    base = st["import torch"]
    print(f"start-up (median of {args.runs}, from process launch)")
    for k, v in st.items():
        print(f"  {k:<16} {v * 1000:7.0f} ms   {v / base:5.2f}× import torch")
    print(f"  target: window ≤ 1000 ms and well under import torch -> "
          f"{'OK' if st['window painted'] <= 1.0 and st['window painted'] < base else 'MISSED'}")
    r = edit_to_repaint(args.edits)
    print(f"\nedit-to-repaint, ResNet-152 as {r['blocks']} blocks (median of {args.edits} edits)")
    for k in ("whole graph in view", "edited block at 100 %"):
        e, i = r[k]
        print(f"  {k:<22} edit {e * 1000:6.2f} ms   idle repaint {i * 1000:6.2f} ms   ratio {e / i:5.1f}×")
    print(f"  analyze() alone          {r['analyze'] * 1000:6.2f} ms")
    worst = max(r[k][0] for k in ("whole graph in view", "edited block at 100 %"))
    print(f"  target: ≤ 16 ms median -> {'OK' if worst <= 0.016 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
