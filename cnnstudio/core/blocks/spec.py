"""The declarative block spec and the catalogue registry.

A block is one `BlockSpec`: its parameters, how many inputs it takes, a pure-Python
`infer` rule (shapes, parameters, MACs, receptive field) and a `build` rule that makes
the torch module (torch is imported only inside builders). Everything else — palette,
properties editor, checks, compiler, file validation — reads the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Shape = tuple  # (C, H, W) or (N,) — batch dimension left out


@dataclass
class Fix:
    """A one-click repair, as data. action: set_params, insert_before, insert_on_edge,
    remove_edge, remove_node, add_input. `args` holds what the action needs."""

    label: str
    action: str
    args: dict = field(default_factory=dict)


def set_params_fix(label: str, **params) -> Fix:
    return Fix(label, "set_params", {"params": params})


class BlockError(Exception):
    """A problem with one block's configuration or inputs, in the user's terms.

    `fix` is an optional `Fix` (see checks.py) that resolves it in one click.
    """

    def __init__(self, message: str, fix=None, code: str = "block"):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


@dataclass(frozen=True)
class Param:
    """One block parameter.

    kind: "int", "float", "bool", "choice", "size" (int or [h, w]),
    "padding" (int, [h, w], "same" or "valid"), "shape" ([C, H, W]).
    """

    name: str
    kind: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    nullable: bool = False  # None allowed (e.g. pooling stride defaults to the kernel)
    key: bool = False  # shown on the canvas node


@dataclass
class Out:
    """What `infer` returns for one block."""

    shape: Shape
    params: int = 0  # trainable
    buffers: int = 0  # non-trainable (BatchNorm running stats)
    macs: int = 0
    rf_kernel: int = 1  # receptive-field growth: effective kernel ...
    rf_stride: int = 1  # ... and stride along H (the larger of H and W)
    inner: int = 0  # activation elements kept inside a composite block (memory estimate)
    warnings: list = field(default_factory=list)  # (message, fix-or-None)


@dataclass(frozen=True)
class BlockSpec:
    type: str
    category: str
    help: str
    params: tuple[Param, ...]
    infer: Callable[[dict, list], Out]
    build: Callable[[dict, list], Any]
    inputs: int = 1  # exact count; -1 means "two or more"
    explain: Callable[[dict, list, Out], list[str]] | None = None
    activation_param: bool = False  # has an `activation` param applied after the layer

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict:
        return {p.name: _copy(p.default) for p in self.params}


def _copy(v):
    return list(v) if isinstance(v, list) else v


CATALOGUE: dict[str, BlockSpec] = {}

CATEGORIES = ("Input", "Convolution", "Pooling", "Normalization", "Regularization",
              "Activation", "Reshape", "Linear", "Merge", "Composite")


def register(spec: BlockSpec) -> BlockSpec:
    if spec.type in CATALOGUE:
        raise ValueError(f"block type {spec.type} registered twice")
    assert spec.category in CATEGORIES, spec.category
    CATALOGUE[spec.type] = spec
    return spec


# --- small helpers shared by the block modules -------------------------------------

def pair(v) -> tuple[int, int]:
    """int or [h, w] → (h, w)."""
    if isinstance(v, (list, tuple)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def fmt_pair(p) -> str:
    h, w = pair(p)
    return f"{h}" if h == w else f"{h}×{w}"


def need_spatial(type_: str, shapes: list) -> tuple[int, int, int]:
    s = shapes[0]
    if len(s) != 3:
        raise BlockError(
            f"{type_} needs an image-shaped input [C, H, W] but gets the flat tensor "
            f"[{s[0]}]. Move it before the Flatten/Linear layers.", code="needs_spatial")
    return s


def need_flat(type_: str, shapes: list) -> int:
    s = shapes[0]
    if len(s) != 1:
        raise BlockError(
            f"{type_} needs a flat input [N] but gets [{', '.join(map(str, s))}]. "
            f"Insert a Flatten before it (giving [{_prod(s)}]).",
            fix=Fix("Insert Flatten before it", "insert_before", {"type": "Flatten", "params": {}}),
            code="needs_flat")
    return s[0]


def _prod(s) -> int:
    n = 1
    for d in s:
        n *= d
    return n


prod = _prod
