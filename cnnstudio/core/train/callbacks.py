"""What a training run's callbacks see, and how a run is told to stop or pause.

Callbacks are objects with any of: on_fit_start, on_epoch_start, on_batch_end, on_epoch_end,
on_fit_end (ctx). A callback that fails is switched off and named in run.json's notes; the
run goes on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch


class Control:
    """Stop/pause requests; the worker process backs these with multiprocessing Events."""

    def __init__(self, stop=None, pause=None):
        self._stop, self._pause = stop, pause

    def stop_requested(self) -> bool:
        return bool(self._stop and self._stop.is_set())

    def pause_requested(self) -> bool:
        return bool(self._pause and self._pause.is_set())


@dataclass
class Context:
    """What callbacks see. Set `should_stop = True` to end the run after this epoch (and
    `stop_reason` to say why in the run's message)."""

    trainer: object  # the Trainer running
    model: torch.nn.Module
    dataset: object
    run_dir: Path
    optimizer: torch.optim.Optimizer
    epoch: int = 0
    batch: int = 0
    loss: torch.Tensor | None = None
    metrics: dict = field(default_factory=dict)  # the last finished epoch's row
    history: list = field(default_factory=list)
    should_stop: bool = False
    stop_reason: str = ""


def default_callbacks() -> list:
    try:
        from .timeline import TimelineCallback
    except ImportError:
        return []
    return [TimelineCallback()]
