"""Generated datasets beyond single-shape images: 1-D signals (waveform classes), 3-D volumes
(solid shapes in a voxel grid) and multi-label images (several shapes each). Any size and
count, no network, reproducible from a seed; numpy over whole batches."""
from __future__ import annotations

import numpy as np

from .shapes import SHAPE_CLASSES, _masks

SIGNAL_CLASSES = ["sine", "square", "triangle", "sawtooth", "chirp", "pulses"]
VOLUME_CLASSES = ["sphere", "cube", "cylinder", "cone", "torus"]


def generate_signals(count: int, length: int = 128, classes=None, seed: int = 0):
    """→ (float32 signals N×1×L, labels N). Each class is a waveform with a random
    frequency (2–6 cycles per window), phase, amplitude and offset, plus noise."""
    classes = list(classes or SIGNAL_CLASSES)
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(classes)
    rng.shuffle(labels)
    t = np.linspace(0, 1, length, endpoint=False, dtype=np.float32)[None]
    cycles = rng.uniform(2, 6, (count, 1)).astype(np.float32)
    phase = rng.uniform(0, 1, (count, 1)).astype(np.float32)
    u = (cycles * t + phase) % 1.0  # position within the current cycle, 0..1
    waves = {
        "sine": lambda: np.sin(2 * np.pi * u),
        "square": lambda: np.where(u < 0.5, 1.0, -1.0),
        "triangle": lambda: 4 * np.abs(u - 0.5) - 1,
        "sawtooth": lambda: 2 * u - 1,
        "chirp": lambda: np.sin(2 * np.pi * (cycles * t * (0.5 + 1.5 * t) + phase)),  # frequency rises
        "pulses": lambda: np.where(u < 0.12, 1.0, -0.3),
    }
    x = np.zeros((count, length), np.float32)
    for k, name in enumerate(classes):
        sel = labels == k
        x[sel] = waves[name]()[sel]
    x *= rng.uniform(0.6, 1.2, (count, 1)).astype(np.float32)
    x += rng.uniform(-0.3, 0.3, (count, 1)).astype(np.float32)
    x += rng.standard_normal(x.shape, dtype=np.float32) * np.float32(0.15)
    return x[:, None], labels.astype(np.int64)


def generate_volumes(count: int, size: int = 16, classes=None, seed: int = 0):
    """→ (uint8 volumes N×1×S×S×S, labels N): one solid shape per volume, random size,
    position and brightness, over a noisy background."""
    classes = list(classes or VOLUME_CLASSES)
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(classes)
    rng.shuffle(labels)
    r = rng.uniform(0.22, 0.38, count).astype(np.float32) * size
    c = np.stack([rng.uniform(r, size - r) for _ in range(3)], 1).astype(np.float32)
    grid = np.arange(size, dtype=np.float32) + 0.5
    out = np.empty((count, 1, size, size, size), np.float32)
    for i in range(count):
        dz, dy, dx = (grid - c[i, 0])[:, None, None], (grid - c[i, 1])[None, :, None], (grid - c[i, 2])[None, None, :]
        rr, name = r[i], classes[labels[i]]
        if name == "sphere":
            m = dz ** 2 + dy ** 2 + dx ** 2 <= rr ** 2
        elif name == "cube":
            m = (np.abs(dz) <= rr * 0.8) & (np.abs(dy) <= rr * 0.8) & (np.abs(dx) <= rr * 0.8)
        elif name == "cylinder":  # axis along depth
            m = (dy ** 2 + dx ** 2 <= (0.7 * rr) ** 2) & (np.abs(dz) <= rr)
        elif name == "cone":  # apex at the front, base at the back
            m = (np.abs(dz) <= rr) & (np.sqrt(dy ** 2 + dx ** 2) <= 0.9 * rr * (dz + rr) / (2 * rr))
        elif name == "torus":  # ring in the height×width plane
            ring = np.sqrt(dy ** 2 + dx ** 2) - 0.65 * rr
            m = ring ** 2 + dz ** 2 <= (0.35 * rr) ** 2
        else:
            raise ValueError(name)
        fg, bg = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.3)
        out[i, 0] = np.where(m, fg, bg)
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(0.05)
    return (np.clip(out, 0, 1) * 255).round().astype(np.uint8), labels.astype(np.int64)


def generate_multilabel_shapes(count: int, size: int = 32, classes=None, seed: int = 0, most: int = 3):
    """→ (uint8 images N×3×S×S, labels N×K float 0/1): 1 to `most` different shapes per image,
    each in its own colour at a random place (they may overlap)."""
    classes = list(classes or SHAPE_CLASSES)
    k = len(classes)
    rng = np.random.default_rng(seed)
    labels = np.zeros((count, k), np.float32)
    n_shapes = rng.integers(1, min(most, k) + 1, count)
    for i in range(count):
        labels[i, rng.choice(k, n_shapes[i], replace=False)] = 1
    grid = np.arange(size, dtype=np.float32) + 0.5
    images = np.empty((count, 3, size, size), np.float32)
    images[:] = rng.uniform(0.0, 0.3, (count, 3, 1, 1))
    for j, name in enumerate(classes):
        has = np.nonzero(labels[:, j])[0]
        if not len(has):
            continue
        r = (rng.uniform(0.12, 0.2, len(has)) * size).astype(np.float32)
        cx, cy = rng.uniform(r, size - r).astype(np.float32), rng.uniform(r, size - r).astype(np.float32)
        dx = grid[None, None, :] - cx[:, None, None]
        dy = grid[None, :, None] - cy[:, None, None]
        m = _masks(name, dx, dy, r[:, None, None])[:, None]
        colour = rng.uniform(0.55, 1.0, (len(has), 3, 1, 1)).astype(np.float32)
        images[has] = np.where(m, colour, images[has])
    images += rng.standard_normal(images.shape, dtype=np.float32) * np.float32(0.03)
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels
