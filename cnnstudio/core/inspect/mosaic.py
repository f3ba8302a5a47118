"""Arrays → one uint8 picture: tiles in a grid, colour maps, overlays. numpy only.

One mosaic per panel is what keeps the panels fast: 64 maps drawn as one image take
about 2 ms, as 64 plot axes about 39 ms (see docs/DESIGN facts).
"""
from __future__ import annotations

import math

import numpy as np

# viridis at 9 stops; interpolated to 256 (no matplotlib needed on the GUI path)
_VIRIDIS = np.array([
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]], dtype=np.float64)
# "jet"-like map for class-activation overlays: blue → cyan → yellow → red
_HEAT = np.array([[0, 0, 128], [0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0], [128, 0, 0]],
                 dtype=np.float64)


def _lut(stops: np.ndarray) -> np.ndarray:
    x = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, 256)
    return np.stack([np.interp(t, x, stops[:, c]) for c in range(3)], 1).round().astype(np.uint8)


LUTS = {"viridis": _lut(_VIRIDIS), "heat": _lut(_HEAT)}


def normalize(a: np.ndarray, axes=None, symmetric: bool = False) -> np.ndarray:
    """Scale to [0, 1] over `axes` (None: the whole array). A constant array becomes 0.5
    (symmetric) or 0 — never a division by zero. symmetric: 0 maps to 0.5 (weights)."""
    a = np.asarray(a, dtype=np.float32)
    if symmetric:
        m = np.abs(a).max(axis=axes, keepdims=True)
        return np.where(m > 0, 0.5 + 0.5 * a / np.where(m > 0, m, 1), 0.5).astype(np.float32)
    lo = a.min(axis=axes, keepdims=True)
    hi = a.max(axis=axes, keepdims=True)
    span = hi - lo
    return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


def to_uint8(a01: np.ndarray) -> np.ndarray:
    return (np.clip(a01, 0, 1) * 255 + 0.5).astype(np.uint8)


def colorize(a01: np.ndarray, cmap: str = "viridis") -> np.ndarray:
    """[0, 1] floats (H×W) → H×W×3 uint8 through a colour map."""
    return LUTS[cmap][to_uint8(a01)]


def grid_shape(n: int, cols: int | None = None, aspect: float = 1.0) -> tuple[int, int]:
    """(rows, cols) for n tiles: about square unless `cols` is given."""
    if n <= 0:
        return 0, 0
    cols = cols or max(1, math.ceil(math.sqrt(n * aspect)))
    cols = min(cols, n)
    return math.ceil(n / cols), cols


def tile(tiles: np.ndarray, cols: int | None = None, pad: int = 1, fill=255) -> np.ndarray:
    """N×h×w (grey) or N×h×w×3 (colour) uint8 tiles → one picture with `pad` pixels of
    `fill` between tiles and round the edge. Tile i sits at row i // cols, column i % cols.
    One reshape, no per-tile loop: 1,024 tiles take about a millisecond."""
    tiles = np.asarray(tiles)
    n, h, w = tiles.shape[:3]
    rows, cols = grid_shape(n, cols)
    extra = tiles.shape[3:]
    cells = np.full((rows * cols, h + pad, w + pad) + extra, fill, dtype=tiles.dtype)
    cells[:n, :h, :w] = tiles
    body = cells.reshape((rows, cols, h + pad, w + pad) + extra).swapaxes(1, 2)
    body = body.reshape((rows * (h + pad), cols * (w + pad)) + extra)
    out = np.full((pad + rows * (h + pad), pad + cols * (w + pad)) + extra, fill, dtype=tiles.dtype)
    out[pad:, pad:] = body
    return out


def tile_origin(index: int, h: int, w: int, cols: int, pad: int = 1) -> tuple[int, int]:
    """Top-left pixel (y, x) of tile `index` in a mosaic made by `tile`."""
    r, c = divmod(index, cols)
    return pad + r * (h + pad), pad + c * (w + pad)


def tile_at(y: int, x: int, n: int, h: int, w: int, cols: int, pad: int = 1):
    """(tile index, y, x inside it) for a mosaic pixel, or None on padding or outside."""
    r, yy = divmod(y - pad, h + pad)
    c, xx = divmod(x - pad, w + pad)
    if y < pad or x < pad or yy >= h or xx >= w or c >= cols:
        return None
    i = r * cols + c
    return (i, yy, xx) if i < n else None


def upscale(img: np.ndarray, factor: int, axes=(0, 1)) -> np.ndarray:
    """Nearest-neighbour enlargement, so 5×5 kernels stay crisp blocks. axes: the height
    and width axes ((1, 2) for a stack of tiles)."""
    if factor <= 1:
        return img
    return np.repeat(np.repeat(img, factor, axis=axes[0]), factor, axis=axes[1])


def resize_bilinear(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of a 2-D float map (align_corners=False, as torch's interpolate)."""
    a = np.asarray(a, dtype=np.float32)
    ih, iw = a.shape
    ys = np.clip((np.arange(h) + 0.5) * ih / h - 0.5, 0, ih - 1)
    xs = np.clip((np.arange(w) + 0.5) * iw / w - 0.5, 0, iw - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, ih - 1), np.minimum(x0 + 1, iw - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bot = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def as_rgb(img: np.ndarray) -> np.ndarray:
    """H×W or H×W×1 or H×W×3 uint8 → H×W×3."""
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    if img.shape[2] == 1:
        return np.repeat(img, 3, axis=2)
    return img


def overlay(image: np.ndarray, heat01: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """A heat map in [0, 1] (same H×W as the image) blended over the image, uint8 RGB.
    The blend follows the heat, so cold regions keep the image as it is."""
    base = as_rgb(image).astype(np.float32)
    heat = colorize(heat01, "heat").astype(np.float32)
    a = alpha * np.clip(np.asarray(heat01, np.float32), 0, 1)[:, :, None]
    return (base * (1 - a) + heat * a + 0.5).astype(np.uint8)


def cam_overlay(picture: np.ndarray, heat01: np.ndarray) -> np.ndarray:
    """Grad-CAM over a sample's picture (see display_samples): a signal's heat L runs along
    its line plot, a volume's D×H×W heat is shown at the picture's (middle) slice."""
    heat = np.asarray(heat01, np.float32)
    if heat.ndim == 1:
        heat = np.repeat(heat[None], picture.shape[0], 0)
    elif heat.ndim == 3:
        heat = heat[heat.shape[0] // 2]
    return overlay(picture, heat)


def draw_box(img: np.ndarray, box, color=(255, 0, 0), width: int = 1) -> np.ndarray:
    """Draws a rectangle outline (x0, y0, x1, y1 in pixels, inclusive) on an RGB copy."""
    out = as_rgb(img).copy()
    h, w = out.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, x1 = sorted((min(max(x0, 0), w - 1), min(max(x1, 0), w - 1)))
    y0, y1 = sorted((min(max(y0, 0), h - 1), min(max(y1, 0), h - 1)))
    for t in range(width):
        out[min(y0 + t, y1), x0:x1 + 1] = color
        out[max(y1 - t, y0), x0:x1 + 1] = color
        out[y0:y1 + 1, min(x0 + t, x1)] = color
        out[y0:y1 + 1, max(x1 - t, x0)] = color
    return out
