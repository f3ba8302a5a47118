"""Arrays parsed from a slow source file, kept as .npy in the user's cache folder.

MNIST 5k's CSV takes ≈0.15 s to parse and ≈1 ms to load as .npy: every `cnnstudio report` of an
MNIST 5k run read it. The cache file is named after the source's size and modification time, so
a changed source is parsed again; a cache file that cannot be used (damaged, cut short, of the
wrong shape) is parsed again and written over; one that cannot be written is simply not kept.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np


def cache_folder() -> Path:
    """Beside the datasets folder (so CNNSTUDIO_DATA moves it too)."""
    from .vision import data_root
    return data_root().parent / "cache"


def cached_array(name: str, source: Path, parse: Callable[[], np.ndarray],
                 valid: Callable[[np.ndarray], bool]) -> np.ndarray:
    """parse()'s array for `source`, from the cache when the cache holds a `valid` one for it."""
    st = source.stat()
    folder = cache_folder()
    path = folder / f"{name}-{st.st_size}-{st.st_mtime_ns}.npy"
    try:
        arr = np.load(path, allow_pickle=False)  # never pickle: a file in the home runs no code
        if isinstance(arr, np.ndarray) and valid(arr):
            return arr
    except (OSError, ValueError, EOFError):  # missing, unreadable, damaged or cut short
        pass
    arr = parse()
    try:
        from ..project.atomic import atomic_write
        folder.mkdir(parents=True, exist_ok=True)

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:  # a file object: np.save would add ".npy" to the temp name
                np.save(f, arr, allow_pickle=False)
        atomic_write(path, write)
        for old in folder.glob(f"{name}-*.npy"):  # the same data for an earlier source file
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only or full disk: parse each time
        pass
    return arr
