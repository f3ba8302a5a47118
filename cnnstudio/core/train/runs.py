"""Run folders: what was trained, how it went, and the weights — readable without pickle.

Layout (the contract is docs/run-format.md):
  run.json, project.cnnproj, metrics.jsonl, checkpoints/ (see checkpoint.py), .lock.
Every file is written to a temp file beside it and renamed into place, so a crash or a full
disk never leaves a half-written file.
"""
from __future__ import annotations

import errno
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..project.atomic import atomic_write, atomic_write_text
from ..project import Project, load_project
from .lock import RunBusy, is_locked, lock_run  # noqa: F401 - the run folder's writer lock lives there

RUN_FORMAT = "cnnstudio.run"
ACTIVE = ("starting", "running", "paused")  # statuses a live writer holds


class DiskError(OSError):
    """Writing the run failed (disk full, no permission); the message says what to do."""


def runs_folder(project_path: Path | None) -> Path:
    """Runs live beside the project: lenet5.cnnproj → lenet5.runs/. Unsaved projects use the
    user data folder."""
    if project_path:
        p = Path(project_path)
        return p.parent / f"{p.stem}.runs"
    from ..data.vision import data_root
    return data_root().parent / "runs"


def run_slug(name: str) -> str:
    """What a project's (or a study's) name gives a run folder's name after its date and time."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40]


def new_run_dir(parent: Path, name: str = "") -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    slug = run_slug(name)
    base = f"{stamp}-{slug}" if slug else stamp
    path, i = Path(parent) / base, 2
    while path.exists():
        path, i = Path(parent) / f"{base}-{i}", i + 1
    return path


def disk_message(path: Path, e: OSError, need_bytes: int = 0) -> str:
    """Why a run file could not be written, in the user's terms. What is kept is for the caller
    to add: only it knows whether a checkpoint exists."""
    need = f" (it needs about {need_bytes / 1e6:.1f} MB)" if need_bytes else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full: could not write {path.name} in {path.parent}{need}. Free some space."
    if e.errno == errno.EFBIG:
        return (f"Could not write {path.name} in {path.parent}{need}: it is larger than this system lets a "
                "file grow (a file-size limit). Raise the limit or choose another disk.")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write to {path.parent} ({e.strerror}). Choose a folder you can write to for the run."
    return f"Could not write {path} ({e.strerror or e})."


def write_text(path: Path, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except OSError as e:
        raise DiskError(e.errno, disk_message(path, e)) from None


def write_json(path: Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, allow_nan=False, default=_json_default) + "\n")


def _json_default(o):
    if isinstance(o, Path):
        return str(o)
    return repr(o)


def append_line(path: Path, obj: dict) -> None:
    """One row at the end, on a line of its own even after a row a crash cut off."""
    try:
        with open(path, "a+b") as f:
            torn = f.tell() > 0 and (f.seek(-1, os.SEEK_END), f.read(1))[1] != b"\n"
            f.write((("\n" if torn else "") + json.dumps(finite(obj)) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise DiskError(e.errno, disk_message(path, e)) from None


def finite(obj: dict) -> dict:
    """JSON has no NaN: non-finite numbers are written as null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in obj.items()}


def _metric_lines(run_dir: Path) -> tuple[list[tuple[str, dict | None]], bool]:
    """([(line, row)], torn): row is None for a damaged line; torn when the last line is a row a
    kill cut off mid-write (no newline yet): not a row, and not damage to keep."""
    try:
        text = (Path(run_dir) / "metrics.jsonl").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], False
    out = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            row = None
        ok = isinstance(row, dict) and type(row.get("epoch")) is int
        if ok:  # a value that is not a plausible number (text, 1e308, a list) is unknown, not a crash later
            row = {k: v if k == "epoch" or _plain_number(v) else None for k, v in row.items()}
        if ok or line.strip():
            out.append((line, row if ok else None))
    torn = bool(out) and out[-1][1] is None and not text.endswith("\n")
    return (out[:-1] if torn else out), torn


def _plain_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= 1e30


def _clean_info(info: dict) -> dict:
    """run.json as readers may trust it: keys of the wrong kind (a hand edit, a damaged file) dropped."""
    info = dict(info)
    best = info.get("best")
    if best is not None and not (isinstance(best, dict) and isinstance(best.get("metric"), str)
                                 and _plain_number(best.get("value")) and type(best.get("epoch")) is int):
        info["best"] = None
    for key in ("status", "message", "task", "device", "project", "created", "updated", "precision"):
        if key in info and not isinstance(info[key], str):
            info.pop(key)
    if not isinstance(info.get("dataset", {}), dict):
        info.pop("dataset")
    if not (isinstance(info.get("classes", []), list) and all(isinstance(c, str) for c in info.get("classes", []))):
        info.pop("classes")
    return info


def read_metrics(run_dir: Path) -> list[dict]:
    """The epochs' rows; a damaged line (edited by hand, ...) is skipped, not the end."""
    return [row for _, row in _metric_lines(run_dir)[0] if row is not None]


def damaged_metric_lines(run_dir: Path) -> list[int]:
    return [i + 1 for i, (_, row) in enumerate(_metric_lines(run_dir)[0]) if row is None]


