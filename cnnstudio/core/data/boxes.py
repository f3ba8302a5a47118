"""Boxes for the localization task. A box is (centre x, centre y, width, height), each a
fraction of the image: what the head regresses and what datasets store. Corners are for
IoU and drawing only."""
from __future__ import annotations


def to_corners(b):
    """N×4 (cx, cy, w, h) → (x0, y0, x1, y1); numpy arrays or torch tensors."""
    half = b[..., 2:] / 2
    lo, hi = b[..., :2] - half, b[..., :2] + half
    if hasattr(lo, "new_empty"):  # torch
        import torch
        return torch.cat([lo, hi], -1)
    import numpy as np
    return np.concatenate([lo, hi], -1)


def from_corners(c):
    """N×4 (x0, y0, x1, y1) → (cx, cy, w, h); numpy arrays or torch tensors."""
    mid, size = (c[..., :2] + c[..., 2:]) / 2, c[..., 2:] - c[..., :2]
    if hasattr(mid, "new_empty"):
        import torch
        return torch.cat([mid, size], -1)
    import numpy as np
    return np.concatenate([mid, size], -1)
