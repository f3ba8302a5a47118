"""Training settings: the project's "training" section with defaults, checked with clear messages.

Every key is optional; see docs/run-format.md for the table. Qt-free and torch-free.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields


class ConfigError(ValueError):
    """A training setting that cannot be used; the message names the key and the fix."""


OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta")
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")
BOX_LOSSES = ("smooth_l1", "mse")


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 0.001
    backbone_lr_factor: float = 1.0  # transfer learning: every block but the head trains at lr × this
    momentum: float = 0.9  # SGD and RMSprop
    nesterov: bool = False  # SGD
    weight_decay: float = 0.0  # L2 penalty (in the optimizer)
    l1: float = 0.0  # L1 penalty: l1·Σ|w| over the weights, added to the loss
    label_smoothing: float = 0.0  # targets moved this far towards uniform (classification)
    schedule: str = "none"
    step_size: int = 10  # "step": epochs between ÷10 (× gamma)
    gamma: float = 0.1
    plateau_patience: int = 3  # "plateau": epochs without val improvement before ÷10
    warmup_fraction: float = 0.3  # "onecycle": share of steps spent rising to lr
    precision: str = "auto"  # auto: bf16 (or fp16) autocast on CUDA, fp32 elsewhere
    device: str = "auto"  # auto: CUDA, then MPS, then CPU; or "cuda:1"
    channels_last: bool = True  # on CUDA only
    seed: int = 0
    cpu_threads: int = 0  # 0: auto, about one per physical core (oversubscribing a busy CPU is slow)
    sync_batchnorm: bool = False  # data-parallel on GPUs: BatchNorm statistics over the global batch
    early_stopping: dict | None = None  # {"patience": 5, "min_delta": 0.0} on validation loss
    box_loss: str = "smooth_l1"
    report_hz: float = 20.0
    extra: dict = field(default_factory=dict)  # unknown keys, kept as they were

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        d.update(self.extra)
        return d


def _num(name, v, lo, hi, integer=False):
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if integer:
        ok = ok and float(v).is_integer()
    if not ok or not lo <= v <= hi:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f'training "{name}" must be {kind} from {lo:g} to {hi:g}, not {v!r}.')
    return int(v) if integer else float(v)


def parse_config(training: dict | None, overrides: dict | None = None) -> TrainConfig:
    d = dict(training or {})
    d.update({k: v for k, v in (overrides or {}).items() if v is not None})
    names = {f.name for f in fields(TrainConfig)} - {"extra"}
    cfg = TrainConfig(extra={k: v for k, v in d.items() if k not in names})
    for k in names & set(d):
        setattr(cfg, k, d[k])
    cfg.epochs = _num("epochs", cfg.epochs, 1, 100000, True)
    cfg.batch_size = _num("batch_size", cfg.batch_size, 1, 1 << 20, True)
    cfg.lr = _num("lr", cfg.lr, 1e-12, 100)
    cfg.backbone_lr_factor = _num("backbone_lr_factor", cfg.backbone_lr_factor, 0, 100)
    cfg.momentum = _num("momentum", cfg.momentum, 0, 0.9999)
    cfg.weight_decay = _num("weight_decay", cfg.weight_decay, 0, 10)
    cfg.l1 = _num("l1", cfg.l1, 0, 10)
    cfg.label_smoothing = _num("label_smoothing", cfg.label_smoothing, 0, 0.5)
    cfg.step_size = _num("step_size", cfg.step_size, 1, 100000, True)
    cfg.gamma = _num("gamma", cfg.gamma, 1e-6, 1)
    cfg.plateau_patience = _num("plateau_patience", cfg.plateau_patience, 0, 1000, True)
    cfg.warmup_fraction = _num("warmup_fraction", cfg.warmup_fraction, 0.01, 0.99)
    cfg.seed = _num("seed", cfg.seed, 0, 2 ** 31 - 1, True)
    cfg.cpu_threads = _num("cpu_threads", cfg.cpu_threads, 0, 1024, True)
    cfg.report_hz = _num("report_hz", cfg.report_hz, 0.1, 20)
    for name, allowed in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("precision", PRECISIONS),
                          ("box_loss", BOX_LOSSES)):
        v = str(getattr(cfg, name)).lower().replace("-", "").replace("_", "")
        match = [a for a in allowed if a.replace("_", "") == v]
        if not match:
            raise ConfigError(f'training "{name}" must be one of {", ".join(allowed)}, not {getattr(cfg, name)!r}.')
        setattr(cfg, name, match[0])
    dev = str(cfg.device).lower()
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d{1,3})?", dev):
        raise ConfigError(f'training "device" must be auto, cpu, cuda (or cuda:N) or mps, not {cfg.device!r}.')
    cfg.device = dev
    if not isinstance(cfg.sync_batchnorm, bool):
        raise ConfigError(f'training "sync_batchnorm" must be true or false, not {cfg.sync_batchnorm!r}.')
    if not isinstance(cfg.nesterov, bool):
        raise ConfigError(f'training "nesterov" must be true or false, not {cfg.nesterov!r}.')
    if cfg.nesterov and (cfg.optimizer != "sgd" or cfg.momentum == 0):
        raise ConfigError('training "nesterov" needs "optimizer": "sgd" with a momentum above 0.')
    es = cfg.early_stopping
    if es in (None, False, {}):
        cfg.early_stopping = None
    elif es is True:
        cfg.early_stopping = {"patience": 5, "min_delta": 0.0}
    elif isinstance(es, dict):
        cfg.early_stopping = {"patience": _num("early_stopping.patience", es.get("patience", 5), 1, 10000, True),
                              "min_delta": _num("early_stopping.min_delta", es.get("min_delta", 0.0), 0, 1e9)}
    else:
        raise ConfigError(f'training "early_stopping" must be true/false or {{"patience": 5}}, not {es!r}.')
    return cfg


def cpu_thread_count(requested: int = 0) -> int:
    """Threads for torch on the CPU outside training: `requested`, or about one per physical
    core, the trainer's rule (setup.py; on 2 shared cores, 2 threads trained LeNet-5 about 4×
    slower than 1). The report and the inspection panels use it, so beside a training worker
    they never oversubscribe the cores."""
    import os
    return requested or max(1, (os.cpu_count() or 2) // 2)
