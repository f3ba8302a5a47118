"""The edits a user feels on a big network (issue 20, item 13): delete a block, paste one, add
one from the palette, and change the Input's size, each as the window does it, on residual
stacks of 500 and 5,000 blocks.

    .venv/bin/python bench/editor_ops.py [--runs 3] [--code OTHER_CHECKOUT] [--clock cpu]

Each network is opened in the full window (offscreen, 1600×1000, the canvas at 100 % on the
middle block) in a fresh process. An operation is timed from the gesture's call (Delete key
on the selected block, Ctrl+V, a palette drop, the Input's shape pushed as a command) to the
canvas having repainted ("painted"), and to no work being left pending ("settled": older code
wrote the texts of blocks out of view in batches between events; now they are written when
next drawn); then it is undone, untimed. Median of 5 repetitions (3 for the Input change). "scroll": after
an Input change, the canvas moved to blocks far away and repainted (what is left unwritten
until then is written there).

`--code DIR` also runs every size with the `cnnstudio` of another checkout (e.g. a worktree of
the old commit), alternating with this one, and prints this checkout's time over the other's.
Targets at 5,000 blocks: delete, paste, add ≤ 50 ms; the Input change ≤ 100 ms settled.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPS = ("delete", "paste", "add", "input", "scroll")
TARGET = {"delete": 0.05, "paste": 0.05, "add": 0.05, "input": 0.1, "scroll": 0.016}


def one(n: int, profile: bool = False, sort: str = "tottime", clock=time.perf_counter) -> dict:
    """Every operation's times on a residual stack of about `n` blocks, in this process;
    `profile`: also print where each operation's time goes (cProfile, sorted by `sort`) to stderr."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CNNSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QPointF, QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from cnnstudio.core import Project
    from cnnstudio.core.graph.commands import SetParams
    from cnnstudio.gui import theme
    from cnnstudio.gui.canvas.edits import copy_payload, place_missing
    from cnnstudio.gui.main_window import MainWindow
    sys.path.insert(0, str(Path(__file__).parent))  # after cnnstudio: editor.py puts this checkout first
    from editor import big_graph
    theme.apply(app)
    win = MainWindow(settings=QSettings(os.environ["CNNSTUDIO_CONFIG_DIR"] + "/s.ini", QSettings.IniFormat))
    win.resize(1600, 1000)
    win.show()
    g = big_graph("residual", n)
    place_missing(g)
    s, view = win.session, win.canvas
    scene = view.graph_scene
    s.set_project(Project("residual", g))
    for _ in range(5):
        app.processEvents()

    def settle():  # no work left pending: older code wrote the texts out of view in batches between events
        while getattr(scene, "_later_timer", None) is not None and scene._later:
            app.processEvents()
        app.processEvents()

    convs = [k for k, node in g.nodes.items() if node.type == "Conv2d"]
    target = convs[len(convs) // 2]
    view.resetTransform()
    view.center_on_node(target)
    settle()
    payload = copy_payload(g, [target])
    x, y = g.nodes[target].pos

    def delete():  # selected before (a click), as the user does
        view.delete_selection()

    def paste():
        view._paste_count = 0
        view.paste(payload)

    def add():  # dropped on the middle block: it goes to the first free place below
        scene.drop_block("ReLU", QPointF(x + 140, y + 40))

    flip = [0]

    def input_edit():
        flip[0] ^= 1
        s.push(SetParams(s.graph, "input1", {"shape": [3, 32 + 2 * flip[0], 32]}))

    out = {"blocks": len(g.nodes)}
    prof = cProfile.Profile() if profile else None
    for name, fn, reps in (("delete", delete, 5), ("paste", paste, 5), ("add", add, 5), ("input", input_edit, 3)):
        painted, settled = [], []
        for _ in range(reps):
            s.select([target] if name == "delete" else [])
            settle()
            prof and prof.enable()
            t = clock()
            fn()
            app.processEvents()
            view.viewport().repaint()
            painted.append(clock() - t)
            settle()
            settled.append(clock() - t)
            prof and prof.disable()
            if name != "input":
                s.undo()
                settle()
        if prof:
            print(f"\n--- {name}, {reps} repetitions until settled (with cProfile's overhead)", file=sys.stderr)
            pstats.Stats(prof, stream=sys.stderr).sort_stats(sort).print_stats(25)
            prof = cProfile.Profile()
        out[name] = statistics.median(painted)
        out[name + "_settled"] = statistics.median(settled)
    # after an Input change, the view moved to blocks far from where it was: what drawing them costs
    far = [convs[len(convs) // 4], convs[3 * len(convs) // 4]]
    scroll = []
    for i in range(4):
        input_edit()
        settle()
        view.center_on_node(far[i % 2])
        t = clock()
        view.viewport().repaint()
        scroll.append(clock() - t)
    out["scroll"] = out["scroll_settled"] = statistics.median(scroll)
    win.docs.journal.remove()
    win.docs.ask_save = lambda: True
    win.close()
    return out


def run(n: int, code: Path, clock: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, __file__, "--one", str(n), "--clock", clock], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def ms(v: float) -> str:
    return f"{v * 1000:7.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per size (and per checkout)")
    ap.add_argument("--code", type=Path, help="another checkout to compare with, run alternately")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=int, metavar="N", help="where each operation's time goes at N blocks")
    ap.add_argument("--sort", default="tottime", help="with --profile: tottime or cumulative")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: the UI thread's own CPU time (time.thread_time), which other processes on a "
                         "busy machine disturb far less than the wall clock")
    args = ap.parse_args()
    if args.one or args.profile:
        clock = time.thread_time if args.clock == "cpu" else time.perf_counter
        print(json.dumps(one(args.one or args.profile, bool(args.profile), args.sort, clock)))
        return 0
    trees = {"this": ROOT} | ({"other": args.code.resolve()} if args.code else {})
    rows = {(t, n): [] for t in trees for n in (500, 5000)}
    for _ in range(args.runs):
        for n in (500, 5000):
            for t, code in trees.items():
                rows[t, n].append(run(n, code, args.clock))
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    med = {k: {key: statistics.median(r[key] for r in v) for key in v[0]} for k, v in rows.items()}
    what = "the UI thread's CPU time" if args.clock == "cpu" else "wall clock"
    print(f"residual stacks, full window offscreen, {what}; median over {args.runs} processes of the medians "
          f"of 3–5 repetitions; load average now {' '.join(load)}")
    head = f"  {'':<18}{'500 blocks':>12}{'5,000 blocks':>14}{'5,000 / 500':>13}"
    print(head + (f"{'other code':>14}{'this / other':>14}" if args.code else "") + "   target at 5,000")
    for op in OPS:
        for key in (op,) if op == "scroll" else (op, op + "_settled"):
            a, b = med["this", 500][key], med["this", 5000][key]
            line = f"  {(op if key == op else '  settled'):<18}{ms(a):>12}{ms(b):>14}{b / a:>12.1f}×"
            if args.code:
                o = med["other", 5000][key]
                line += f"{ms(o):>14}{b / o:>13.2f}×"
            aim = TARGET[op]
            if (op == "input") == (key != op) or op == "scroll":
                line += f"   ≤ {aim * 1000:.0f} ms: {'met' if b <= aim else 'MISSED'}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
