"""Data-parallel training: one process per GPU (or N CPU processes), launched by PyTorch's
`torch.distributed.run` (torchrun) and trained with DistributedDataParallel.

Each rank runs the same engine. `Dist` is a rank's view of the run: which device it uses, its
shard of every global batch, all-reduced sums, and agreement on stop/pause. With one process
every method is a no-op, so the single-device engine is the same code.

Ranks find each other through torchrun's environment (WORLD_SIZE, RANK, LOCAL_RANK). When
`cnnstudio train --nproc N` or the window launches them (see launch.py), CNNSTUDIO_LAUNCH_DIR
names a folder shared with the launcher: rank 0 appends its progress messages to
messages.jsonl there, reads stop/pause requests from `control`, and every rank leaves
rank<R>.json with how it ended, so the launcher can say which rank failed and why.
"""
from __future__ import annotations

import datetime
import json
import os
import signal
import time
from pathlib import Path

import torch

LAUNCH_ENV = "CNNSTUDIO_LAUNCH_DIR"
TIMEOUT_S = 300  # a collective that waits longer than this fails instead of hanging the run


class Terminated(Exception):
    """The launcher asked this rank to end (SIGTERM), usually because another rank failed."""


def in_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def launch_dir() -> Path | None:
    d = os.environ.get(LAUNCH_ENV)
    return Path(d) if d else None


