"""Optimizers and learning-rate schedules.

Schedules are small pure functions of the step with JSON state, so a checkpoint restores them
exactly without pickling a torch scheduler: step (× gamma every step_size epochs), cosine (to
zero over the run, per batch), one-cycle (warm-up to lr then cosine down, per batch) and
plateau (÷10 when validation loss stalls for plateau_patience epochs).
"""
from __future__ import annotations

import math

import torch

from .config import TrainConfig


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    """`params`: tensors, or groups {"params": [...], "lr_scale": f} (the backbone's learning rate
    is the head's × backbone_lr_factor). Frozen parameters (requires_grad off) are left out."""
    params = list(params)
    if params and isinstance(params[0], dict):
        params = [dict(g, params=[p for p in g["params"] if p.requires_grad]) for g in params]
        params = [g for g in params if g["params"]]
    else:
        params = [p for p in params if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adadelta":  # its lr only scales the adaptive step (1.0 in the paper)
        return torch.optim.Adadelta(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


class Schedule:
    def __init__(self, cfg: TrainConfig, steps_per_epoch: int):
        self.cfg = cfg
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = cfg.epochs * self.steps_per_epoch
        self.plateau = {"scale": 1.0, "best": math.inf, "bad": 0}  # reduce-on-plateau state

    def lr_at(self, epoch: int, step: int) -> float:
        """lr for batch `step` (0-based, within the run) of `epoch` (1-based)."""
        c = self.cfg
        if c.schedule == "step":
            return c.lr * c.gamma ** ((epoch - 1) // c.step_size)
        if c.schedule == "cosine":
            return 0.5 * c.lr * (1 + math.cos(math.pi * min(step, self.total) / self.total))
        if c.schedule == "onecycle":
            up = max(1, int(self.total * c.warmup_fraction))
            if step < up:  # from lr/25 up to lr
                return c.lr / 25 + (c.lr - c.lr / 25) * step / up
            t = min(1.0, (step - up) / max(1, self.total - up))
            return c.lr / 1e4 + (c.lr - c.lr / 1e4) * 0.5 * (1 + math.cos(math.pi * t))
        if c.schedule == "plateau":
            return c.lr * self.plateau["scale"]
        return c.lr

    def epoch_end(self, val_loss: float) -> None:
        if self.cfg.schedule != "plateau" or not math.isfinite(val_loss):
            return
        p = self.plateau
        if val_loss < p["best"] * (1 - 1e-4):
            p["best"], p["bad"] = val_loss, 0
        else:
            p["bad"] += 1
            if p["bad"] > self.cfg.plateau_patience:
                p["scale"] *= 0.1
                p["bad"] = 0

    def state_dict(self) -> dict:
        return {"plateau": dict(self.plateau, best=None if math.isinf(self.plateau["best"]) else self.plateau["best"])}

    def load_state_dict(self, d: dict) -> None:
        p = dict(d.get("plateau", {}))
        if p:
            p["best"] = math.inf if p.get("best") is None else p["best"]
            self.plateau = p


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr * g.get("lr_scale", 1.0)
