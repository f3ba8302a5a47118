"""Totals and the training-memory estimate (weights, gradients, optimizer state, activations)."""
from __future__ import annotations

from .checks import Analysis

BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
# optimizer state kept per trainable parameter, in fp32 values
OPTIMIZER_SLOTS = {"sgd": 0, "sgd_momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "adagrad": 1, "adadelta": 2}


def totals(a: Analysis, graph=None) -> dict:
    """Parameters as PyTorch counts them (sum of p.numel()); those of frozen blocks (given the
    graph), or frozen inside a user block, are not trainable; BatchNorm running statistics are
    state, counted apart."""
    from ..blocks.custom import TYPE
    from .user_blocks import frozen_params
    params = a.total("params")
    frozen = 0
    for n, node in (graph.nodes.items() if graph is not None else ()):
        out = a.info[n].out if n in a.info else None
        if out is not None and node.frozen:
            frozen += out.params
        elif out is not None and node.type == TYPE:
            frozen += frozen_params(node.params, a.info[n].in_shapes[0])
    return {"total_params": params, "trainable_params": params - frozen, "frozen_params": frozen,
            "buffers": a.total("buffers"), "macs": a.total("macs"),
            "activation_elements": a.activation_elements}


def training_memory(a: Analysis, batch_size: int, precision: str = "fp32", optimizer: str = "adam") -> dict:
    """Bytes needed to train, roughly: mixed precision keeps fp32 weights but halves activations.

    Activations count every block's output plus the layers inside composite blocks, all kept
    for the backward pass; framework workspace and fragmentation are not included.
    """
    t = totals(a)
    act_elements = t["activation_elements"] + a.total("inner")
    parts = {
        "weights": 4 * (t["total_params"] + t["buffers"]),
        "gradients": 4 * t["trainable_params"],
        "optimizer": 4 * OPTIMIZER_SLOTS[optimizer] * t["trainable_params"],
        "activations": BYTES[precision] * act_elements * batch_size,
    }
    parts["total"] = sum(parts.values())
    return parts


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def human_count(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def human_duration(seconds: float) -> str:
    """ETA-style m:ss, or h:mm:ss from an hour on."""
    s = int(max(0, seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
