"""User blocks cost no more to check than the same layers written flat.

    .venv/bin/python bench/user_blocks.py [LAYERS]

The same 500-conv network three ways: flat, as 100 copies of one 5-conv user block, and as one
user block repeated ×10 that holds the 5-conv block repeated ×10. For each: a full check (cold caches), a re-check
after the Input's size changes (every block re-inferred), and after one parameter edit; ratios
against the flat network, measured in this run.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnstudio.core import Graph, analyze  # noqa: E402
from cnnstudio.core.analysis import user_blocks  # noqa: E402
from cnnstudio.core.graph.commands import SetParams, UndoStack  # noqa: E402
from cnnstudio.core.analysis.recheck import Checker  # noqa: E402

CONV = {"out_channels": 16, "kernel_size": 3, "padding": 1, "activation": "relu"}


def five_convs(repeat=1):
    nodes = [{"id": "input", "type": "Input", "params": {"shape": [16, 32, 32]}}]
    nodes += [{"id": f"c{i}", "type": "Conv2d", "params": CONV} for i in range(5)]
    edges = [[nodes[i]["id"], nodes[i + 1]["id"]] for i in range(5)]
    return {"name": "ConvRelu5", "graph": {"nodes": nodes, "edges": edges}, "repeat": repeat,
            "expose": {"channels": [[f"c{i}", "out_channels"] for i in range(5)]}, "values": {"channels": 16}}


def flat(n):
    g = Graph()
    x = g.add("Input", shape=[16, 32, 32])
    for _ in range(n):
        x = g.add("Conv2d", x, **CONV)
    return g


def copies(n):
    g = Graph()
    x = g.add("Input", shape=[16, 32, 32])
    for _ in range(n // 5):
        x = g.add("Custom", x, **five_convs())
    return g


def nested(n):
    """[ConvRelu5 ×10] ×(n/50): a block holding a repeated block, itself repeated."""
    inner = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [16, 32, 32]}},
                       {"id": "convs", "type": "Custom", "params": five_convs(10)}],
             "edges": [["input", "convs"]]}
    g = Graph()
    g.add("Custom", g.add("Input", shape=[16, 32, 32]), name="Stage", graph=inner, repeat=n // 50,
          expose={"channels": [["convs", "channels"]]}, values={"channels": 16})
    return g


def best(fn, runs=5, setup=lambda: None):
    times = []
    for _ in range(runs):
        arg = setup()
        t = time.perf_counter()
        fn() if arg is None else fn(arg)
        times.append(time.perf_counter() - t)
    return min(times)


def measure(make, n):
    def fresh():  # a new graph (no block remembers a result) and no cached user blocks
        user_blocks._CACHE.clear()
        return make(n)
    g = make(n)
    params = analyze(g).total("params")
    checker, stack = Checker(g), UndoStack(g)
    entry = next(iter(g.nodes))
    last = list(g.nodes)[-1]
    sizes, widths = iter(range(33, 10_000)), iter(range(17, 10_000))  # never seen before: no cache hits

    def resize():
        stack.push(SetParams(g, entry, {"shape": [16, next(sizes), 32]}))
        checker.update()

    def edit():
        width = next(widths)
        change = {"values": {"channels": width}} if g.nodes[last].type == "Custom" else {"out_channels": width}
        stack.push(SetParams(g, last, change))
        checker.update()
    return best(analyze, setup=fresh), best(resize), best(edit), params


def main(n=500):
    n = int(n)
    rows = {name: measure(make, n) for name, make in
            (("flat", flat), ("100 copies of a 5-conv block", copies), ("[ConvRelu5 ×10] ×10, nested", nested))}
    base = rows["flat"]
    assert len({r[3] for r in rows.values()}) == 1, {k: r[3] for k, r in rows.items()}
    print(f"{n} convs, {base[3]:,} parameters in each network")
    print(f"{'':32s} {'full check':>14s} {'Input resized':>16s} {'one edit':>14s}")
    for name, (cold, resize, edit, _) in rows.items():
        print(f"{name:32s} {cold * 1e3:8.1f} ms {cold / base[0]:4.2f}× {resize * 1e3:8.1f} ms {resize / base[1]:4.2f}×"
              f" {edit * 1e3:7.2f} ms {edit / base[2]:4.2f}×")


if __name__ == "__main__":
    main(*sys.argv[1:])
