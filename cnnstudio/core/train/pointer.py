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


def whole_epochs(run_dir) -> list[int]:
    """Epoch folders whose files are all there, newest first: what is left to use when the pointer
    is damaged (state.json is written last, and names its own epoch)."""
    found = []
    for d in (Path(run_dir) / "checkpoints").glob("epoch-*"):
        try:
            n = int(d.name[len("epoch-"):])
            state = json.loads((d / FILES["state"]).read_text(encoding="utf-8"))
            whole = state.get("epoch") == n and all((d / FILES[k]).stat().st_size > 8 for k in ("weights", "optimizer"))
        except (OSError, ValueError, AttributeError):
            continue
        if whole:
            found.append(n)
    return sorted(found, reverse=True)


def pointer_or_recovered(run_dir) -> tuple[dict | None, str | None]:
    """(the pointer, or one made from the newest whole epoch folder when current.json is damaged;
    a sentence saying so, or None)."""
    try:
        return read_pointer(run_dir), None
    except ValueError:
        epochs = whole_epochs(run_dir)
        if not epochs:
            raise
    return {"last": epochs[0], "best": epochs[0]}, (
        f"checkpoints/{POINTER} is damaged; epoch-{epochs[0]}/ is the newest whole checkpoint and is used")


def last_files(run_dir) -> dict | None:
    """Paths of the last checkpoint's files (either layout), or None when there is none."""
    pointer, _ = pointer_or_recovered(run_dir)
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
        pointer, _ = pointer_or_recovered(run_dir)
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
