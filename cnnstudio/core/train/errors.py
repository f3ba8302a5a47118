"""Errors a user can cause while training, each with a message that says what to do."""
from __future__ import annotations


class TrainError(Exception):
    """A run that cannot start or go on. `kind`: config, network, dataset, head, input, device,
    nan, oom, disk, checkpoint."""

    def __init__(self, message: str, kind: str = "error", status: str = "failed", fix: dict | None = None):
        super().__init__(message)
        self.kind, self.status, self.fix = kind, status, fix


def oom_message(trainer, torch) -> str:
    """Out of memory: say so, and suggest a batch size that fits, estimated from free memory."""
    cfg = getattr(trainer, "cfg", None)
    bs = cfg.batch_size if cfg else None
    device = getattr(trainer, "device", None)
    where = "GPU" if device is not None and device.type == "cuda" else "memory"
    suggestion = max(1, bs // 2) if bs else None
    detail = ""
    if device is not None and device.type == "cuda":
        try:
            torch.cuda.empty_cache()
            free, total = torch.cuda.mem_get_info(device)
            per_image = _bytes_per_image(trainer)
            if per_image:
                fits = int(free * 0.8 // per_image)
                suggestion = max(1, min(suggestion or fits, 2 ** max(0, fits.bit_length() - 1)))
            detail = f" ({free / 2**30:.1f} of {total / 2**30:.1f} GiB free on {torch.cuda.get_device_name(device)})"
        except Exception:  # noqa: BLE001 - the message matters more than the estimate
            pass
    head = f"Out of {where} at batch size {bs}{detail}." if bs else f"Out of {where}."
    tip = f" Try batch size {suggestion}" if suggestion else " Try a smaller batch size"
    return (head + tip + (", or mixed precision (bf16/fp16), which halves activation memory" if where == "GPU" else "")
            + ", or a smaller network/image size. " + kept_message(getattr(trainer, "run_dir", None)))


def kept_message(run_dir) -> str:
    """What survives a failed or stopped run: the last checkpoint if there is one — said only then."""
    from .pointer import read_pointer
    try:
        pointer = read_pointer(run_dir) if run_dir is not None else None
    except (OSError, ValueError):
        pointer = None
    if pointer:
        return f"The checkpoint of epoch {pointer['last']} is kept: the run can resume from there."
    return "No epoch had finished, so there is no checkpoint to resume from: start the run again."


def _bytes_per_image(trainer) -> int:
    try:
        from ..analysis import analyze
        from ..analysis.cost import training_memory
        a = analyze(trainer.project.graph)
        prec = trainer.precision if trainer.precision in ("fp32", "bf16", "fp16") else "fp32"
        one = training_memory(a, 1, prec)["activations"]
        return int(one * 2)  # activations plus their gradients and workspace, roughly
    except Exception:  # noqa: BLE001
        return 0
