"""Shapes: generated images of one shape each (circle, square, ...) with its bounding box.

Any image size and count, no network, reproducible from a seed. Random size, position and
colours; the box (centre x, centre y, width, height, fractions of the image) is the
localization target.
Drawn with numpy masks over whole batches, so 10,000 images take well under a second.
"""
from __future__ import annotations

import numpy as np

SHAPE_CLASSES = ["circle", "square", "triangle", "diamond", "cross"]


def _masks(kind: str, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    ax, ay = np.abs(dx), np.abs(dy)
    if kind == "circle":
        return dx ** 2 + dy ** 2 <= r ** 2
    if kind == "square":
        return (ax <= r) & (ay <= r)
    if kind == "triangle":  # apex at the top, base at the bottom of the box
        return (dy <= r) & (ax <= (dy + r) / 2)
    if kind == "diamond":
        return ax + ay <= r
    if kind == "cross":
        t = r / 3
        return ((ax <= t) & (ay <= r)) | ((ay <= t) & (ax <= r))
    raise ValueError(kind)


def generate_shapes(count: int, size: int = 32, classes=None, seed: int = 0, channels: int = 3):
    """→ (uint8 images N×C×S×S, labels N, boxes N×4 float32 in 0..1)."""
    classes = list(classes or SHAPE_CLASSES)
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(classes)  # balanced
    rng.shuffle(labels)
    r = (rng.uniform(0.12, 0.35, count) * size).astype(np.float32)  # half-extent in pixels
    cx = rng.uniform(r, size - r).astype(np.float32)
    cy = rng.uniform(r, size - r).astype(np.float32)
    grid = np.arange(size, dtype=np.float32) + 0.5
    bg = rng.uniform(0.0, 0.35, (count, 3))
    fg = rng.uniform(0.55, 1.0, (count, 3))
    images = np.empty((count, 3, size, size), np.float32)
    for lo in range(0, count, 2048):
        hi = min(count, lo + 2048)
        dx = grid[None, None, :] - cx[lo:hi, None, None]
        dy = grid[None, :, None] - cy[lo:hi, None, None]
        rr = r[lo:hi, None, None]
        mask = np.zeros((hi - lo, size, size), bool)
        for k, name in enumerate(classes):
            sel = labels[lo:hi] == k
            if sel.any():
                mask[sel] = _masks(name, dx[sel], dy[sel], rr[sel])
        m = mask[:, None].astype(np.float32)
        images[lo:hi] = fg[lo:hi, :, None, None] * m + bg[lo:hi, :, None, None] * (1 - m)
    images += rng.standard_normal(images.shape, dtype=np.float32) * np.float32(0.03)
    if channels == 1:
        images = (images * np.array([0.299, 0.587, 0.114], np.float32)[None, :, None, None]).sum(1, keepdims=True)
    boxes = np.stack([cx, cy, 2 * r, 2 * r], 1) / size
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels.astype(np.int64), boxes.astype(np.float32)
