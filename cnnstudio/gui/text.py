"""How numbers and parameters read in the window (Qt-free, shared by canvas and docks)."""
from __future__ import annotations

from ..core.blocks.activations import BLOCK_ACTIVATION
from ..core.blocks.spec import fmt_pair

CONVS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "DeformConv2d")
POOLS = ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d")
SHORT = {"out_channels": "", "kernel_size": "", "out_features": "", "output_size": "out ",
         "stride": "s", "p": "p ", "shape": "", "kind": ""}


def fmt_shape(shape) -> str:
    return "?" if shape is None else "[" + ", ".join(map(str, shape)) + "]"


def fmt_count(n: int) -> str:
    """1234567 → 1.23M; small numbers stay exact."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e4)):
        if n >= size:
            v = n / size if unit != "k" else n / 1e3
            return f"{v:.3g}{unit}" if unit != "k" else f"{v:.1f}k"
    return f"{n:,}"


def fmt_value(v) -> str:
    if isinstance(v, list) and len(v) == 2:
        return fmt_pair(v)
    if isinstance(v, list):
        return "×".join(map(str, v))
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _all(v, n) -> bool:
    """v (an int or a list per dimension) is n everywhere."""
    return set(v) == {n} if isinstance(v, list) else v == n


def key_params(node) -> str:
    """The parameters a block is known by, e.g. "6 @ 5×5 · relu" for a Conv2d."""
    p, t = node.params, node.type
    if t in CONVS:
        extra = []
        if not _all(p["stride"], 1):
            extra.append(f"s{fmt_value(p['stride'])}")
        if not _all(p["padding"], 0):
            extra.append(f"pad {fmt_value(p['padding'])}")
        if p["activation"] != "none":
            extra.append(p["activation"])
        return " · ".join([f"{p['out_channels']} @ {fmt_value(p['kernel_size'])}"] + extra)
    if t in POOLS:
        s = p["stride"]
        return f"{fmt_value(p['kernel_size'])}" + (f" · s{fmt_value(s)}" if s is not None else "")
    if t == "Linear":
        return f"{p['out_features']} out" + (f" · {p['activation']}" if p["activation"] != "none" else "")
    if t == "ResidualBlock":
        return f"{p['kind']} · {p['out_channels']} ch" + (f" · s{p['stride']}" if p["stride"] != 1 else "")
    if t == "Custom":
        return " · ".join(f"{k} {fmt_value(v)}" for k, v in p.get("values", {}).items()) or "your block"
    if t == "InceptionBlock":
        return f"{p['ch1x1']}+{p['ch3x3']}+{p['ch5x5']}+{p['pool_proj']} ch"
    parts = []
    for spec in node.spec.params:
        if spec.key:
            parts.append(SHORT.get(spec.name, spec.name + " ") + fmt_value(p[spec.name]))
    return " · ".join(parts)


def window_text(node) -> str:
    """The textbook "size" column: kernel and stride of sliding-window layers."""
    p = node.params
    if node.type in CONVS:
        return f"{fmt_value(p['kernel_size'])} /{fmt_value(p['stride'])}"
    if node.type in POOLS:
        s = p["stride"] if p["stride"] is not None else p["kernel_size"]
        return f"{fmt_value(p['kernel_size'])} /{fmt_value(s)}"
    return ""


def activation_text(node) -> str:
    if node.type in BLOCK_ACTIVATION:
        return BLOCK_ACTIVATION[node.type]
    if node.type in ("ResidualBlock", "InceptionBlock"):
        return "relu"
    a = node.params.get("activation")
    return "" if a in (None, "none") else a
