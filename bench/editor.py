"""Editor responsiveness: time to the first painted window, and edit-to-repaint on a
ResNet-152-sized graph.

    .venv/bin/python bench/editor.py [--runs 5] [--edits 60]

Start-up is measured from launching the process to the window's first paint event, beside
`python -c "import torch"` and a bare `python -c pass` launched the same way in the same
run (targets: window ≤ 1 s and well under the torch import). Edit-to-repaint is one
parameter edit pushed as a command, re-checked, and every widget it touched repainted
(canvas items, summary rows, properties, problems; target ≤ 16 ms median), beside a full
repaint of the idle canvas in the same run.

The growth table (`--growth`, or `--growth-only`) opens chains and residual stacks of 500,
2,000 and 5,000 blocks in the full window, each size in a fresh process, and times open
(layout, check, build, first paint), a one-block edit, an Input-size edit (every shape
changes), undo, an idle repaint of the fitted canvas, and the minimap (close up: redrawn after
the network changed, and repainted as the view scrolls), with the memory the network adds.
Growth is each figure at N over the same figure at 500, beside N / 500 (linear growth).
`--profile residual 5000` prints where the edits' time goes in one such network. The edits a
user makes by hand on such a network (delete, paste, add a block, the Input's size) are timed
by `bench/editor_ops.py`, against another checkout if asked.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
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


def resnet152_window(width: int, height: int):
    """(app, window) with ResNet-152 as plain layers open and painted, offscreen, in a private config."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CNNSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from cnnstudio.core import Project
    from cnnstudio.gui import theme
    from cnnstudio.gui.canvas.edits import place_missing
    from cnnstudio.gui.main_window import MainWindow
    theme.apply(app)
    g = resnet152_graph()
    place_missing(g)
    win = MainWindow(settings=QSettings(os.environ["CNNSTUDIO_CONFIG_DIR"] + "/s.ini", QSettings.IniFormat))
    win.resize(width, height)
    win.session.set_project(Project("resnet152", g))
    win.show()
    for _ in range(5):
        app.processEvents()
    return app, win


def edit_to_repaint(edits: int) -> dict:
    app, win = resnet152_window(1600, 1000)
    g = win.session.graph
    from cnnstudio.core import analyze
    from cnnstudio.core.graph.commands import SetParams
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


