"""Incremental re-checking gives exactly what checking the whole graph from scratch gives,
after every step of random edit sequences (parameters, wires, blocks, inserts, fixes,
undo, redo), and the graph's adjacency always agrees with its list of wires."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio.core import CATALOGUE, analyze
from cnnstudio.core.graph.commands import (AddEdge, AddNode, Macro, MoveNodes, RemoveEdge, SetParams, UndoStack,
                                     insert_on_edge, new_node, remove_nodes)
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.analysis.recheck import Checker

from .test_random_graphs import TYPES, param_value, random_graph


def fresh(g):
    """The from-scratch result on a copy (no memo carried over from earlier checks)."""
    return analyze(g.copy())


def same(a, b, g):
    assert a.order == b.order
    assert a.info == b.info
    assert receptive_fields(a, g) == receptive_fields(b, g) == forward_receptive_fields(b, g)
    assert a.problems == b.problems
    assert a.output == b.output
    for attr in ("params", "buffers", "macs", "inner"):
        assert a.total(attr) == b.total(attr)
    assert a.activation_elements == b.activation_elements


def receptive_fields(a, g):
    """Asked for from the last block back: each answer is worked out on demand, by walking back."""
    return {n: a.receptive(g, n) for n in reversed(a.order) if a.info[n].out}


def forward_receptive_fields(a, g):
    """The textbook recurrence, block by block in order: rf += (k − 1)·jump, jump *= stride."""
    rf = {}
    for n in a.order:
        out = a.info[n].out
        if out is None:
            continue
        src = [rf[x] for x in g.inputs_of(n)]
        r, j = (max(x[0] for x in src), max(x[1] for x in src)) if src else (1, 1)
        rf[n] = (r + (out.rf_kernel - 1) * j, j * out.rf_stride)
    return rf


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
                                 "delete", "insert", "fix", "move", "undo", "undo", "redo", "paste"]))
    if kind in ("undo", "redo"):
        return kind
    if kind == "move" and ids:
        nid = draw(st.sampled_from(ids))
        return MoveNodes(g, {nid: (draw(st.integers(-500, 500)), draw(st.integers(-500, 500)))})
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
    if kind == "paste":  # new blocks at the end, wired among themselves (and perhaps one wire in)
        names, steps = g.names(), []
        for type_ in draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=4)):
            node = new_node(names, type_)
            names.nodes[node.id] = node
            steps.append(AddNode(node))
        new = [c.node.id for c in steps]
        wires = draw(st.lists(st.tuples(st.sampled_from(new), st.sampled_from(new)), max_size=5, unique=True))
        steps += [AddEdge(a, b) for a, b in wires if a != b]
        if ids and draw(st.booleans()):
            steps.append(AddEdge(draw(st.sampled_from(ids)), new[0]))
        return Macro("Paste", steps)
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
    same(checker.analysis, fresh(g), g)
    for _ in range(data.draw(st.integers(1, 12))):
        step = data.draw(edit(g))
        where = {n: node.pos for n, node in g.nodes.items()}
        if step == "undo":
            stack.undo()
        elif step == "redo":
            stack.redo()
        else:
            stack.push(step)
        a = checker.update()
        same(a, fresh(g), g)
        adjacency_agrees(g)
        # the canvas makes, removes and moves items only for the blocks named as placed
        moved = {n for n in where.keys() | g.nodes.keys()
                 if n not in where or n not in g.nodes or where[n] != g.nodes[n].pos}
        assert a.placed is None or moved <= a.placed


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
    same(a, fresh(g), g)
