"""Filters, feature maps and receptive fields of small models with set weights."""
import numpy as np
import pytest
import torch

from cnnstudio.core import Graph, analyze
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.build.taps import activations, conv_layers
from cnnstudio.core.inspect.features import feature_mosaic
from cnnstudio.core.inspect.filters import filter_mosaic, weight_histogram
from cnnstudio.core.inspect.mosaic import tile_at, tile_origin
from cnnstudio.core.inspect.receptive import receptive_field


def small_net(cin=1, k=3, out=2, act="none"):
    g = Graph()
    i = g.add("Input", shape=[cin, 6, 6], id="in")
    c = g.add("Conv2d", i, id="conv", out_channels=out, kernel_size=k, padding=0, bias=False, activation=act)
    p = g.add("MaxPool2d", c, id="pool", kernel_size=2)
    f = g.add("Flatten", p, id="flat")
    g.add("Linear", f, id="fc", out_features=3)
    return g, compile_graph(g)


def test_filter_mosaic_tiles_are_the_kernels_normalised_per_filter():
    g, net = small_net(cin=1, k=3, out=2)
    w = np.zeros((2, 1, 3, 3), np.float32)
    w[0, 0] = np.arange(9).reshape(3, 3)  # 0..8 → 0..255 across the filter
    w[1, 0] = -np.arange(9).reshape(3, 3) * 10  # other scale, own normalisation
    net.get_submodule(net.node_names["conv"]).weight.data = torch.from_numpy(w)
    layers = conv_layers(net)
    assert [l.label for l in layers] == ["conv"]
    m = filter_mosaic(layers[0].weight, scale=1, pad=1)
    expect0 = np.round(np.arange(9).reshape(3, 3) / 8 * 255).astype(np.uint8)
    expect1 = expect0[::-1, ::-1]  # negated: largest at the top-left
    y, x = tile_origin(0, 3, 3, m.cols, 1)
    np.testing.assert_array_equal(m.image[y:y + 3, x:x + 3], expect0)
    y, x = tile_origin(1, 3, 3, m.cols, 1)
    np.testing.assert_array_equal(m.image[y:y + 3, x:x + 3], expect1)
    assert m.image.shape == (1 + 4, 1 + 2 * 4) and m.count == 2  # one input channel: side by side
    assert tile_at(2, 6, m.count, 3, 3, m.cols, 1) == (1, 1, 1)


def test_deeper_filters_get_one_row_per_filter():
    w = np.random.default_rng(0).normal(size=(4, 5, 3, 3))
    m = filter_mosaic(w, scale=1)
    assert (m.rows, m.cols, m.count) == (4, 5, 20) and m.image.shape == (1 + 4 * 4, 1 + 5 * 4)
    y, x = tile_origin(2 * 5 + 3, 3, 3, m.cols)  # filter 2, input channel 3
    f = w[2]
    expect = np.round((f[3] - f.min()) / (f.max() - f.min()) * 255).astype(np.uint8)
    np.testing.assert_array_equal(m.image[y:y + 3, x:x + 3], expect)


def test_rgb_first_layer_is_drawn_in_colour():
    g, net = small_net(cin=3, k=3, out=4)
    w = np.zeros((4, 3, 3, 3), np.float32)
    w[0, 0] = 1.0  # filter 0 only looks at red: a pure red tile
    net.get_submodule(net.node_names["conv"]).weight.data = torch.from_numpy(w)
    m = filter_mosaic(conv_layers(net)[0].weight, scale=1)
    assert m.image.ndim == 3 and m.count == 4
    y, x = tile_origin(0, 3, 3, m.cols)
    assert (m.image[y:y + 3, x:x + 3] == [255, 0, 0]).all()


def test_histogram_counts_every_weight():
    w = np.array([-1, -1, 0, 1, 1, 1], np.float32)
    counts, edges = weight_histogram(w, bins=2)
    assert counts.tolist() == [2, 4] and edges[0] == -1 and edges[-1] == 1


def test_feature_maps_equal_the_convolution_by_hand():
    g, net = small_net(cin=1, k=3, out=2, act="relu")
    w = np.zeros((2, 1, 3, 3), np.float32)
    w[0, 0, 1, 1] = 1.0  # identity (centre tap)
    w[1, 0, :, 0], w[1, 0, :, 2] = -1.0, 1.0  # horizontal gradient
    net.get_submodule(net.node_names["conv"]).weight.data = torch.from_numpy(w)
    img = np.arange(36, dtype=np.float32).reshape(1, 6, 6)
    acts = activations(net, img)
    assert set(acts) == {"in", "conv", "pool", "flat", "fc"}
    np.testing.assert_allclose(acts["conv"][0], img[0, 1:5, 1:5])
    np.testing.assert_allclose(acts["conv"][1], np.full((4, 4), 6.0))  # (x+2 − x) · 3 rows
    np.testing.assert_allclose(acts["pool"][0], img[0, 1:5, 1:5].reshape(2, 2, 2, 2).max((1, 3)))
    m = feature_mosaic(acts["conv"], scale=1, cmap=None)
    y, x = tile_origin(0, 4, 4, m.cols)
    expect = np.round((img[0, 1:5, 1:5] - 7) / (28 - 7) * 255).astype(np.uint8)
    np.testing.assert_array_equal(m.image[y:y + 4, x:x + 4], expect)
    y, x = tile_origin(1, 4, 4, m.cols)
    assert (m.image[y:y + 4, x:x + 4] == 0).all()  # a constant map is flat, not NaN
    assert m.caption == "2 maps, 4×4"


