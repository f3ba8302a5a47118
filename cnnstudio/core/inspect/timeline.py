"""The epoch timeline read back: the snapshots training saved per epoch (train/timeline.py),
scrubbed later with a slider.

Files: RUN/timeline/epoch_0001.npz ... written with numpy.savez (no pickle: only numeric
and unicode arrays) and read with allow_pickle=False. float16 keeps a LeNet epoch ≈30 KB.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..train.timeline import FOLDER

@dataclass
class Frame:
    epoch: int
    filters: np.ndarray | None
    filters_node: str
    maps: dict = field(default_factory=dict)  # node → C×H×W float32


def timeline_epochs(run_dir) -> list[tuple[int, Path]]:
    """[(epoch, file)] saved so far, in epoch order."""
    folder = Path(run_dir) / FOLDER
    found = []
    for p in folder.glob("epoch_*.npz") if folder.is_dir() else ():
        m = re.fullmatch(r"epoch_(\d+)\.npz", p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def load_frame(path, epoch: int = 0) -> Frame:
    """One epoch's snapshot. Raises ValueError with the file name if it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as z:
            filters = z["filters"].astype(np.float32) if "filters" in z else None
            node = str(z["filters_node"]) if "filters_node" in z else ""
            maps = {k[4:]: z[k].astype(np.float32) for k in z.files if k.startswith("map:")}
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{path}: cannot read this timeline snapshot ({e}).") from None
    return Frame(epoch, filters, node, maps)


def load_probe(run_dir) -> np.ndarray | None:
    p = Path(run_dir) / FOLDER / "probe.npy"
    return np.load(p, allow_pickle=False) if p.exists() else None
