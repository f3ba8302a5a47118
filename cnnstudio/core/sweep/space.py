"""A search space: named dimensions, each a list of choices or an int/float range (log scale
optional). Read from `--vary NAME=SPEC` or a JSON space file; turned into Optuna distributions."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass


class SweepError(ValueError):
    """Bad input for a sweep (a space, a name, a storage URL); the message is for the user."""


@dataclass(frozen=True)
class Dim:
    name: str
    choices: tuple | None = None  # a list of values, or
    low: float | None = None       # a range [low, high]; int when both ends are ints
    high: float | None = None
    log: bool = False

    @property
    def is_int(self) -> bool:
        return self.choices is None and isinstance(self.low, int) and isinstance(self.high, int)

    def count(self) -> int | None:
        """How many values it takes when they are few enough to list (choices, a whole-number
        range); None for a float or log range."""
        if self.choices is not None:
            return len(self.choices)
        return self.high - self.low + 1 if self.is_int and not self.log else None

    def grid(self) -> list:
        if self.choices is not None:
            return list(self.choices)
        if self.is_int and not self.log:
            return list(range(self.low, self.high + 1))
        raise SweepError(f"{self.name}: a grid sweep needs choices or a whole-number range, not the "
                         f"range {self.low}:{self.high}{':log' if self.log else ''}; list the values (a,b,c).")

    def ends(self) -> list:
        """The values that bound this dimension (checked before any trial runs)."""
        return list(self.choices) if self.choices is not None else [self.low, self.high]

    def distribution(self):
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
        if self.choices is not None:
            return CategoricalDistribution(list(self.choices))
        if self.is_int:
            return IntDistribution(self.low, self.high, log=self.log)
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def to_spec(self) -> str:
        """As --vary writes it (parse_vary reads it back): a,b,c, lo:hi or lo:hi:log."""
        if self.choices is not None:
            return ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in self.choices)
        return f"{self.low}:{self.high}" + (":log" if self.log else "")

    def to_doc(self):
        if self.choices is not None:
            return list(self.choices)
        return {"low": self.low, "high": self.high, **({"log": True} if self.log else {})}


def _value(text: str):
    """'16' → 16, '1e-3' → 0.001, 'true' → True, 'adam' → 'adam'."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    for kind in (int, float):
        try:
            v = kind(t)
        except ValueError:
            continue
        if isinstance(v, float) and not math.isfinite(v):
            break
        return v
    return t


def parse_vary(text: str) -> Dim:
    """`NAME=SPEC`: SPEC is `a,b,c`, `lo:hi` or `lo:hi:log`."""
    name, eq, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not eq or not name or not spec:
        raise SweepError(f"--vary {text!r}: write NAME=SPEC, e.g. c1.out_channels=16,32,64 or lr=1e-4:1e-1:log.")
    if "," in spec or ":" not in spec:
        return _dim(name, [_value(v) for v in spec.split(",") if v.strip()])
    parts = spec.split(":")
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise SweepError(f"--vary {name}={spec}: a range is lo:hi or lo:hi:log.")
    return _dim(name, None, _value(parts[0]), _value(parts[1]), log)


def _dim(name, choices, low=None, high=None, log=False) -> Dim:
    if choices is not None:
        if not choices:
            raise SweepError(f"{name}: list at least one value.")
        if len(set(map(repr, choices))) != len(choices):
            raise SweepError(f"{name}: a value is listed twice.")
        bad = [c for c in choices if not isinstance(c, (int, float, str, bool)) or c is None]
        if bad:
            raise SweepError(f"{name}: choices must be numbers, words or true/false, not {bad[0]!r}.")
        return Dim(name, tuple(choices))
    for end in (low, high):
        if not isinstance(end, (int, float)) or isinstance(end, bool):
            raise SweepError(f"{name}: a range needs two numbers, not {end!r}.")
    if isinstance(low, int) != isinstance(high, int):
        low, high = float(low), float(high)
    if not low < high:
        raise SweepError(f"{name}: the range {low}:{high} is empty; the low end must be below the high end.")
    if log and low <= 0:
        raise SweepError(f"{name}: a log range must start above 0, not at {low}.")
    return Dim(name, None, low, high, log)


def parse_space_doc(doc, source: str = "space") -> list[Dim]:
    """{"NAME": [choices] | {"low": lo, "high": hi, "log": bool} | "SPEC"}."""
    if not isinstance(doc, dict) or not doc:
        raise SweepError(f"{source}: a space is a JSON object of NAME: [choices] or {{\"low\", \"high\"}}.")
    dims = []
    for name, spec in doc.items():
        if isinstance(spec, list):
            dims.append(_dim(name, spec))
        elif isinstance(spec, dict) and {"low", "high"} <= set(spec) and set(spec) <= {"low", "high", "log"}:
            dims.append(_dim(name, None, spec["low"], spec["high"], spec.get("log", False) is True))
        elif isinstance(spec, str):
            dims.append(parse_vary(f"{name}={spec}"))
        else:
            raise SweepError(f"{source}: {name} must be a list of choices, {{\"low\": …, \"high\": …}} or "
                             f"\"lo:hi\", not {json.dumps(spec)[:60]}.")
    return dims


def load_space(path) -> list[Dim]:
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise SweepError(f"{path}: cannot be read ({e.strerror or e}).") from None
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise SweepError(f"{path}: not JSON ({e}).") from None
    return parse_space_doc(doc, str(path))
