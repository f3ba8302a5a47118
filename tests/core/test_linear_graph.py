"""Every graph algorithm is linear: doubling the network doubles the work, it does not
quadruple it. Work is counted as Python lines executed (a deterministic count, not a time),
for the checks of a chain with a loop in it (what `summary` runs), the exported source,
deleting a block and undoing it, and the incremental re-check of a one-block edit."""
import sys

from cnnstudio.core import Graph, analyze
from cnnstudio.core.graph.commands import SetParams, UndoStack, remove_nodes
from cnnstudio.core.build.pytorch_source import to_pytorch_source
from cnnstudio.core.analysis.recheck import Checker


def lines_run(fn) -> int:
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        count += 1
        return trace

    sys.settrace(trace)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def chain(n: int, loop: bool = False) -> Graph:
    g = Graph()
    prev = g.add("Input", shape=[4, 8, 8])
    for i in range(n):
        prev = g.add("Conv2d", prev, id=f"c{i}", out_channels=4, kernel_size=3, padding=1)
        if loop and i == 5:  # near the start, so almost everything sits behind it, and an
            g._add_edge(("c5", "c2"))  # old wire: the newer ones behind it are not on the loop
    return g


def growth(operation, loop=False) -> float:
    """Work at 2,000 blocks over work at 1,000 (the graph is built outside the count)."""
    small, big = (operation(chain(n, loop)) for n in (1000, 2000))
    return lines_run(big) / lines_run(small)


def test_checking_a_chain_with_a_loop_is_linear():
    assert growth(lambda g: lambda: analyze(g), loop=True) < 2.4
    a = analyze(chain(50, loop=True))
    assert [p.code for p in a.errors] == ["cycle"] and a.errors[0].edge == ("c5", "c2")


def test_export_is_linear():
    assert growth(lambda g: lambda: to_pytorch_source(g)) < 2.4


def test_deleting_a_block_and_undoing_it_is_linear_at_worst():
    def op(g):
        stack = UndoStack(g)

        def run():
            for i in range(100, 120):
                stack.push(remove_nodes(g, [f"c{i}"]))
            for _ in range(20):
                stack.undo()
        return run
    assert growth(op) < 1.3  # the places are found in C; the Python work is the block's own


def test_a_one_block_edit_rechecks_in_constant_work():
    """(Wiring edits redo the linear structure pass; a parameter edit does not.)"""
    def op(g):
        checker, stack = Checker(g), UndoStack(g)
        stack.push(SetParams(g, "c10", {"kernel_size": 5}))  # the first edit indexes the order once
        checker.update()

        def run():
            stack.push(SetParams(g, "c500", {"out_channels": 6}))
            checker.update()
            stack.undo()
            checker.update()
        return run
    assert growth(op) < 1.3
