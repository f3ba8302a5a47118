"""Signals, volumes, transposed and deformable convolution: what a user sees in the editor
(errors pinned to the block, one-click fixes, explain lines) and the receptive field."""
import numpy as np
import pytest
import torch

from cnnstudio.core import CATALOGUE, Graph, analyze
from cnnstudio.core.graph.commands import UndoStack
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.inspect.receptive import receptive_field


def chain(shape, *blocks):
    g = Graph()
    x = g.add("Input", shape=shape, id="in")
    for i, (type_, params) in enumerate(blocks):
        x = g.add(type_, x, id=f"b{i}", **params)
    return g


def apply_fix(g, problem):
    stack = UndoStack(g)
    stack.push(fix_command(g, problem.node, problem.fix))
    return stack


@pytest.mark.parametrize("shape,type_,want", [
    ([2, 100], "Conv2d", "Conv1d"), ([2, 8, 8, 8], "Conv2d", "Conv3d"), ([3, 16, 16], "Conv1d", "Conv2d"),
    ([2, 100], "MaxPool2d", "MaxPool1d"), ([1, 4, 8, 8], "BatchNorm2d", "BatchNorm3d"),
    ([2, 50], "Dropout2d", "Dropout1d"), ([2, 5, 6, 7], "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"),
    ([3, 16, 16], "AvgPool3d", "AvgPool2d")])
def test_a_block_fed_the_wrong_kind_of_tensor_is_pinned_with_a_fix_to_the_matching_block(shape, type_, want):
    g = chain(shape, (type_, {"kernel_size": 3} if "Pool" in type_ and "Adaptive" not in type_ else {}),
              ("Flatten", {}))
    a = analyze(g)
    [p] = a.errors
    assert p.node == "b0" and p.code == "wrong_rank"
    assert want in p.message and str(shape[1]) in p.message
    stack = apply_fix(g, p)
    assert g.nodes["b0"].type == want and g.inputs_of("b1") == ["b0"]
    assert analyze(g).ok
    if "Pool" in type_ and "Adaptive" not in type_:
        assert g.nodes["b0"].params["kernel_size"] == 3  # the user's settings come along
    stack.undo()
    assert g.nodes["b0"].type == type_


def test_conv2d_settings_move_to_conv1d_sizes_per_dimension_become_one_number():
    g = chain([4, 60], ("Conv2d", {"out_channels": 7, "kernel_size": [5, 3], "stride": 2, "activation": "relu"}))
    stack = apply_fix(g, analyze(g).errors[0])
    node = g.nodes["b0"]
    assert (node.type, node.params["out_channels"], node.params["kernel_size"], node.params["stride"],
            node.params["activation"]) == ("Conv1d", 7, 5, 2, "relu")
    assert analyze(g).info["b0"].shape == (7, 28)
    assert len(stack.commands) == 1  # one undo step


def test_a_block_with_no_version_for_the_shape_says_so_without_a_fix():
    a = analyze(chain([2, 64], ("ResidualBlock", {})))
    [p] = a.errors
    assert "1-D signal" in p.message and p.fix is None


def test_flatten_linear_and_merges_work_on_signals_and_volumes():
    for shape in ([3, 20], [2, 4, 5, 6]):
        g = Graph()
        x = g.add("Input", shape=shape)
        conv = f"Conv{len(shape) - 1}d"
        a = g.add(conv, x, out_channels=3, kernel_size=3, padding="same")
        b = g.add(conv, x, out_channels=2, kernel_size=1)
        s = g.add("Concat", g.add("Add", a, g.add(conv, x, out_channels=3, kernel_size=1)), b)
        g.add("Linear", g.add("Flatten", s), out_features=4)
        an = analyze(g)
        assert an.ok, [p.message for p in an.errors]
        assert an.info[s].shape == (5, *shape[1:])


