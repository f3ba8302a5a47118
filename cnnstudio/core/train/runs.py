"""Run folders: what was trained, how it went, and the weights — readable without pickle.

Layout (the contract is docs/run-format.md):
  run.json, project.cnnproj, metrics.jsonl, checkpoints/{last,best}.safetensors,
  checkpoints/last.state.safetensors + last.state.json (optimizer, schedule, epoch).
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

from ..files import atomic_write, atomic_write_text
from ..project import Project, load_project

RUN_FORMAT = "cnnstudio.run"


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


def new_run_dir(parent: Path, name: str = "") -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40]
    base = f"{stamp}-{slug}" if slug else stamp
    path, i = Path(parent) / base, 2
    while path.exists():
        path, i = Path(parent) / f"{base}-{i}", i + 1
    return path


def lock_run(run_dir: Path) -> Path:
    """One writer per run folder: `.lock` holds its pid. A lock whose process is gone is stale and
    taken over. Raises RunBusy while another live process trains the folder."""
    path = Path(run_dir) / ".lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(path.read_text(encoding="utf-8").strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                raise RunBusy(pid) from None
            path.unlink(missing_ok=True)  # stale: its process has ended
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return path
    raise RunBusy(0)


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there: assume the lock is stale
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunBusy(Exception):
    def __init__(self, pid: int):
        super().__init__(pid)
        self.pid = pid


def disk_message(path: Path, e: OSError, need_bytes: int = 0) -> str:
    need = f" (it needs about {need_bytes / 1e6:.0f} MB)" if need_bytes else ""
    if e.errno == errno.ENOSPC:
        return (f"The disk is full: could not write {path.name} in {path.parent}{need}. Free some space and "
                "resume the run; the previous checkpoint is kept.")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write to {path.parent} ({e.strerror}). Choose a folder you can write to for the run."
    return f"Could not write {path} ({e.strerror or e}). The previous checkpoint is kept."


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
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(finite(obj)) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise DiskError(e.errno, disk_message(path, e)) from None


def finite(obj: dict) -> dict:
    """JSON has no NaN: non-finite numbers are written as null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in obj.items()}


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut off by a crash: everything before it is good
    return out


def truncate_metrics(run_dir: Path, last_epoch: int) -> list[dict]:
    """Keep the epochs a checkpoint covers, so resumed curves continue without a gap or overlap."""
    rows = [m for m in read_metrics(run_dir) if m.get("epoch", 0) <= last_epoch]
    write_text(Path(run_dir) / "metrics.jsonl", "".join(json.dumps(finite(m)) + "\n" for m in rows))
    return rows


# --- checkpoints ---------------------------------------------------------------------------

def save_weights(path: Path, state: dict, metadata: dict | None = None) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    need = sum(t.numel() * t.element_size() for t in tensors.values())
    try:
        atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))
    except OSError as e:
        raise DiskError(e.errno, disk_message(path, e, need)) from None


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
        p = self.path / "checkpoints" / f"{which}.safetensors"
        if which == "best" and not p.exists():
            p = self.path / "checkpoints" / "last.safetensors"
        if not p.exists():
            raise FileNotFoundError(f"run {self.path.name} has no {which} checkpoint yet (no epoch finished).")
        return p

    def model(self, which: str = "best", device="cpu"):
        """The compiled network with the checkpoint's weights, in eval mode (outputs as the graph
        defines them, final softmax/sigmoid included)."""
        from ..compiler import compile_graph

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
        best = self.info.get("best") or {}
        score = f", best {str(best.get('metric')).replace('val_', 'validation ').replace('_', ' ')} {best.get('value'):.4g}" if best.get("value") is not None else ""
        return f"{self.path.name} — {self.status}, {len(self.metrics)} epoch(s){score}"


def load_run(run_dir) -> Run:
    path = Path(run_dir)
    info_path = path / "run.json"
    if not info_path.exists():
        raise FileNotFoundError(f"{path} is not a training run (no run.json).")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    if info.get("format") != RUN_FORMAT:
        raise ValueError(f"{info_path} is not a CNN Studio run file.")
    return Run(path, info, load_project(path / "project.cnnproj"), read_metrics(path))


def list_runs(folder) -> list[Run]:
    """Runs in a runs folder, newest first; unreadable folders are skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    runs = []
    for d in folder.iterdir():
        if (d / "run.json").exists():
            try:
                runs.append(load_run(d))
            except (OSError, ValueError):
                continue
    return sorted(runs, key=lambda r: r.info.get("created", ""), reverse=True)
