"""Conv kernels as one tile mosaic, and weight histograms. Takes a compiled net (torch is
imported by the caller); works on numpy copies of the weights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mosaic import normalize, tile, to_uint8, upscale


@dataclass
class Mosaic:
    """One picture plus what is needed to map a click back to a tile."""

    image: np.ndarray  # uint8, H×W or H×W×3
    rows: int
    cols: int
    tile_h: int  # tile size in mosaic pixels (after upscaling)
    tile_w: int
    pad: int
    count: int  # tiles drawn
    caption: str  # e.g. "64 of 120 filters"
    scale: int = 1


def filter_mosaic(weight: np.ndarray, rgb: bool | None = None, max_filters: int = 64,
                  max_inputs: int = 16, scale: int | None = None, pad: int = 1) -> Mosaic:
    """Kernels K×C×kh×kw → one picture, each filter normalised to its own min…max.

    rgb (default: C == 3): one colour tile per filter, as the first layer of an RGB
    network sees colour. Otherwise one grey row per filter, one tile per input channel.
    """
    w = np.asarray(weight, dtype=np.float32)
    volume = None  # 3-D kernels: (input channels, depth)
    if w.ndim == 3:  # 1-D kernels: one row each
        w = w[:, :, None, :]
    elif w.ndim == 5:  # 3-D kernels: each depth slice a tile of its own
        volume = w.shape[1:3]
        w = w.reshape(w.shape[0], w.shape[1] * w.shape[2], *w.shape[3:])
        rgb = False
    k, c, kh, kw = w.shape
    rgb = (c == 3) if rgb is None else rgb and c == 3
    nk, nc = min(k, max_filters), min(c, max_inputs)
    w = normalize(w[:nk, :nc], axes=(1, 2, 3))  # per filter
    scale = scale or max(1, 24 // max(kh, kw))
    if rgb:
        tiles = to_uint8(w.transpose(0, 2, 3, 1))  # K×kh×kw×3
        cols, count = None, nk
    else:  # one row per filter; a single input channel packs the filters in a square
        tiles = to_uint8(w.reshape(nk * nc, kh, kw))
        cols, count = (nc if nc > 1 else None), nk * nc
    tiles = upscale(tiles, scale, axes=(1, 2))
    img = tile(tiles, cols=cols, pad=pad)
    from .mosaic import grid_shape
    rows, cols = grid_shape(count, cols)
    caption = f"{nk} of {k} filters" if nk < k else f"{k} filters"
    if volume:  # the tiles are depth slices, not input channels
        cin, depth = volume
        caption += (f" × {cin} input channel{'s' * (cin > 1)}, {depth}×{kh}×{kw}: a tile per depth slice"
                    + (f" (the first {nc} of {c})" if nc < c else ""))
    elif not rgb:
        caption += f" × {nc} of {c} input channels" if nc < c else f" × {c} input channel{'s' * (c > 1)}"
    if not volume:
        caption += f", {kh}×{kw}"
    return Mosaic(img, rows, cols, kh * scale, kw * scale, pad, count, caption, scale)


def weight_histogram(weight: np.ndarray, bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """(counts, bin edges) of all the layer's weights."""
    w = np.asarray(weight, dtype=np.float32).ravel()
    if w.size == 0:
        return np.zeros(bins, int), np.linspace(-1, 1, bins + 1)
    lo, hi = float(w.min()), float(w.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.histogram(w, bins=bins, range=(lo, hi))


def histogram_image(counts: np.ndarray, height: int = 60, bar: int = 4,
                    color=(70, 110, 190)) -> np.ndarray:
    """Counts → a small bar-chart picture (uint8 RGB), drawn with numpy."""
    n = len(counts)
    img = np.full((height, n * bar, 3), 255, np.uint8)
    top = counts.max() if len(counts) and counts.max() > 0 else 1
    for i, c in enumerate(counts):
        h = int(round((height - 1) * c / top))
        if h:
            img[height - h:, i * bar:(i + 1) * bar - 1] = color
    return img