def test_concat_of_signals_with_different_lengths_offers_adaptive_pool_1d():
    g = Graph()
    x = g.add("Input", shape=[2, 40])
    a = g.add("Conv1d", x, id="a", out_channels=2, kernel_size=3)
    g.add("Concat", a, x, id="cat")
    [p] = analyze(g).errors
    assert p.code == "concat_mismatch" and "38" in p.message and "40" in p.message
    apply_fix(g, p)
    an = analyze(g)
    assert an.ok and an.info["cat"].shape == (4, 38)


def test_batchnorm1d_also_normalizes_flat_features():
    g = chain([1, 8, 8], ("Flatten", {}), ("Linear", {"out_features": 12}), ("BatchNorm1d", {}))
    a = analyze(g)
    assert a.ok and a.info["b2"].shape == (12,) and a.info["b2"].out.params == 24


@pytest.mark.parametrize("shape,mode,want", [([2, 30], "bilinear", "linear"), ([1, 8, 8], "trilinear", "bilinear"),
                                             ([1, 4, 4, 4], "linear", "trilinear")])
def test_upsample_mode_must_fit_the_tensor_with_a_fix(shape, mode, want):
    g = chain(shape, ("Upsample", {"mode": mode}))
    [p] = analyze(g).errors
    assert p.code == "upsample_mode" and f'"{want}"' in p.message
    apply_fix(g, p)
    assert analyze(g).info["b0"].shape == (shape[0], *(2 * n for n in shape[1:]))


def test_conv_transpose_explains_its_size_and_rejects_too_much_output_padding():
    g = chain([8, 7, 7], ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1,
                                              "output_padding": 1}))
    a = analyze(g)
    out = a.info["b0"].out
    assert out.shape == (4, 14, 14)
    lines = CATALOGUE["ConvTranspose2d"].explain(g.nodes["b0"].params, [(8, 7, 7)], out)
    assert "(W − 1)·S − 2P + D·(F − 1) + OP + 1" in lines[0]
    assert "(7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14" in lines[1]
    g = chain([8, 7, 7], ("ConvTranspose2d", {"stride": 2, "output_padding": 2}))
    [p] = analyze(g).errors
    assert p.code == "output_padding" and "smaller than the stride" in p.message
    apply_fix(g, p)
    assert analyze(g).ok


def test_deformable_conv_owns_a_zero_initialised_offset_predictor():
    g = chain([4, 9, 9], ("DeformConv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1, "offset_groups": 2,
                                           "modulated": True}))
    a = analyze(g)
    net = compile_graph(g, a).eval()
    block = net.b0
    assert block.offset.out_channels == 2 * 3 * 3 * 3  # offset_groups·3·kh·kw
    assert block.offset.kernel_size == (3, 3) and block.offset.padding == (1, 1)
    assert not block.offset.weight.any() and not block.offset.bias.any()
    assert a.info["b0"].out.params == sum(p.numel() for p in block.parameters())
    # at zero offsets (mask 0.5) it is a plain convolution, scaled by the mask
    x = torch.randn(2, 4, 9, 9)
    with torch.no_grad():
        plain = torch.nn.functional.conv2d(x, block.conv.weight, None, 1, 1)
        assert torch.allclose(net(x), 0.5 * plain + block.conv.bias[:, None, None], atol=1e-5)
    lines = CATALOGUE["DeformConv2d"].explain(g.nodes["b0"].params, [(4, 9, 9)], a.info["b0"].out)
    assert any("offset predictor" in line and "54 channels" in line for line in lines)


def test_deformable_conv_input_channels_must_split_into_offset_groups():
    g = chain([3, 9, 9], ("DeformConv2d", {"offset_groups": 2}))
    [p] = analyze(g).errors
    assert p.code == "offset_groups"
    apply_fix(g, p)
    assert analyze(g).ok


