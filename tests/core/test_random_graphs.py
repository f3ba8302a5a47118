"""Property-based: random graphs of random blocks with random parameters.

Every graph the checks call valid compiles, and PyTorch gives exactly the predicted shape
and parameter count for every node. Every graph they call invalid gets errors pinned to
real nodes, never an exception, and each offered fix applies and undoes cleanly.
"""
from collections import Counter

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio.core import CATALOGUE, Graph, analyze
from cnnstudio.core.blocks import BlockError
from cnnstudio.core.graph.commands import UndoStack
from cnnstudio.core.build.compiler import CompileError, compile_graph
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.project import project_to_dict, Project

SMALL_INT = {"out_channels": (1, 8), "groups": (1, 4), "stride": (1, 3), "ch1x1": (1, 4),
             "ch3x3red": (1, 4), "ch3x3": (1, 4), "ch5x5red": (1, 4), "ch5x5": (1, 4),
             "pool_proj": (1, 4), "out_features": (1, 12), "offset_groups": (1, 3),
             "group_width": (1, 2), "num_groups": (1, 2)}
TYPES = sorted(set(CATALOGUE) - {"Input"})


def _fits(type_, dims) -> bool:
    """The block accepts an input with `dims` spatial dimensions (its defaults on a 4×8… tensor)."""
    spec = CATALOGUE[type_]
    if spec.dims not in (None, dims):
        return False
    try:
        spec.infer(spec.defaults(), [(8,) + (8,) * dims] * max(spec.inputs, 1))
    except BlockError as e:
        return e.code not in ("wrong_rank", "needs_spatial", "needs_flat")
    return True


# blocks made for inputs with this many spatial dimensions (or for any shape)
FITS = {dims: sorted(t for t in TYPES if _fits(t, dims)) for dims in (1, 2, 3)}


def size_value(lo=1, hi=5, dims=2):
    return st.one_of(st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=dims, max_size=dims))


def param_value(p):
    if p.kind == "int":
        lo, hi = SMALL_INT.get(p.name, (int(p.min or 0), int(p.min or 0) + 4))
        return st.integers(lo - 1 if lo > 0 else lo, hi)  # sometimes just out of range
    if p.kind == "float":
        return st.floats(0.0, 1.0) if p.name != "scale_factor" else st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "size":
        zero_ok = p.name in ("padding", "output_padding")
        base = size_value(0 if zero_ok else 1, 2 if zero_ok else 5, p.dims)
        return st.one_of(st.none(), base) if p.nullable else base
    if p.kind == "padding":
        return st.one_of(size_value(0, 3, p.dims), st.sampled_from(["same", "valid"]))
    raise AssertionError(p.kind)


@st.composite
def random_graph(draw):
    g = Graph()
    dims = draw(st.sampled_from([1, 2, 2, 3]))  # signals, images (most), volumes
    side = {1: 24, 2: 12, 3: 6}[dims]
    shape = [draw(st.integers(1, 4))] + [draw(st.integers(1, side)) for _ in range(dims)]
    ids = [g.add("Input", shape=shape)]
    for _ in range(draw(st.integers(1, 6))):
        # mostly blocks made for the input's shape; now and then any block (a wrong-shape error)
        type_ = draw(st.sampled_from(FITS[dims] if draw(st.integers(0, 5)) else TYPES))
        spec = CATALOGUE[type_]
        params = {p.name: draw(param_value(p)) for p in spec.params if draw(st.booleans())}
        want = 1 if spec.inputs == 1 else draw(st.integers(2, 3))
        if draw(st.integers(0, 15)) == 0:
            want = draw(st.integers(0, 3))  # a wrong number of inputs now and then
        sources = draw(st.lists(st.sampled_from(ids), min_size=min(want, len(ids)),
                                max_size=min(want, len(ids)), unique=True))
        if draw(st.integers(0, 3)) > 0 and ids[-1] not in sources and sources:
            sources[0] = ids[-1]  # mostly chains, so graphs get deep
        ids.append(g.add(type_, *sources, **params))
    if draw(st.integers(0, 20)) == 0 and len(ids) > 2:  # a wire that may close a loop
        a, b = draw(st.lists(st.sampled_from(ids[1:]), min_size=2, max_size=2, unique=True))
        if (a, b) not in g.edges:
            g._add_edge((a, b))
    return g


def check_valid(g, analysis):
    model = compile_graph(g, analysis).eval()
    x = torch.randn(2, *analysis.info[analysis.order[0]].shape)
    with torch.no_grad():
        outs = model(x, return_all=True)
    for nid in analysis.order:
        info = analysis.info[nid]
        assert tuple(outs[nid].shape[1:]) == info.shape, nid
        module = getattr(model, model.node_names[nid])
        assert sum(p.numel() for p in module.parameters()) == info.out.params, nid
    assert sum(p.numel() for p in model.parameters()) == analysis.total("params")


def check_invalid(g, analysis):
    for p in analysis.errors:
        assert p.message and (p.node in g.nodes or p.node is None and p.code == "no_input")
        if p.edge:
            assert tuple(p.edge) in g.edges
    try:
        compile_graph(g, analysis)
        raise AssertionError("an invalid graph compiled")
    except CompileError:
        pass
    before = project_to_dict(Project(graph=g))
    stack = UndoStack(g)
    for p in analysis.problems:
        if p.fix:
            stack.push(fix_command(g, p.node, p.fix))
            analyze(g)  # whatever the fix leads to, checking it never raises
            stack.undo()
            assert project_to_dict(Project(graph=g)) == before
            break


def test_random_graphs_match_pytorch_or_get_pinned_errors():
    seen = Counter()

    @settings(max_examples=320, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(random_graph())
    def check(g):
        analysis = analyze(g)
        if analysis.ok:
            seen["valid"] += 1
            check_valid(g, analysis)
        else:
            seen["invalid"] += 1
            check_invalid(g, analysis)

    check()
    # the property must have been exercised on both sides, not vacuously
    assert seen["valid"] >= 40 and seen["invalid"] >= 40, seen
