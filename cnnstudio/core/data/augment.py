"""Batch augmentation on the training device: one random affine warp per image, no Python loop.

Options (project "dataset": {"augment": {...}}), each off when 0/false:
  flip (bool): mirror left-right half the time;  rotation (degrees, ±);  translation (fraction
  of the size, ±);  scale (fraction, ±);  shear (degrees, ±);  stretch (fraction, ± aspect).
For boxes, rotation and shear are skipped (an axis-aligned box cannot follow them) and the
boxes are moved with the image.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .boxes import from_corners, to_corners

KEYS = {"flip": bool, "rotation": float, "translation": float, "scale": float, "shear": float, "stretch": float}
LIMITS = {"rotation": 180.0, "translation": 0.5, "scale": 0.9, "shear": 45.0, "stretch": 0.9}


def check_augment(aug) -> str | None:
    """A message for bad options, or None."""
    if aug in (None, {}):
        return None
    if not isinstance(aug, dict):
        return f'"augment" must be an object like {{"flip": true, "rotation": 10}}, not {aug!r}.'
    for k, v in aug.items():
        if k not in KEYS:
            return f'unknown augmentation "{k}"; choose from {", ".join(KEYS)}.'
        if k == "flip":
            if not isinstance(v, bool):
                return f'augment "flip" must be true or false, not {v!r}.'
        elif not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= LIMITS[k]:
            return f'augment "{k}" must be a number from 0 to {LIMITS[k]:g}, not {v!r}.'
    return None


def is_active(aug) -> bool:
    return bool(aug) and any(v for v in aug.values())


def augment_batch(x: torch.Tensor, aug: dict, boxes: torch.Tensor | None = None):
    """Randomly warp a batch (N×C×H×W). Returns x, or (x, boxes) when boxes (centre x,
    centre y, width, height) are given: they move with their images."""
    if boxes is None:
        return _augment(x, aug, None)
    out, corners = _augment(x, aug, to_corners(boxes))
    return out, from_corners(corners)


def _augment(x: torch.Tensor, aug: dict, boxes: torch.Tensor | None):
    """augment_batch on corner boxes (x0, y0, x1, y1), which the warp maps directly."""
    n, dev = x.shape[0], x.device
    if boxes is not None:
        aug = {k: v for k, v in aug.items() if k not in ("rotation", "shear")}

    def u(scale):  # uniform in ±scale, one per image
        return (torch.rand(n, device=dev) * 2 - 1) * scale

    flip = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0) if aug.get("flip") else torch.ones(n, device=dev)
    warp = any(aug.get(k) for k in ("rotation", "translation", "scale", "shear", "stretch"))
    if not warp:
        if aug.get("flip"):
            x = torch.where((flip < 0).view(-1, 1, 1, 1), x.flip(-1), x)
            if boxes is not None:
                boxes = _flip_boxes(boxes, flip < 0)
        return x if boxes is None else (x, boxes)
    s = 1 + u(aug.get("scale", 0))
    st = 1 + u(aug.get("stretch", 0))
    sx, sy = s * st, s / st
    a = u(math.radians(aug.get("rotation", 0)))
    sh = u(math.radians(aug.get("shear", 0)))
    tx, ty = u(2 * aug.get("translation", 0)), u(2 * aug.get("translation", 0))
    # theta maps output coordinates to input ones: inverse scale, then shear, rotate, flip
    cos, sin, tan = torch.cos(a), torch.sin(a), torch.tan(sh)
    m00, m01 = cos / sx, (cos * tan - sin) / sy
    m10, m11 = sin / sx, (sin * tan + cos) / sy
    theta = torch.stack([torch.stack([m00 * flip, m01 * flip, tx], 1),
                         torch.stack([m10, m11, ty], 1)], 1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if boxes is None:
        return out
    # axis-aligned: input p = flip·p_out/s + t  →  p_out = (p − t)·s/flip
    b = boxes * 2 - 1
    xs = (b[:, [0, 2]] - tx[:, None]) * (sx * flip)[:, None]
    ys = (b[:, [1, 3]] - ty[:, None]) * sy[:, None]
    nb = torch.stack([xs.min(1).values, ys.min(1).values, xs.max(1).values, ys.max(1).values], 1)
    return out, ((nb + 1) / 2).clamp(0, 1)


def _flip_boxes(boxes, mask):
    flipped = torch.stack([1 - boxes[:, 2], boxes[:, 1], 1 - boxes[:, 0], boxes[:, 3]], 1)
    return torch.where(mask.view(-1, 1), flipped, boxes)