def test_feature_mosaic_caps_the_number_of_maps():
    m = feature_mosaic(np.random.rand(100, 5, 5), max_maps=64, scale=1)
    assert m.count == 64 and m.rows * m.cols >= 64 and "64 of 100" in m.caption


def gradient_box(net, shape, node, y, x, channel=0):
    """Where the gradient of unit (y, x) is non-zero: the true receptive field."""
    inp = torch.rand(1, *shape, requires_grad=True)
    out = net(inp, return_all=True)[node]
    out[0, channel, y, x].backward()
    ys, xs = np.nonzero(inp.grad[0].abs().sum(0).numpy())
    return ys.min(), ys.max(), xs.min(), xs.max()


@pytest.mark.parametrize("y,x", [(0, 0), (3, 5), (7, 7)])
def test_receptive_field_matches_autograd(y, x):
    g = Graph()
    i = g.add("Input", shape=[1, 32, 32], id="in")
    c1 = g.add("Conv2d", i, id="c1", out_channels=2, kernel_size=5, padding=2)
    p1 = g.add("AvgPool2d", c1, id="p1", kernel_size=2)
    c2 = g.add("Conv2d", p1, id="c2", out_channels=2, kernel_size=3, dilation=2, padding="same")
    c3 = g.add("Conv2d", c2, id="c3", out_channels=2, kernel_size=3, stride=2, padding=1)
    a = g.add("Add", c3, g.add("AvgPool2d", p1, id="short", kernel_size=3, stride=2, padding=1), id="add")
    g.add("Flatten", a, id="flat")
    net = compile_graph(g)
    for p in net.parameters():  # positive weights: no cancellation hides a pixel
        p.data = p.data.abs() + 0.1
    box = receptive_field(g, analyze(g), "add", y, x)
    assert box == gradient_box(net, (1, 32, 32), "add", y, x)
    assert receptive_field(g, analyze(g), "flat") == (0, 31, 0, 31)  # flat sees everything


def test_tile_leaves_unused_cells_blank():
    from cnnstudio.core.inspect.mosaic import tile
    tiles = np.arange(1, 6, dtype=np.uint8)[:, None, None] * np.ones((5, 2, 2), np.uint8)
    img = tile(tiles, cols=3, pad=1, fill=255)
    assert img.shape == (1 + 2 * 3, 1 + 3 * 3)
    assert (img[1:3, 1:3] == 1).all() and (img[4:6, 4:6] == 5).all()
    assert (img[4:6, 7:9] == 255).all()  # the sixth cell: no tile
    assert (img[0] == 255).all() and (img[:, 3] == 255).all()  # padding


@pytest.mark.parametrize("kind,stride", [("basic", 2), ("bottleneck", 2), ("basic", 1)])
def test_receptive_field_through_composite_blocks_matches_autograd(kind, stride):
    g = Graph()
    i = g.add("Input", shape=[3, 24, 24], id="in")
    r = g.add("ResidualBlock", i, id="res", out_channels=8, stride=stride, kind=kind)
    inc = g.add("InceptionBlock", r, id="inc", ch1x1=2, ch3x3red=2, ch3x3=2, ch5x5red=2, ch5x5=2, pool_proj=2)
    g.add("Flatten", inc, id="flat")
    net = compile_graph(g).eval()
    for p in net.parameters():
        p.data = p.data.abs() + 0.1
    a = analyze(g)
    for node, channel in (("res", 0), ("inc", 4)):  # inception channels 4–5: the widest (5×5) branch
        size = a.info[node].shape[1]
        for y, x in ((0, 0), (size // 2, size // 3)):
            want = gradient_box(net, (3, 24, 24), node, y, x, channel)
            assert receptive_field(g, a, node, y, x) == want, (node, y, x)


def test_a_3d_filter_caption_counts_input_channels_not_depth_slices():
    """A one-channel 3×3×3 Conv3d's filters: each depth slice is a tile, but the caption said
    "3 input channels, 3×3"."""
    m = filter_mosaic(np.random.default_rng(0).normal(size=(8, 1, 3, 3, 3)).astype(np.float32), scale=1)
    assert m.count == 8 * 3 and m.cols == 3  # a row of three depth slices per filter
    assert m.caption == "8 filters × 1 input channel, 3×3×3: a tile per depth slice"
    m = filter_mosaic(np.zeros((4, 8, 3, 3, 3), np.float32), scale=1)  # 24 slices, 16 shown
    assert m.caption == "4 filters × 8 input channels, 3×3×3: a tile per depth slice (the first 16 of 24)"