def test_explain_lines_for_signals_and_volumes_fill_in_their_numbers():
    g = chain([2, 100], ("Conv1d", {"out_channels": 8, "kernel_size": 5, "stride": 2}))
    a = analyze(g)
    lines = CATALOGUE["Conv1d"].explain(g.nodes["b0"].params, [(2, 100)], a.info["b0"].out)
    assert "length ⌊(100 − 5)/2⌋ + 1 = 48" in lines[1]
    assert lines[2] == "parameters (F·C_in + 1)·K = (5·2 + 1)·8 = 88"
    g = chain([1, 8, 16, 16], ("Conv3d", {"out_channels": 4, "kernel_size": [3, 5, 5]}))
    a = analyze(g)
    lines = CATALOGUE["Conv3d"].explain(g.nodes["b0"].params, [(1, 8, 16, 16)], a.info["b0"].out)
    assert [line.split()[0] for line in lines[1:4]] == ["depth", "height", "width"]
    assert "(F·F·F·C_in + 1)·K = (3·5·5·1 + 1)·4 = 304" in lines[4]


def gradient_span(net, shape, node, unit):
    inp = torch.rand(1, *shape, requires_grad=True)
    out = net(inp, return_all=True)[node]
    out[(0, 0, *unit)].backward()
    hit = np.nonzero(inp.grad[0].abs().sum(0).numpy())
    return tuple(int(v) for axis in hit for v in (axis.min(), axis.max()))


@pytest.mark.parametrize("shape,blocks,node,units", [
    ([1, 64], [("Conv1d", {"out_channels": 2, "kernel_size": 5, "padding": 2}),
               ("AvgPool1d", {"kernel_size": 3, "stride": 2}),  # (max pooling sends gradient to one input)
               ("Conv1d", {"out_channels": 2, "kernel_size": 3, "dilation": 3, "stride": 2})], "b2", [(0,), (5,), (12,)]),
    ([1, 8, 10, 10], [("Conv3d", {"out_channels": 2, "kernel_size": [1, 3, 3], "padding": [0, 1, 1]}),
                      ("AvgPool3d", {"kernel_size": 2}),
                      ("Conv3d", {"out_channels": 2, "kernel_size": 3, "padding": "same"})], "b2", [(0, 0, 0), (2, 3, 1)]),
    ([1, 6, 6], [("ConvTranspose2d", {"out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1}),
                 ("Upsample", {"mode": "nearest"}), ("Conv2d", {"out_channels": 2, "kernel_size": 3})], "b2",
     [(0, 0), (7, 4), (19, 19)]),
    ([1, 20], [("Upsample", {"mode": "linear", "scale_factor": 2.0})], "b0", [(0,), (13,), (39,)]),
])
def test_receptive_field_of_signals_volumes_and_upsampling_matches_autograd(shape, blocks, node, units):
    g = chain(shape, *blocks)
    a = analyze(g)
    net = compile_graph(g, a)
    for p in net.parameters():  # positive weights: no cancellation hides an input
        p.data = p.data.abs() + 0.1
    for unit in units:
        want = gradient_span(net, shape, node, unit)
        got = receptive_field(g, a, node, *unit)
        # interpolation's outer neighbour can carry a zero weight: the span may be one wider
        assert all(gl <= wl for gl, wl in zip(got[::2], want[::2])) and \
            all(gh >= wh for gh, wh in zip(got[1::2], want[1::2])), (unit, got, want)
        if not any(t == "Upsample" and p["mode"] != "nearest" for t, p in blocks):
            assert got == want, (unit, got, want)


def test_avgpool3d_window_must_fit_the_volume_before_padding_as_pytorch_requires():
    g = chain([1, 4, 2, 1], ("AvgPool3d", {"kernel_size": 2, "stride": 1, "padding": [0, 1, 1]}))
    [p] = analyze(g).errors
    assert p.code == "spatial_too_small" and "before padding" in p.message
    apply_fix(g, p)
    a = analyze(g)
    assert a.ok
    net = compile_graph(g, a)
    assert tuple(net(torch.randn(2, 1, 4, 2, 1)).shape[1:]) == a.info["b0"].shape
