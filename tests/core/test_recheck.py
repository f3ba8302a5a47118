"""Incremental re-checking gives exactly what checking the whole graph from scratch gives,
after every step of random edit sequences (parameters, wires, blocks, inserts, fixes,
undo, redo), and the graph's adjacency always agrees with its list of wires."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio.core import CATALOGUE, analyze
from cnnstudio.core.commands import (AddEdge, AddNode, RemoveEdge, SetParams, UndoStack, insert_on_edge,
                                     new_node, remove_nodes)
from cnnstudio.core.fixes import fix_command
from cnnstudio.core.recheck import Checker

from .test_random_graphs import TYPES, param_value, random_graph


def fresh(g):
    """The from-scratch result on a copy (no memo carried over from earlier checks)."""
    return analyze(g.copy())


def same(a, b):
    assert a.order == b.order
    assert a.info == b.info
    assert a.problems == b.problems
    assert a.output == b.output
    for attr in ("params", "buffers", "macs", "inner"):
        assert a.total(attr) == b.total(attr)
    assert a.activation_elements == b.activation_elements


def adjacency_agrees(g):
    edges = list(g.edges)
    for n in g.nodes:
        assert g.inputs_of(n) == [s for s, t in edges if t == n]
        assert g.outputs_of(n) == [t for s, t in edges if s == n]


@st.composite
def edit(draw, g):
    """One random edit as a command (or "undo"/"redo"), valid for the graph as it is now."""
    ids = list(g.nodes)
    kind = draw(st.sampled_from(["params", "params", "params", "input", "add", "connect", "disconnect",
                                 "delete", "insert", "fix", "undo", "undo", "redo"]))
    if kind in ("undo", "redo"):
        return kind
    if kind == "input":
        inputs = [n for n in ids if g.nodes[n].type == "Input"]
        if inputs:
            shape = [draw(st.integers(1, 4)), draw(st.integers(1, 12)), draw(st.integers(1, 12))]
            return SetParams(g, inputs[0], {"shape": shape})
        kind = "params"
    if kind == "params" and ids:
        nid = draw(st.sampled_from(ids))
        params = [p for p in CATALOGUE[g.nodes[nid].type].params if p.kind != "shape"]
        if params:
            p = draw(st.sampled_from(params))
            return SetParams(g, nid, {p.name: draw(param_value(p))})
    if kind == "add" or not ids:
        type_ = draw(st.sampled_from(TYPES))
        return AddNode(new_node(g, type_))
    if kind == "connect" and len(ids) > 1:
        a, b = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        if (a, b) not in g.edges:
            return AddEdge(a, b)
    edges = list(g.edges)
    if kind == "disconnect" and edges:
        return RemoveEdge(g, *draw(st.sampled_from(edges)))
    if kind == "insert" and edges:
        return insert_on_edge(g, draw(st.sampled_from(edges)), new_node(g, draw(st.sampled_from(TYPES))))
    if kind == "fix":
        fixes = [p for p in analyze(g.copy()).problems if p.fix]
        if fixes:
            p = draw(st.sampled_from(fixes))
            return fix_command(g, p.node, p.fix)
    return remove_nodes(g, draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_recheck_equals_full_recheck(data):
    g = data.draw(random_graph())
    checker = Checker(g)
    stack = UndoStack(g)
    same(checker.analysis, fresh(g))
    for _ in range(data.draw(st.integers(1, 12))):
        step = data.draw(edit(g))
        if step == "undo":
            stack.undo()
        elif step == "redo":
            stack.redo()
        else:
            stack.push(step)
        same(checker.update(), fresh(g))
        adjacency_agrees(g)


def test_a_parameter_edit_rechecks_only_what_it_changes():
    """Changing one block's width in a long chain re-checks it and the next block, which absorbs
    the change; the rest of the chain is not looked at."""
    from cnnstudio.core import Graph
    g = Graph()
    prev = g.add("Input", shape=[3, 16, 16])
    for i in range(300):
        prev = g.add("Conv2d", prev, id=f"c{i}", out_channels=8, kernel_size=3, padding=1)
    checker = Checker(g)
    UndoStack(g).push(SetParams(g, "c100", {"out_channels": 12}))
    a = checker.update()
    assert a.changed == {"c100", "c101"}
    assert a.info["c101"].in_shapes == [(12, 16, 16)]
    same(a, fresh(g))