class Dist:
    """This process's place in a (possibly one-process) data-parallel run."""

    def __init__(self):
        self.launched = in_torchrun()  # by torchrun, even with one process: then DDP runs on a world of 1
        self.world = int(os.environ.get("WORLD_SIZE", 1)) if self.launched else 1
        self.rank = int(os.environ.get("RANK", 0)) if in_torchrun() else 0
        self.local_rank = int(os.environ.get("LOCAL_RANK", 0)) if in_torchrun() else 0
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", 1)) if in_torchrun() else 1
        self.backend = None
        self.started = False

    @property
    def active(self) -> bool:
        return self.launched

    @property
    def lead(self) -> bool:
        """Rank 0 alone writes the run folder and reports progress."""
        return self.rank == 0

    # --- set-up ------------------------------------------------------------------------
    def device_name(self, choice: str) -> str:
        """The device this rank trains on: GPU number LOCAL_RANK on a multi-GPU machine."""
        if not self.active or choice not in ("auto", "cuda"):
            return choice
        return f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu"

    def start(self, device: torch.device) -> None:
        if not self.active or self.started:
            return
        import torch.distributed as dist
        self.backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        if os.name != "nt":  # torchrun ends the other ranks with SIGTERM when one fails: end cleanly
            signal.signal(signal.SIGTERM, _raise_terminated)
        dist.init_process_group(self.backend, timeout=datetime.timedelta(seconds=TIMEOUT_S),
                                **({"device_id": device} if device.type == "cuda" else {}))
        self.started = True

    def finishing(self) -> None:
        """From here on this rank only tidies up (run.json, the lock, its result): a SIGTERM must not
        cut that short (torchrun waits for us, and ends us for good if it takes too long)."""
        if self.started and os.name != "nt":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def close(self) -> None:
        if self.started:
            import torch.distributed as dist
            try:
                dist.destroy_process_group()
            except Exception:  # noqa: BLE001 - a broken group cannot be closed politely
                pass
            self.started = False

    def wrap(self, net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """DistributedDataParallel around the network (it broadcasts rank 0's weights)."""
        if not self.active:
            return net
        from torch.nn.parallel import DistributedDataParallel as DDP
        return DDP(net, device_ids=[device.index] if device.type == "cuda" else None)

    # --- the data each rank sees ----------------------------------------------------------
    def shard(self, idx: torch.Tensor) -> torch.Tensor:
        """This rank's equal, contiguous slice of one global batch of indices."""
        if not self.active:
            return idx
        k = idx.shape[0] // self.world
        return idx[self.rank * k:(self.rank + 1) * k]

    def val_range(self, n: int) -> range:
        return range(self.rank * n // self.world, (self.rank + 1) * n // self.world)

    # --- agreement ----------------------------------------------------------------------
    def sum_(self, t: torch.Tensor) -> torch.Tensor:
        if self.active:
            import torch.distributed as dist
            dist.all_reduce(t)
        return t

    def agree(self, *flags: bool) -> list[bool]:
        """True where any rank says True (e.g. rank 0 was asked to stop)."""
        if not self.active:
            return list(flags)
        import torch.distributed as dist
        t = torch.tensor([float(f) for f in flags], device=self._comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return [bool(v) for v in t.tolist()]

    def from_lead(self, make):
        """`make()` on rank 0, its result on every rank. An exception there is raised everywhere."""
        if not self.active:
            return make()
        import torch.distributed as dist
        box = [None]
        if self.lead:
            try:
                box[0] = ("ok", make())
            except Exception as e:  # noqa: BLE001 - re-raised below, on every rank
                box[0] = ("error", e)
        dist.broadcast_object_list(box, src=0, device=self._comm_device())
        kind, value = box[0]
        if kind == "error":
            raise value
        return value

    def merge(self, d: dict) -> dict:
        """Every rank's dict merged (e.g. the unreadable files each one found)."""
        if not self.active:
            return d
        import torch.distributed as dist
        parts = [None] * self.world
        dist.all_gather_object(parts, d)
        return {k: v for p in parts for k, v in p.items()}

    def _comm_device(self):
        return torch.device("cuda", torch.cuda.current_device()) if self.backend == "nccl" else torch.device("cpu")

    def describe(self, device: torch.device) -> dict:
        """What run.json records about the processes."""
        if not self.active:
            return {"world_size": 1, "backend": None}
        import torch.distributed as dist
        import platform

        from .device import device_name
        names = [None] * self.world
        dist.all_gather_object(names, f"{platform.node() or '?'}: {device_name(device)}")
        return {"world_size": self.world, "backend": self.backend, "devices": names,
                "nodes": int(os.environ.get("GROUP_WORLD_SIZE", 1))}


def resume_state(trainer) -> dict:
    """Rank 0 reads the run's checkpoint (weights into its network: DDP then copies them to every
    rank); every rank gets the epoch, curves, optimizer, schedule and scaler state."""
    from .checkpoint import load_checkpoint, read_info
    from .runs import damaged_metric_lines, truncate_metrics

    def read():
        state = load_checkpoint(trainer)  # may refuse: before any file changes
        state["info"] = read_info(trainer.run_dir)
        state["damaged"] = damaged_metric_lines(trainer.run_dir)
        state["history"] = truncate_metrics(trainer.run_dir, state["epoch"])
        if trainer.dist.active:
            state["optimizer_state"] = _to_cpu(trainer.optimizer.state_dict())
        return state

    state = trainer.dist.from_lead(read)
    if not trainer.dist.lead:
        trainer.optimizer.load_state_dict(state["optimizer_state"])
        trainer.schedule.load_state_dict(state.get("schedule") or {})
        if trainer.scaler and state.get("scaler"):
            trainer.scaler.load_state_dict(state["scaler"])
    return state


def _to_cpu(obj):
    """A state dict with every tensor copied to the CPU (to send it to the other ranks)."""
    if torch.is_tensor(obj):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def _raise_terminated(*_):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()


def peer_lost(e: BaseException) -> bool:
    """Did a collective fail because another rank went away?"""
    try:
        import torch.distributed as dist
        if isinstance(e, dist.DistError):
            return True
    except (ImportError, AttributeError):
        pass
    text = str(e).lower()
    return any(s in text for s in ("connection closed by peer", "connection reset", "broken pipe", "gloo",
                                   "nccl", "timed out", "socket"))


# --- talking to the launcher (only when CNNSTUDIO_LAUNCH_DIR is set) ------------------------

class LaunchControl:
    """Stop/pause from the launcher's `control` file (rank 0), checked at most 10 times a second,
    beside the process's own control (Ctrl-C)."""

    def __init__(self, folder: Path, own):
        self.path, self.own, self.flags, self.checked = folder / "control", own, "", 0.0

    def _read(self) -> str:
        now = time.monotonic()
        if now - self.checked >= 0.1:
            self.checked = now
            try:
                self.flags = self.path.read_text(encoding="utf-8")
            except OSError:
                self.flags = ""
        return self.flags

    def stop_requested(self) -> bool:
        return self.own.stop_requested() or "stop" in self._read()

    def pause_requested(self) -> bool:
        return self.own.pause_requested() or "pause" in self._read()


def message_writer(folder: Path):
    """Rank 0's progress messages, one JSON line each, for the launcher to read."""
    path = folder / "messages.jsonl"

    def send(msg: dict) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(msg, default=str) + "\n")
    return send


def write_rank_result(result: dict, owner: bool = False) -> None:
    """How this rank ended, for the launcher; `owner`: this rank held the run folder (its lock and
    run.json), so the launcher may record there how the whole launch ended."""
    folder = launch_dir()
    if folder is None or not in_torchrun():
        return
    rank = os.environ.get("RANK", "0")
    tmp = folder / f"rank{rank}.json.tmp"
    tmp.write_text(json.dumps({"rank": int(rank), **result, "owner": owner}, default=str), encoding="utf-8")
    os.replace(tmp, folder / f"rank{rank}.json")