def big_graph(kind: str, n: int):
    """A chain of conv/BN/ReLU, or a stack of residual units (conv-BN-ReLU-conv-BN-Add-ReLU),
    of about `n` blocks, ending in a classifier."""
    from cnnstudio.core import Graph
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32])
    x = g.add("Conv2d", x, out_channels=16, kernel_size=3, padding=1)
    while len(g.nodes) < n - 3:
        if kind == "chain":
            x = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", x, out_channels=16, kernel_size=3, padding=1)))
        else:
            y = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", x, out_channels=16, kernel_size=3, padding=1)))
            y = g.add("BatchNorm2d", g.add("Conv2d", y, out_channels=16, kernel_size=3, padding=1))
            x = g.add("ReLU", g.add("Add", y, x))
    g.add("Linear", g.add("Flatten", g.add("AdaptiveAvgPool2d", x, output_size=1)), out_features=10)
    return g


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def one_size(kind: str, n: int, profile: bool = False) -> dict:
    """Every figure for one network, in this process (run it in a fresh one). `profile`: also
    print where the time of each edit goes (cProfile, by own time) to stderr."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CNNSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from cnnstudio.core import Project
    from cnnstudio.core.graph.commands import MoveNodes, SetParams
    from cnnstudio.gui import theme
    from cnnstudio.gui.canvas.edits import place_missing
    from cnnstudio.gui.main_window import MainWindow
    theme.apply(app)
    win = MainWindow(settings=QSettings(os.environ["CNNSTUDIO_CONFIG_DIR"] + "/s.ini", QSettings.IniFormat))
    win.resize(1600, 1000)
    win.show()
    for _ in range(5):
        app.processEvents()
    g = big_graph(kind, n)
    s = win.session
    scene = win.canvas.graph_scene

    def settle():  # no work left pending (texts out of view are written when next drawn)
        app.processEvents()
        app.processEvents()

    mem0 = rss_mb()
    t0 = time.perf_counter()
    place_missing(g)  # a file without a layout is laid out on open
    s.set_project(Project(kind, g))
    app.processEvents()
    win.canvas.viewport().repaint()
    r = {"blocks": len(g.nodes), "open": time.perf_counter() - t0}
    settle()
    r["open_all"] = time.perf_counter() - t0
    app.processEvents()
    r["memory"] = rss_mb() - mem0

    def timed(fn, reps, until_settled=False, name=""):
        out = []
        prof = cProfile.Profile() if profile and name else None
        for i in range(reps):
            settle()
            prof and prof.enable()
            t = time.perf_counter()
            fn(i)
            app.processEvents()
            if until_settled:
                settle()
            out.append(time.perf_counter() - t)
            prof and prof.disable()
        if prof:
            print(f"\n--- {name}, {reps} repetitions (times include cProfile's overhead)", file=sys.stderr)
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
        return statistics.median(out)

    convs = [k for k, node in g.nodes.items() if node.type == "Conv2d"]
    target = convs[len(convs) // 2]
    s.select([target])
    app.processEvents()
    one_block = lambda i: s.push(SetParams(g, target, {"kernel_size": 5 - 2 * (i % 2), "padding": 2 - i % 2}))
    r["edit"] = timed(one_block, 10, name="one-block edit")
    r["undo"] = timed(lambda i: s.undo(), 8, name="undo")
    input_edit = lambda i: s.push(SetParams(g, "input1", {"shape": [3, 32 + 2 * ((i + 1) % 2), 32]}))
    r["input"] = timed(input_edit, 6, name="Input-size edit")
    r["input_all"] = timed(input_edit, 3, until_settled=True)
    win.canvas.fit(animate=False)
    app.processEvents()
    r["idle"] = timed(lambda i: win.canvas.viewport().update(), 10)
    # the minimap with the canvas close up (blocks far out of view on the map): redrawn after the
    # network changed (a block moved), as its timer does, and repainted as the view scrolls
    win.canvas.resetTransform()
    win.canvas.center_on_node(target)
    mini = win.canvas.minimap
    redraw, scroll = [], []
    for i in range(10):
        x, y = g.nodes[target].pos
        s.push(MoveNodes(g, {target: (x + 1 - 2 * (i % 2), y)}))
        settle()
        t = time.perf_counter()
        mini.refresh()
        mini.viewport().repaint()
        redraw.append(time.perf_counter() - t)
        t = time.perf_counter()
        mini.viewport().repaint()
        scroll.append(time.perf_counter() - t)
    r["minimap"], r["minimap_scroll"] = statistics.median(redraw), statistics.median(scroll)
    win.docs.journal.remove()
    win.docs.ask_save = lambda: True
    win.close()
    return r


def growth(sizes=(500, 2000, 5000)) -> None:
    import json
    targets = {"open": ("≤ 1 s at 2,000", lambda n, v: n != 2000 or v <= 1.0),
               "edit": ("≤ 16 ms at 500, ≤ 50 ms at 5,000", lambda n, v: v <= (0.016 if n <= 500 else 0.05)),
               "input": ("≤ 100 ms at 5,000", lambda n, v: n != 5000 or v <= 0.1),
               "undo": ("≤ 16 ms at 500, ≤ 50 ms at 5,000", lambda n, v: v <= (0.016 if n <= 500 else 0.05)),
               "idle": ("≤ 16 ms at any size", lambda n, v: v <= 0.016),
               "minimap": ("≤ 16 ms at any size", lambda n, v: v <= 0.016),
               "minimap_scroll": ("≤ 16 ms at any size", lambda n, v: v <= 0.016)}
    targets["open_all"] = ("(no work left pending)", lambda n, v: True)
    targets["input_all"] = ("(no work left pending)", lambda n, v: True)
    names = {"open": "open (painted)", "open_all": "  settled", "edit": "one-block edit",
             "input": "Input-size edit", "input_all": "  settled", "undo": "undo", "idle": "idle repaint at fit",
             "minimap": "minimap redraw", "minimap_scroll": "  on scrolling"}
    for kind in ("chain", "residual"):
        rows = {}
        for n in sizes:
            out = subprocess.run([sys.executable, __file__, "--one", kind, str(n)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=900)
            rows[n] = json.loads(out.stdout.strip().splitlines()[-1])
        base = rows[sizes[0]]
        print(f"\n{kind}s (full window, offscreen; median of 3–10 repetitions; growth = value / value at "
              f"{sizes[0]}, linear = N / {sizes[0]})")
        print("  " + f"{'':<20}" + "".join(f"{rows[n]['blocks']:>10,} blocks" for n in sizes) + "   growth at largest   target")
        for key in ("open", "open_all", "edit", "input", "input_all", "undo", "idle", "minimap", "minimap_scroll"):
            cells = "".join(f"{rows[n][key]:>15.2f} s" if rows[n][key] >= 10 else
                            f"{rows[n][key] * 1000:>14.{1 if rows[n][key] >= 0.001 else 2}f} ms" for n in sizes)
            ok = all(targets[key][1](n, rows[n][key]) for n in sizes)
            g = rows[sizes[-1]][key] / base[key]
            print(f"  {names[key]:<20}{cells}   {g:6.1f}× (linear {sizes[-1] / sizes[0]:.0f}×)   "
                  f"{targets[key][0]}: {'OK' if ok else 'MISSED'}")
        print("  " + f"{'memory':<20}" + "".join(f"{rows[n]['memory']:>14.0f} MB" for n in sizes)
              + f"   {rows[sizes[-1]]['memory'] / max(base['memory'], 1):6.1f}×")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--growth", action="store_true", help="also print the growth table (slow)")
    ap.add_argument("--growth-only", action="store_true")
    ap.add_argument("--one", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--profile", nargs=2, metavar=("KIND", "N"),
                    help="where the edits' time goes for one network: chain or residual, and its size")
    args = ap.parse_args()
    if args.one or args.profile:
        import json
        kind, n = args.one or args.profile
        print(json.dumps(one_size(kind, int(n), profile=bool(args.profile))))
        return 0
    if args.growth_only:
        growth()
        return 0
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
    if args.growth:
        growth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
