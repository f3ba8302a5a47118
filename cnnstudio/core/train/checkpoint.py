"""Save and load the resumable state: weights, optimizer, schedule, epoch — no pickle."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import TrainError
from .runs import finite, load_weights, optimizer_from_files, optimizer_to_files, save_weights, weights_epoch, write_json


def save_checkpoint(trainer, epoch: int, best: bool) -> None:
    folder = Path(trainer.run_dir) / "checkpoints"
    weights = trainer.net.state_dict()
    tag = {"epoch": str(epoch)}  # the three files are written one by one: each says its epoch
    save_weights(folder / "last.safetensors", weights, tag)
    tensors, meta = optimizer_to_files(trainer.optimizer.state_dict())
    save_weights(folder / "last.state.safetensors", tensors, tag)
    state = {"epoch": epoch, "optimizer": meta, "schedule": trainer.schedule.state_dict(),
             "best": trainer.best, "early_stopping": finite(trainer.es),
             "scaler": trainer.scaler.state_dict() if trainer.scaler else None}
    write_json(folder / "last.state.json", state)  # written last: it names the epoch the files hold
    if best:
        save_weights(folder / "best.safetensors", weights)


def load_checkpoint(trainer) -> dict:
    folder = Path(trainer.run_dir) / "checkpoints"
    meta_path = folder / "last.state.json"
    if not meta_path.exists():
        raise TrainError(f"Cannot resume {trainer.run_dir.name}: it has no checkpoint yet (no epoch finished). "
                         "Start a new run instead.", kind="checkpoint")
    try:
        state = json.loads(meta_path.read_text(encoding="utf-8"))
        tagged = {weights_epoch(folder / f) for f in ("last.safetensors", "last.state.safetensors")} - {None}
        if tagged and tagged != {state["epoch"]}:
            raise TrainError(
                f"Cannot resume {trainer.run_dir.name} exactly: its last checkpoint was cut off while being "
                f"written (files of epochs {sorted(tagged | {state['epoch']})}). Its best weights and curves are "
                "kept; start a new run to continue training.", kind="checkpoint")
        weights = load_weights(folder / "last.safetensors", trainer.device)
        trainer.net.load_state_dict(weights)
        opt = optimizer_from_files(load_weights(folder / "last.state.safetensors", trainer.device), state["optimizer"])
        trainer.optimizer.load_state_dict(opt)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise TrainError(f"Cannot resume {trainer.run_dir.name}: its checkpoint does not match this network or is "
                         f"damaged ({e.__class__.__name__}: {str(e)[:200]}). Start a new run instead.",
                         kind="checkpoint") from None
    trainer.schedule.load_state_dict(state.get("schedule") or {})
    if trainer.scaler and state.get("scaler"):
        trainer.scaler.load_state_dict(state["scaler"])
    es = state.get("early_stopping") or {}
    if es.get("best") is None:
        es["best"] = float("inf")
    state["early_stopping"] = {"best": es["best"], "bad": es.get("bad", 0)}
    return state
