"""Model inputs back into pictures: images as they are, a volume's middle slice, a signal as
a line plot (numpy only). For dataset previews and inspection."""
from __future__ import annotations

import numpy as np


def display_samples(x: np.ndarray, mean, std, rank: int) -> np.ndarray:
    """Model inputs (normalised; one sample or a batch) → uint8 N×H×W×C pictures: images as
    they are, a volume's middle depth slice, a signal drawn as a line plot."""
    x = np.asarray(x, np.float32)
    if x.ndim == rank:
        x = x[None]
    c = x.shape[1]
    view = (1, c) + (1,) * (rank - 1)
    x = x * np.resize(np.asarray(std, np.float32), c).reshape(view) + np.resize(np.asarray(mean, np.float32), c).reshape(view)
    if rank == 2:
        return plot_signals(x)
    if rank == 4:
        x = x[:, :, x.shape[2] // 2]  # the middle slice
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


def plot_signals(x: np.ndarray, height: int = 48) -> np.ndarray:
    """Signals N×C×L → line plots, uint8 N×height×L×3 (one colour per channel)."""
    n, c, length = x.shape
    lo = x.min(axis=(1, 2), keepdims=True)
    span = np.maximum(x.max(axis=(1, 2), keepdims=True) - lo, 1e-6)
    rows = np.round((1 - (x - lo) / span) * (height - 1)).astype(int)  # top = largest
    out = np.full((n, height, length, 3), 250, np.uint8)
    colours = np.array([[31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189]], np.uint8)
    cols = np.arange(length)
    for i in range(n):
        for ch in range(c):
            r = rows[i, ch]
            lo_r = np.minimum(r, np.r_[r[:1], r[:-1]])  # join each point to the previous one
            hi_r = np.maximum(r, np.r_[r[:1], r[:-1]])
            for col, a, b in zip(cols, lo_r, hi_r):
                out[i, a:b + 1, col] = colours[ch % len(colours)]
    return out


