"""The declarative block spec and the catalogue registry.

A block is one `BlockSpec`: its parameters, how many inputs it takes, a pure-Python
`infer` rule (shapes, parameters, MACs, receptive field) and a `build` rule that makes
the torch module (torch is imported only inside builders). Everything else — palette,
properties editor, checks, compiler, file validation — reads the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Shape = tuple  # (C, L), (C, H, W), (C, D, H, W) or (N,) — batch dimension left out


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

    `fix` is an optional `Fix` (see analysis/problems.py) that resolves it in one click.
    """

    def __init__(self, message: str, fix=None, code: str = "block"):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


@dataclass(frozen=True)
class Param:
    """One block parameter.

    kind: "int", "float", "bool", "choice", "size" (int or a list with one entry per
    spatial dimension: `dims`), "padding" (a size, "same" or "valid"), "shape" ([C, L],
    [C, H, W] or [C, D, H, W]).
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
    dims: int = 2  # entries in a "size"/"padding" list: 1 (signals), 2 (images), 3 (volumes)


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
    dims: int | None = None  # spatial dimensions it works on (1, 2, 3); None: any shape
    structure: tuple = ()  # keys a node's params hold besides the Params (a user block's inner graph, ...)
    palette: bool = True  # offered in the palette (False: blocks only an importer or Make block makes)
    # checks that need the blocks feeding it, not just their shapes (an unpool's MaxPool2d):
    # sources(params, [{"id", "type", "params", "in_shapes"} per input], its Out) raises BlockError
    sources: Callable[[dict, list, Out], None] | None = None

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


def ntuple(v, n: int) -> tuple:
    """int or a list of n entries → an n-tuple (a list of one entry counts as an int)."""
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v) if len(v) == n else (int(v[0]),) * n
    return (int(v),) * n


def fmt_n(t) -> str:
    """(3, 3, 3) → "3"; (3, 5) → "3×5"."""
    return f"{t[0]}" if len(set(t)) == 1 else "×".join(map(str, t))


RANK_NAMES = {1: "a 1-D signal [C, L]", 2: "an image [C, H, W]", 3: "a volume [C, D, H, W]"}


def fmt_shape(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def need_rank(type_: str, shapes: list, dims: int, params: dict | None = None) -> tuple:
    """The input shape, if it has `dims` spatial dimensions; otherwise a BlockError that
    names the block made for the shape it gets (Conv2d fed a signal → Conv1d)."""
    s = tuple(shapes[0])
    if len(s) == dims + 1:
        return s
    if len(s) == 1:
        raise BlockError(
            f"{type_} needs {RANK_NAMES[dims]} but gets the flat tensor [{s[0]}]. "
            f"Move it before the Flatten/Linear layers.", code="needs_spatial")
    got = len(s) - 1
    sibling = sibling_type(type_, got)
    fix = None
    if sibling:
        fix = Fix(f"Replace it with {sibling}", "replace_node",
                  {"type": sibling, "params": convert_params(CATALOGUE[sibling], params or {})})
    hint = f" Use {sibling} instead." if sibling else (
        " This block has no version for that shape." if got != dims else "")
    raise BlockError(f"{type_} works on {RANK_NAMES[dims]} but gets {RANK_NAMES[got].split(' [')[0]} "
                     f"{fmt_shape(s)}.{hint}", fix=fix, code="wrong_rank")


def need_spatial(type_: str, shapes: list, params: dict | None = None) -> tuple[int, int, int]:
    return need_rank(type_, shapes, 2, params)


def sibling_type(type_: str, dims: int) -> str | None:
    """The same layer for another number of dimensions: Conv2d, 1 → Conv1d."""
    if type_[-2:] in ("1d", "2d", "3d"):
        other = f"{type_[:-2]}{dims}d"
        return other if other in CATALOGUE else None
    return None


def convert_params(spec: BlockSpec, params: dict) -> dict:
    """`params` moved to a sibling block: sizes given per dimension become one number."""
    out = {}
    for p in spec.params:
        if p.name not in params:
            continue
        v = params[p.name]
        if isinstance(v, list) and p.kind in ("size", "padding") and len(v) != p.dims:
            v = int(v[0])
        out[p.name] = v
    return out


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


def norm_macs(elements: int, affine: bool, batch_stats: bool) -> int:
    """MACs of a normalisation in evaluation (docs/costs.md, fvcore's rule): with running
    statistics a scale and a shift per element (one without affine); computing the statistics
    (LayerNorm, GroupNorm, BatchNorm without running statistics) 4 per element, 5 with affine."""
    if batch_stats:
        return (5 if affine else 4) * elements
    return (2 if affine else 1) * elements
