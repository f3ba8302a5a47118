"""The resumable state (weights, optimizer, schedule, epoch), switched from one epoch to the
next in one atomic step — no pickle.

    checkpoints/epoch-N/weights.safetensors     the network after epoch N
    checkpoints/epoch-N/optimizer.safetensors   optimizer tensors
    checkpoints/epoch-N/state.json              epoch, optimizer scalars, schedule, best, early stopping
    checkpoints/current.json                    {"last": N, "best": M}: the only file that says which

Epoch N's folder is written whole first, then current.json is replaced by one rename: a kill or
a full disk at any moment leaves the previous pointer and every folder it names intact. Folders
the pointer no longer names are removed afterwards.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from .errors import TrainError
from .pointer import FILES, POINTER, epoch_dir, last_files, pointer_or_recovered
from .runs import (RUN_FORMAT, DiskError, disk_message, finite, load_weights, optimizer_from_files, optimizer_to_files,
                   save_weights, weights_epoch, write_json)

def save_checkpoint(trainer, epoch: int, best: bool) -> None:
    folder = Path(trainer.run_dir) / "checkpoints"
    try:
        previous = pointer_or_recovered(trainer.run_dir)[0] or {}
    except ValueError:
        previous = {}
    d = epoch_dir(trainer.run_dir, epoch)
    try:
        if d.exists():  # left by a write of this epoch that was cut off: the pointer never named it
            shutil.rmtree(d)
        d.mkdir(parents=True)
    except OSError as e:
        raise DiskError(e.errno, disk_message(d, e)) from None
    tag = {"epoch": str(epoch)}
    save_weights(d / FILES["weights"], trainer.net.state_dict(), tag)
    tensors, meta = optimizer_to_files(trainer.optimizer.state_dict())
    save_weights(d / FILES["optimizer"], tensors, tag)
    write_json(d / FILES["state"], {
        "epoch": epoch, "optimizer": meta, "schedule": trainer.schedule.state_dict(), "best": trainer.best,
        "early_stopping": finite(trainer.es), "scaler": trainer.scaler.state_dict() if trainer.scaler else None})
    pointer = {"last": epoch, "best": epoch if best else previous.get("best")}
    write_json(folder / POINTER, pointer)  # the switch: from here on, epoch N is the checkpoint
    keep = {f"epoch-{pointer['last']}", f"epoch-{pointer['best']}"}
    for old in folder.iterdir():
        if old.name.startswith("epoch-") and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(trainer) -> dict:
    name = trainer.run_dir.name
    try:
        pointer, note = pointer_or_recovered(trainer.run_dir)
        if note:  # a refused resume changes no file: say which epoch is whole and how to take it
            last = pointer["last"]
            raise TrainError(f"Cannot resume {name}: {note.replace(' and is used', '')}. To resume from it, write "
                             f'{{"last": {last}, "best": {last}}} into checkpoints/current.json (export, evaluate '
                             "and report already use it).", kind="checkpoint")
        files = last_files(trainer.run_dir)
    except ValueError as e:
        raise TrainError(f"Cannot resume {name}: {e}. Start a new run instead.", kind="checkpoint") from None
    if files is None:
        raise TrainError(f"Cannot resume {name}: it has no checkpoint yet (no epoch finished). "
                         "Start a new run instead.", kind="checkpoint")
    try:
        state = json.loads(files["state"].read_text(encoding="utf-8"))
        tagged = {weights_epoch(files[k]) for k in ("weights", "optimizer")} - {None}
        if tagged and tagged != {state["epoch"]}:
            raise TrainError(
                f"Cannot resume {name} exactly: its last checkpoint was cut off while being "
                f"written (files of epochs {sorted(tagged | {state['epoch']})}). Its best weights and curves are "
                "kept; start a new run to continue training.", kind="checkpoint")
        weights = load_weights(files["weights"], trainer.device)
        trainer.net.load_state_dict(weights)
        opt = optimizer_from_files(load_weights(files["optimizer"], trainer.device), state["optimizer"])
        trainer.optimizer.load_state_dict(opt)
        trainer.schedule.load_state_dict(state.get("schedule") or {})
        if trainer.scaler and state.get("scaler"):
            trainer.scaler.load_state_dict(state["scaler"])
    except TrainError:
        raise
    except Exception as e:  # noqa: BLE001 - any damage (safetensors, JSON, shapes): refused, nothing changed
        raise TrainError(f"Cannot resume {name}: its checkpoint does not match this network or is "
                         f"damaged ({e.__class__.__name__}: {str(e)[:200]}). Start a new run instead.",
                         kind="checkpoint") from None
    es = state.get("early_stopping") or {}
    if es.get("best") is None:
        es["best"] = float("inf")
    state["early_stopping"] = {"best": es["best"], "bad": es.get("bad", 0)}
    return state


def read_info(run_dir) -> dict:
    """run.json of a run to resume; a damaged one refuses the resume (and is left as it is)."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        info = e
    if not isinstance(info, dict) or info.get("format") != RUN_FORMAT:
        raise TrainError(f"Cannot resume {path.parent.name}: its run.json is damaged. It was left as it is; "
                         "start a new run instead.", kind="checkpoint")
    return info
