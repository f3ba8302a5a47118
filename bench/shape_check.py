"""Shape/cost inference on ResNet-152-sized graphs (516 blocks) against PyTorch itself:
images, and the same network of 1-D blocks for a signal and of 3-D blocks for a volume.

Prints medians and ratios measured in this one run (machines here are noisy):
  - re-check after an edit (the editor's case: memoized formulas),
  - a cold check (every node's formulas evaluated),
  - the baseline: a meta-device forward of the compiled model (shapes without data).
Run: python bench/shape_check.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from graphs import INPUTS, resnet152_expanded  # noqa: E402

from cnnstudio.core import analyze  # noqa: E402
from cnnstudio.core.graph.commands import SetParams  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def measure(dims: int) -> None:
    import torch
    from cnnstudio.core.build.compiler import compile_graph

    g = resnet152_expanded(dims=dims)
    analysis = analyze(g)
    assert analysis.ok, analysis.errors
    flip = [False]

    def edit_and_check():
        flip[0] = not flip[0]
        SetParams(g, "l3_10_conv2", {"out_channels": 128 if flip[0] else 256}).do(g)
        analyze(g)

    def cold_check():
        for n in g.nodes.values():
            n.memo = None
        analyze(g)

    with torch.device("meta"):
        model = compile_graph(g)
    x = torch.empty(1, *INPUTS[dims], device="meta")

    def meta_forward():
        with torch.no_grad():
            model(x)

    meta_forward()
    edit = median_ms(edit_and_check, 200)
    cold = median_ms(cold_check, 50)
    meta = median_ms(meta_forward, 20)
    what = {1: f"1-D signal {INPUTS[1]}", 2: "image [3, 224, 224]", 3: f"3-D volume {INPUTS[3]}"}[dims]
    print(f"graph: {len(g.nodes)} blocks, {len(g.edges)} wires (ResNet-152, every layer a block, {what})")
    print(f"edit + re-check (formulas, memoized): {edit:7.2f} ms   target <= 2 ms")
    print(f"cold check (all formulas):            {cold:7.2f} ms")
    print(f"meta-device forward (baseline):       {meta:7.2f} ms")
    print(f"ratio meta forward / edit re-check:   {meta / edit:7.1f}x")
    print(f"ratio meta forward / cold check:      {meta / cold:7.1f}x")


def main() -> None:
    for dims in (2, 1, 3):
        measure(dims)
        print()


if __name__ == "__main__":
    main()
