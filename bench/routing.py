"""Wire routing on a 500-block network: what going round the blocks costs.

    .venv/bin/python bench/routing.py [--repeat 5]

On ResNet-152 as plain layers (≈520 blocks, ≈570 wires, laid out as on open) in the real
window (offscreen), times:
- every wire routed once (what opening the network costs for wires), beside the same wires
  drawn as the plain three-segment path with no look at the blocks (the baseline: the
  router before issue 12);
- one wire whose straight way is blocked, found by the A* search, per wire;
- a block dragged onto another wire's straight way and back: the block's own wires and every
  wire near its old and new place re-routed (what one mouse-move step of a drag costs).
Figures are medians over --repeat runs, in milliseconds, with their ratio to the baseline.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from editor import resnet152_window
    app, win = resnet152_window(1400, 900)
    from PySide6.QtCore import QPointF

    from cnnstudio.gui.canvas import routing, wires
    scene = win.canvas.graph_scene
    all_wires = list(scene.wires.values())
    ends = [((w.start.x(), w.start.y()), (w.end.x(), w.end.y())) for w in all_wires]

    def timed(fn) -> float:
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t0) * 1000)
        return statistics.median(runs)

    def plain():
        for a, b in ends:
            wires._rounded([QPointF(*p) for p in routing.route(a, b, routing.SpatialHash(), (), "TB")])

    def routed():
        for w in all_wires:
            w.update_path()

    base = timed(plain)
    every = timed(routed)
    # a wire with a block in its straight way: the head (the last block) put across the stem's first wire
    item = scene.nodes["conv1"]
    wire = next(w for w in item.edges if w.source is item)
    other = scene.nodes[list(scene.nodes)[-1]]
    home = (other.pos().x(), other.pos().y())
    mid = (wire.start + wire.end) / 2
    other.move_to((mid.x() - 100, mid.y() - 30))
    blocked = timed(wire.update_path)
    each = sorted(timed(w.update_path) for w in all_wires)
    clear_one = statistics.median(each)

    def drag_step():  # one mouse-move step each way: the block, its wires, the wires near it
        other.move_to((mid.x() - 100, mid.y() - 30))
        other.move_to(home)
    drag = timed(drag_step) / 2
    other.move_to(home)
    print(f"network: {len(scene.nodes)} blocks, {len(all_wires)} wires (ResNet-152 as plain layers)")
    print(f"every wire, plain path (baseline)    {base:8.1f} ms")
    print(f"every wire, routed round the blocks  {every:8.1f} ms   ({every / base:.2f}x the baseline, "
          f"{every / len(all_wires) * 1000:.0f} us a wire)")
    print(f"one wire, median / slowest           {clear_one * 1000:8.0f} us / {each[-1]:.2f} ms")
    print(f"one wire, blocked (A* search)        {blocked:8.2f} ms")
    print(f"one drag step (block + re-routes)    {drag:8.2f} ms")
    win.docs.ask_save = lambda: True
    win.close()


if __name__ == "__main__":
    main()