def truncate_metrics(run_dir: Path, last_epoch: int) -> list[dict]:
    """Keep the epochs a checkpoint covers, so resumed curves continue without a gap or overlap.
    Damaged lines are kept as they are (they are reported, never silently dropped)."""
    lines, torn = _metric_lines(run_dir)
    keep = [line for line, row in lines if row is None or row["epoch"] <= last_epoch]
    if torn or len(keep) != len(lines):
        write_text(Path(run_dir) / "metrics.jsonl", "".join(line + "\n" for line in keep))
    return [row for _, row in lines if row and row["epoch"] <= last_epoch]


# --- checkpoints ---------------------------------------------------------------------------

def save_weights(path: Path, state: dict, metadata: dict | None = None) -> None:
    from safetensors.torch import save

    tensors = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    data = save(tensors, metadata=metadata)  # bytes: the write itself is ours, so a full disk is an OSError
    try:
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    except OSError as e:
        raise DiskError(e.errno, disk_message(path, e, len(data))) from None


def weights_epoch(path: Path) -> int | None:
    """The epoch a checkpoint file was written for (its safetensors metadata), if recorded."""
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        epoch = (f.metadata() or {}).get("epoch")
    return int(epoch) if epoch is not None else None


def load_weights(path: Path, device="cpu") -> dict:
    from safetensors.torch import load_file
    return load_file(str(path), device=str(device))



def optimizer_to_files(opt_state: dict) -> tuple[dict, dict]:
    """torch optimizer state_dict → (tensors for safetensors, JSON for the rest)."""
    import torch

    tensors, meta = {}, {}
    for idx, slots in opt_state["state"].items():
        meta[str(idx)] = {}
        for k, v in slots.items():
            if torch.is_tensor(v):
                tensors[f"state.{idx}.{k}"] = v
            else:
                meta[str(idx)][k] = v
    return tensors, {"param_groups": opt_state["param_groups"], "scalars": meta}


def optimizer_from_files(tensors: dict, meta: dict) -> dict:
    state: dict = {int(i): dict(v) for i, v in meta["scalars"].items()}
    for key, t in tensors.items():
        _, idx, k = key.split(".", 2)
        state.setdefault(int(idx), {})[k] = t
    return {"state": state, "param_groups": meta["param_groups"]}


# --- reading a run ---------------------------------------------------------------------------

@dataclass
class Run:
    path: Path
    info: dict
    project: Project
    metrics: list = field(default_factory=list)

    def checkpoint(self, which: str = "best") -> Path:
        from .pointer import checkpoint_file
        p = checkpoint_file(self.path, which)
        if p is None or not p.exists():
            raise FileNotFoundError(f"run {self.path.name} has no {which} checkpoint yet (no epoch finished).")
        return p

    def model(self, which: str = "best", device="cpu"):
        """The compiled network with the checkpoint's weights, in eval mode (outputs as the graph
        defines them, final softmax/sigmoid included)."""
        from ..build.compiler import compile_graph

        net = compile_graph(self.project.graph)
        net.load_state_dict(load_weights(self.checkpoint(which), device))
        return net.to(device).eval()

    def dataset(self, progress=None):
        from ..data import load_dataset

        ds = load_dataset(self.project.dataset, progress)
        ds.task = self.info.get("task", ds.task)
        return ds

    @property
    def status(self) -> str:
        return self.info.get("status", "unknown")

    @property
    def label(self) -> str:
        from .metrics import fmt, label
        best = self.info.get("best") or {}
        metric = str(best.get("metric"))
        score = f", best {label(metric, str(self.info.get('task', '')))} {fmt(metric, best.get('value'))}" \
            if best.get("value") is not None else ""
        return f"{self.path.name} — {self.status}, {len(self.metrics)} epoch(s){score}"


def load_run(run_dir) -> Run:
    path = Path(run_dir)
    info_path = path / "run.json"
    if not info_path.exists():
        raise FileNotFoundError(f"{path} is not a training run (no run.json).")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{info_path} is damaged ({str(e)[:120]}).") from None
    if not isinstance(info, dict) or info.get("format") != RUN_FORMAT:
        raise ValueError(f"{info_path} is not a CNN Studio run file.")
    info = _clean_info(info)
    if info.get("status") in ACTIVE and not is_locked(path):
        # its process ended without saying so (killed, crashed, power cut): show that, resumable
        info = dict(info, status="stopped", message="The training process ended without finishing (killed or "
                    "crashed); finished epochs are kept and the run can resume.")
    return Run(path, info, load_project(path / "project.cnnproj"), read_metrics(path))


def list_runs(folder) -> list[Run]:
    """Runs in a runs folder, newest first; unreadable folders are skipped."""
    folder = Path(folder)
    return load_runs(d for d in folder.iterdir() if (d / "run.json").exists()) if folder.is_dir() else []


def load_runs(run_dirs) -> list[Run]:
    """These runs, newest first; unreadable or missing ones are skipped."""
    runs = []
    for d in run_dirs:
        try:
            runs.append(load_run(d))
        except (OSError, ValueError):
            continue
    return sorted(runs, key=lambda r: r.info.get("created", ""), reverse=True)
