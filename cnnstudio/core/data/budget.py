"""In memory or streamed? A dataset is kept whole on the training device when it fits a memory
budget, and streamed from disk when it does not. Torch-free and cheap (a directory listing), so
the Training dock can show the budget and the choice as the settings change.

The budget is `dataset["memory_budget_mb"]` when set, else half of the free memory of the device
the data would live on (host memory for the CPU; the engine passes the GPU's free memory).
`dataset["stream"]`: "auto" (default), true (always stream) or false (always in memory).
Only image folders can stream: the built-in datasets are small enough for any device.
"""
from __future__ import annotations

import os

from .image_files import list_folder
BUDGET_FRACTION = 0.5


def free_host_bytes() -> int | None:
    """Memory available to new allocations on this machine (Linux MemAvailable, else sysconf)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _size(spec) -> tuple[int, int]:
    s = spec.get("resize") or spec.get("image_size", 64)
    return (s, s) if isinstance(s, int) else (int(s[0]), int(s[1]))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit in ("B", "KB") else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} B"


def choose(spec: dict, free_bytes: int | None = None, where: str = "memory", count: int | None = None) -> dict:
    """→ {"path": "memory" | "stream", "why": a sentence for the dock and the CLI, "bytes", "budget"}."""
    mode = spec.get("stream", "auto")
    if free_bytes is None and where == "memory":
        free_bytes = free_host_bytes()
    if spec.get("memory_budget_mb"):
        budget, of = int(spec["memory_budget_mb"] * 1e6), "the dataset's memory_budget_mb"
    elif free_bytes:
        budget = int(free_bytes * BUDGET_FRACTION)
        of = f"half of the {human_bytes(free_bytes)} free {where}"
    else:
        budget, of = None, "unknown free memory"
    budget_text = f"the memory budget {human_bytes(budget)} ({of})" if budget else "the memory budget (unknown)"
    if spec.get("id") != "image_folder":
        return {"path": "memory", "why": f"Data in memory: built-in datasets fit {budget_text}.",
                "bytes": None, "budget": budget}
    if count is None:
        try:
            count = len(list_folder(spec["path"])[1])
        except (OSError, KeyError):  # no folder yet: nothing to say (loading it will say what is wrong)
            return {"path": "stream" if mode is True else "memory", "why": "", "bytes": None, "budget": budget}
    h, w = _size(spec)
    need = count * (1 if spec.get("channels") == 1 else 3) * h * w * 4  # float32 tensors, as trained
    size = f"{count:,} images at {h}×{w} ≈ {human_bytes(need)}"
    if mode is True or mode == "always":
        return {"path": "stream", "why": f"Streamed from disk, as the dataset settings ask ({size}).",
                "bytes": need, "budget": budget}
    if mode is False or mode == "never":
        return {"path": "memory", "why": f"Data in memory, as the dataset settings ask ({size}; {budget_text}).",
                "bytes": need, "budget": budget}
    if budget is not None and need > budget:
        return {"path": "stream", "why": f"Streamed from disk: {size} would not fit {budget_text}.",
                "bytes": need, "budget": budget}
    return {"path": "memory", "why": f"Data in memory: {size} fits {budget_text}.", "bytes": need, "budget": budget}
