"""MaxUnpool2d paired with the MaxPool2d whose indices it uses: the same outputs as PyTorch's
pool/unpool pair with the same weights, in the compiled network and in exported PyTorch code;
the live checks pin a wrong pairing to the unpool with a fix that repairs it; the SegNet sample."""
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from cnnstudio.core import Graph, analyze, load_project
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.analysis.recheck import Checker
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.build.pytorch_source import to_pytorch_source
from cnnstudio.core.graph.commands import SetParams, UndoStack

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def segnet_like(size: int = 9, **unpool) -> Graph:
    g = Graph()
    x = g.add("Input", id="input", shape=[3, size, size])
    e = g.add("Conv2d", x, id="enc", out_channels=4, kernel_size=3, padding=1)
    p = g.add("MaxPool2d", e, id="pool", kernel_size=2)
    d = g.add("Conv2d", p, id="mid", out_channels=4, kernel_size=3, padding=1)
    u = g.add("MaxUnpool2d", d, p, id="unpool", **unpool)
    g.add("Conv2d", u, id="dec", out_channels=2, kernel_size=1)
    return g


def by_hand(net, x):
    """The same network written the PyTorch way, with the compiled network's layers."""
    h = net.enc(x)
    pooled, indices = F.max_pool2d(h, 2, return_indices=True)
    return net.dec(nn.MaxUnpool2d(2)(net.mid(pooled), indices, output_size=h.shape[-2:]))


def test_outputs_equal_pytorch_in_the_compiled_network_and_the_exported_code():
    g = segnet_like(9, output_size=[9, 9])  # odd: the pooled 4×4 comes back at 9×9, not 8×8
    a = analyze(g)
    assert a.ok and a.info["unpool"].shape == (4, 9, 9)
    net = compile_graph(g, a).eval()
    x = torch.randn(3, 3, 9, 9)
    with torch.no_grad():
        want = by_hand(net, x)
        assert torch.equal(net(x), want)
        outs = net(x, return_all=True)  # what inspection shows: the pooled values, not the indices
        assert outs["pool"].shape == (3, 4, 4, 4) and outs["pool"].is_floating_point()
    source = to_pytorch_source(g)
    assert "return_indices=True" in source and "x_pool_indices" in source
    scope = {}
    exec(compile(source, "net.py", "exec"), scope)
    code = scope["Net"]()
    code.load_state_dict(net.state_dict())  # same submodule names: the weights load unchanged
    with torch.no_grad():
        assert torch.equal(code.eval()(x), want)
    traced = torch.jit.trace(net, x, check_trace=False)  # TorchScript export traces it
    with torch.no_grad():
        assert torch.equal(traced(x), want)


def test_a_wrong_pairing_is_pinned_to_the_unpool_with_a_fix():
    g = segnet_like(8)
    assert analyze(g).ok
    stack = UndoStack(g)
    # the wires in the wrong order: the pool first, the values second
    g._remove_edge(("mid", "unpool"))
    g._add_edge(("mid", "unpool"))
    assert g.inputs_of("unpool") == ["pool", "mid"]
    [p] = analyze(g).errors
    assert p.node == "unpool" and p.code == "unpool_not_pool" and "mid (Conv2d)" in p.message
    stack.push(fix_command(g, p.node, p.fix))
    assert g.inputs_of("unpool") == ["mid", "pool"] and analyze(g).ok

    # a window other than its pool's
    stack.push(SetParams(g, "unpool", {"kernel_size": 3}))
    [p] = analyze(g).errors
    assert p.code == "unpool_window" and "pool's" in p.message
    stack.push(fix_command(g, p.node, p.fix))
    assert analyze(g).ok


def test_an_edit_of_the_pool_alone_rechecks_its_unpool():
    g = segnet_like(8)
    checker, stack = Checker(g), UndoStack(g)
    assert checker.analysis.ok
    # the pool's window changes but not its output's shape: the unpool is checked again all the same
    stack.push(SetParams(g, "pool", {"kernel_size": 4, "stride": 2, "padding": 1}))
    problems = checker.update().errors
    assert [p.code for p in problems] == ["unpool_window"] and problems[0].node == "unpool"
    stack.push(fix_command(g, "unpool", problems[0].fix))
    assert checker.update().ok


def test_an_odd_map_needs_the_pools_size_back():
    g = segnet_like(9)
    [p] = analyze(g).errors
    assert p.code == "unpool_size" and "8×8" in p.message and "9×9" in p.message
    UndoStack(g).push(fix_command(g, p.node, p.fix))
    assert analyze(g).ok and g.nodes["unpool"].params["output_size"] == [9, 9]


def test_the_segnet_sample_pairs_each_unpool_with_its_pool():
    project = load_project(SAMPLES / "segnet.cnnproj")
    g = project.graph
    a = analyze(g)
    assert a.ok and project.dataset["id"] == "shapes"
    unpools = [n for n, node in g.nodes.items() if node.type == "MaxUnpool2d"]
    assert len(unpools) == 2
    for u in unpools:
        values, pool = g.inputs_of(u)
        assert g.nodes[pool].type == "MaxPool2d"
        assert a.info[u].shape == tuple(a.info[pool].in_shapes[0])  # each comes back at its pool's input size
