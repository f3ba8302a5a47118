"""What a 3-D unit looks for: the activation-maximisation picture of a Conv3d unit shows its
receptive field's depth slices as tiles (not the volume's middle slice, where the pattern was
a dot), each slice the pattern the unit's kernel has at that depth, and the strongest slice
underlined, as a user reads it off the picture."""
from __future__ import annotations

import numpy as np
import torch

from cnnstudio.core import Graph
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.inspect.source import Inspection
from cnnstudio.core.inspect.units import unit_picture

DOT = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32)  # front: a dot
CROSS = np.array([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], np.float32)  # middle: an X, the strongest
PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.float32)  # back: a plus
KERNEL = np.stack([DOT, CROSS, PLUS])
BLUE = (21, 101, 192)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    edges = np.diff(np.r_[0, mask.astype(int), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def volume_unit():
    g = Graph()
    x = g.add("Input", shape=[1, 7, 11, 11])
    g.add("ReLU", g.add("Conv3d", x, id="c", out_channels=2, kernel_size=3, padding=1), id="r")
    net = compile_graph(g)
    with torch.no_grad():
        net.c.weight.zero_()
        net.c.bias.zero_()
        net.c.weight[0, 0] = torch.tensor(KERNEL)
    rng = np.random.default_rng(0)  # faint test volumes, none of them pure white
    images = (0.4 + 0.05 * rng.standard_normal((24, 1, 7, 11, 11))).astype(np.float32)
    return Inspection(net, g, ["a", "b"], images, np.zeros(24, int))


def test_a_3d_units_picture_shows_its_kernel_slice_by_slice():
    insp = volume_unit()
    picture, caption = unit_picture(insp, "r", 0)
    # the centre unit (3, 5, 5) sees input depth 2–4; the X at depth 3 is the strongest
    assert "its 3 depth slices (input depth 2–4)" in caption and "strongest (depth 3)" in caption
    white = (picture == 255).all(axis=(0, 2))
    gaps = runs(white)
    widest = max(gaps, key=lambda r: r[1] - r[0])  # the space that sets the made-up input apart
    tiles = [r for r in runs(~white) if r[0] >= widest[1]]
    assert len(tiles) == 3  # three depth slices side by side
    top = int(np.flatnonzero(~(picture[:, tiles[0][0]:tiles[0][1]] == 255).all(axis=(1, 2)))[0])
    for (x0, x1), want in zip(tiles, KERNEL):
        size = x1 - x0
        tile = picture[top:top + size, x0:x1, 0].astype(float)  # grey
        cell = size / 3  # the 3×3 receptive field, each position a square of the tile
        seen = np.array([[tile[int((r + 0.5) * cell), int((c + 0.5) * cell)] for c in range(3)] for r in range(3)])
        assert np.corrcoef(seen.ravel(), want.ravel())[0, 1] > 0.9, (seen, want)
    blue = (picture == BLUE).all(axis=2).any(axis=0)  # the underline, under the strongest slice only
    (b0, b1), = runs(blue)
    assert (b0, b1) == tuple(tiles[1])
