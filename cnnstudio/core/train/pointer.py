"""Where a run keeps its checkpoints (see checkpoint.py for how they are written): the folder
of each epoch and the pointer file that names the last and best of them. Read-only."""
from __future__ import annotations

import json
from pathlib import Path

POINTER = "current.json"
FILES = {"weights": "weights.safetensors", "optimizer": "optimizer.safetensors", "state": "state.json"}
# runs written before the pointer existed: one flat folder
LEGACY = {"weights": "last.safetensors", "optimizer": "last.state.safetensors", "state": "last.state.json"}


def epoch_dir(run_dir, epoch: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"epoch-{epoch}"


def read_pointer(run_dir) -> dict | None:
    """{"last": N, "best": M or None}, or None when no epoch has finished. ValueError if damaged."""
    path = Path(run_dir) / "checkpoints" / POINTER
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    ok = (isinstance(doc, dict) and type(doc.get("last")) is int and doc["last"] >= 1
          and (doc.get("best") is None or type(doc["best"]) is int))
    if not ok:
        raise ValueError(f"{path} is damaged: {str(doc)[:80]}")
    return {"last": doc["last"], "best": doc.get("best")}


def last_files(run_dir) -> dict | None:
    """Paths of the last checkpoint's files (either layout), or None when there is none."""
    pointer = read_pointer(run_dir)
    if pointer:
        d = epoch_dir(run_dir, pointer["last"])
        return {k: d / name for k, name in FILES.items()}
    folder = Path(run_dir) / "checkpoints"
    if (folder / LEGACY["state"]).exists():
        return {k: folder / name for k, name in LEGACY.items()}
    return None


def checkpoint_file(run_dir, which: str = "best") -> Path | None:
    """The weights file of the best (or last) epoch; best falls back to last. None if there is none."""
    try:
        pointer = read_pointer(run_dir)
    except ValueError:
        pointer = None
    folder = Path(run_dir) / "checkpoints"
    if pointer and (pointer.get(which) or not (folder / "best.safetensors").exists()):
        return epoch_dir(run_dir, pointer.get(which) or pointer["last"]) / FILES["weights"]
    for name in ([which] if which == "last" else [which, "last"]):
        if (folder / f"{name}.safetensors").exists():
            return folder / f"{name}.safetensors"
    return None


def has_checkpoint(run_dir) -> bool:
    try:
        return last_files(run_dir) is not None
    except ValueError:
        return False
