"""Which device a run trains on, in which precision, and how run.json names it."""
from __future__ import annotations

import platform

import torch

from .config import TrainConfig
from .errors import TrainError


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = name.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise TrainError('The device is set to "cuda" but no CUDA GPU is available here '
                         f"(PyTorch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}). "
                         'Choose "auto" or "cpu".', kind="device")
    if kind == "cuda" and ":" in name and int(name.split(":")[1]) >= torch.cuda.device_count():
        raise TrainError(f"There is no GPU {name}: this machine has {torch.cuda.device_count()}.", kind="device")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise TrainError('The device is set to "mps" but Apple Metal is not available here. Choose "auto" or "cpu".',
                         kind="device")
    return torch.device(name)


def pick_precision(cfg: TrainConfig, device: torch.device) -> tuple[str, str | None]:
    """(precision used, note). Mixed precision is for CUDA; elsewhere fp32 is used and said."""
    if device.type != "cuda":
        note = None if cfg.precision in ("auto", "fp32") else (
            f"{cfg.precision} mixed precision needs a CUDA GPU; trained in fp32 on {device.type}.")
        return "fp32", note
    if cfg.precision == "auto":
        return ("bf16" if torch.cuda.is_bf16_supported() else "fp16"), None
    if cfg.precision == "bf16" and not torch.cuda.is_bf16_supported():
        return "fp16", "this GPU has no bf16: trained with fp16 autocast instead."
    return cfg.precision, None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        n = torch.get_num_threads()
        return f"cpu ({platform.processor() or platform.machine()}, {n} thread{'s' if n != 1 else ''})"
    return str(device)
