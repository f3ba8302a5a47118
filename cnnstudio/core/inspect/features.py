"""Every layer's activations for one image, and a layer's maps as one tile mosaic."""
from __future__ import annotations

import numpy as np

from .filters import Mosaic
from .mosaic import colorize, grid_shape, normalize, tile, to_uint8, upscale


def feature_mosaic(fm: np.ndarray, max_maps: int = 64, scale: int | None = None, pad: int = 1,
                   cmap: str | None = "viridis", target: int = 48, depth: int | None = None) -> Mosaic:
    """One layer's output as one picture: C×H×W → a tile per channel, each normalised to its
    own min…max; a signal C×L → one heat strip per channel; a volume C×D×H×W → its slice at
    `depth` (default: the middle) as C×H×W; a flat vector [N] → one strip of N cells."""
    fm = np.asarray(fm, dtype=np.float32)
    if fm.ndim == 4:
        d = fm.shape[1] // 2 if depth is None else min(max(depth, 0), fm.shape[1] - 1)
        m = feature_mosaic(fm[:, d], max_maps, scale, pad, cmap, target)
        m.caption += f", depth slice {d + 1} of {fm.shape[1]}"
        return m
    if fm.ndim == 2:
        return signal_strips(fm, max_maps, pad, cmap)
    if fm.ndim == 1:
        rows, cols = grid_shape(len(fm), cols=min(len(fm), 32))
        cells = np.zeros(rows * cols, np.float32)
        cells[:len(fm)] = normalize(fm)
        scale = scale or 12
        img = upscale(to_uint8(cells.reshape(rows, cols)), scale)
        img = colorize(img / 255.0, cmap) if cmap else img
        return Mosaic(img, rows, cols, scale, scale, 0, len(fm), f"{len(fm)} values", scale)
    c, h, w = fm.shape
    n = min(c, max_maps)
    maps = normalize(fm[:n], axes=(1, 2))
    scale = scale or max(1, target // max(h, w))
    tiles = to_uint8(maps)
    if cmap:
        tiles = colorize(maps, cmap)
    tiles = upscale(tiles, scale, axes=(1, 2))
    img = tile(tiles, pad=pad)
    rows, cols = grid_shape(n)
    caption = f"{n} of {c} maps" if n < c else f"{c} map{'s' * (c > 1)}"
    return Mosaic(img, rows, cols, h * scale, w * scale, pad, n, caption + f", {h}×{w}", scale)


def signal_strips(fm: np.ndarray, max_maps: int = 64, pad: int = 1, cmap: str | None = "viridis",
                  height: int = 8, width: int = 384) -> Mosaic:
    """A signal layer's output C×L as heat strips, one row per channel, each normalised to its
    own min…max and stretched to about `width` pixels."""
    c, length = fm.shape
    n = min(c, max_maps)
    maps = normalize(fm[:n, None, :], axes=(1, 2))  # n×1×L
    sx = max(1, width // length)
    tiles = colorize(maps, cmap) if cmap else to_uint8(maps)
    tiles = np.repeat(np.repeat(tiles, height, axis=1), sx, axis=2)
    img = tile(tiles, cols=1, pad=pad)
    caption = (f"{n} of {c} channels" if n < c else f"{c} channel{'s' * (c > 1)}") + f", length {length}"
    return Mosaic(img, n, 1, height, length * sx, pad, n, caption, sx)
