"""Validating one parameter value against its `Param` spec.

A value of the wrong *type* cannot be shown or edited (a file is rejected); a value of
the right type but out of *range* is a check error on the node, with a fix.
"""
from __future__ import annotations

import math

from .spec import Param

MAX_INT = 2 ** 63 - 1  # what a tensor size can hold; larger is never a real value


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -MAX_INT <= v <= MAX_INT


def _is_float(v) -> bool:
    return _is_int(v) or (isinstance(v, float) and math.isfinite(v))


def short_repr(v, limit: int = 60) -> str:
    """A value for a message: never longer than `limit`, never raising (a 5,000-digit int cannot
    be printed in full)."""
    try:
        text = repr(v)
    except ValueError:
        text = f"a {type(v).__name__} too large to print"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _is_list(v, n: int) -> bool:
    return isinstance(v, list) and len(v) == n and all(_is_int(x) for x in v)


SIZE_NAMES = {1: "[length]", 2: "[height, width]", 3: "[depth, height, width]"}


def type_error(p: Param, v) -> str | None:
    """What is wrong with the value's type, or None."""
    if v is None:
        return None if p.nullable else "must not be empty"
    if any(isinstance(x, int) and not isinstance(x, bool) and not _is_int(x) for x in numbers(v)):
        return f"is too large (more than {MAX_INT:,})"
    k = p.kind
    ok = {
        "int": _is_int(v),
        "float": _is_float(v),
        "bool": isinstance(v, bool),
        "choice": isinstance(v, str) and v in p.choices,
        "size": _is_int(v) or _is_list(v, p.dims),
        "padding": _is_int(v) or _is_list(v, p.dims) or v in ("same", "valid"),
        "shape": isinstance(v, list) and 2 <= len(v) <= 4 and all(_is_int(x) for x in v),
    }[k]
    if ok:
        return None
    expected = {
        "int": "a whole number", "float": "a finite number", "bool": "true or false",
        "choice": "one of " + ", ".join(f'"{c}"' for c in p.choices),
        "size": f"a whole number or {SIZE_NAMES[p.dims]}",
        "padding": f'a whole number, {SIZE_NAMES[p.dims]}, "same" or "valid"',
        "shape": "[channels, length], [channels, height, width] or [channels, depth, height, width]",
    }[k]
    return f"must be {expected}, not {short_repr(v)}"


def numbers(v) -> list:
    if isinstance(v, list):
        return v
    return [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else []


def range_error(p: Param, v) -> str | None:
    for x in numbers(v):
        if p.min is not None and x < p.min:
            return f"is {_show(v)}; it must be at least {_show(p.min)}"
        if p.max is not None and x > p.max:
            return f"is {_show(v)}; it must be at most {_show(p.max)}"
    return None


def clamp(p: Param, v):
    def one(x):
        lo = p.min if p.min is not None else x
        hi = p.max if p.max is not None else x
        return type(x)(min(max(x, lo), hi))
    return [one(x) for x in v] if isinstance(v, list) else one(v)


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
