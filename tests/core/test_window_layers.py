"""Property-based, one sliding-window layer at a time: the checks accept a configuration
exactly when PyTorch does, and then predict PyTorch's output shape. This pins the corner
cases (ceil_mode, pool padding limits, reflect/circular padding, "same" with stride)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnstudio.core import CATALOGUE, Graph, analyze

sizes = st.integers(1, 9)
small = st.integers(1, 4)


def run_torch(g):
    """PyTorch's verdict: the output shape, or None if it refuses."""
    try:
        node = g.nodes["layer"]
        shape = tuple(g.nodes["input"].params["shape"])
        module = CATALOGUE[node.type].build(node.params, [shape])  # built without our checks
        with torch.no_grad():
            return tuple(module(torch.randn(1, *shape)).shape[1:])
    except (RuntimeError, ValueError):
        return None


def check(type_, shape, params):
    g = Graph()
    x = g.add("Input", id="input", shape=shape)
    g.add(type_, x, id="layer", **params)
    analysis = analyze(g)
    ours = analysis.info["layer"].shape if analysis.ok else None
    theirs = run_torch(g)
    assert ours == theirs, (params, [p.message for p in analysis.errors])
    return ours is not None


@settings(max_examples=400, deadline=None)
@given(c=small, h=sizes, w=sizes, k=small, s=small, d=st.integers(1, 2),
       pad=st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])),
       mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
def test_conv2d_agrees_with_pytorch(c, h, w, k, s, d, pad, mode):
    check("Conv2d", [c, h, w], {"kernel_size": k, "stride": s, "dilation": d, "padding": pad,
                                "padding_mode": mode, "out_channels": 2})


@pytest.mark.parametrize("type_", ["MaxPool2d", "AvgPool2d"])
def test_pooling_agrees_with_pytorch(type_):
    accepted = []

    @settings(max_examples=300, deadline=None)
    @given(h=sizes, w=sizes, k=small, s=st.one_of(st.none(), small), p=st.integers(0, 2), ceil=st.booleans())
    def inner(h, w, k, s, p, ceil):
        accepted.append(check(type_, [2, h, w], {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil}))

    inner()
    assert 0.3 < sum(accepted) / len(accepted) < 0.95  # both sides exercised


def test_ceil_mode_drops_a_window_that_would_start_in_the_padding():
    # torch: 5 + 1 padding, kernel 2, stride 2, ceil → 3, not 4
    assert check("MaxPool2d", [1, 5, 5], {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True})
    g = Graph()
    g.add("MaxPool2d", g.add("Input", shape=[1, 5, 5]), id="p", kernel_size=2, stride=2, padding=1, ceil_mode=True)
    assert analyze(g).info["p"].shape == (1, 3, 3)
