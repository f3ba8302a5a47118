"""Counting a composite block from its inner layers.

A composite lists its inner layers as `Part`s (text for the expanded node and the explain
lines, parameters, non-trainable state, MACs, kept activations); `composite()` registers a
spec whose shape rule, totals and explanation all come from that one list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .spec import BlockSpec, Out, need_spatial, norm_macs, pair, register

# block type → parts(params, c, h, w): the inner layers, for expanding a node on the canvas
PARTS: dict[str, Callable] = {}


@dataclass
class Part:
    text: str
    params: int = 0
    buffers: int = 0
    macs: int = 0
    inner: int = 0


def conv_out(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv(name, cin, cout, k, hw, stride=1, groups=1, bias=False, norm=True, act="") -> Part:
    """A conv (and its BatchNorm) producing an output of size `hw`."""
    kh, kw = pair(k)
    pixels = hw[0] * hw[1]
    n = kh * kw * (cin // groups) * cout + (cout if bias else 0)
    macs = kh * kw * (cin // groups) * cout * pixels
    g = f", groups {groups}" if groups > 1 else ""
    s = f", stride {stride}" if stride != 1 else ""
    text = f"{name}: {kh}×{kw} conv {cin}→{cout}{s}{g}" + (" + BN" if norm else "") + (f" + {act}" if act else "")
    part = Part(text, n, 0, macs, cout * pixels)
    if norm:
        part.params += 2 * cout
        part.buffers += 2 * cout
        part.macs += norm_macs(cout * pixels, True, False)
        part.inner += cout * pixels
    return part


def norm(name, c, hw, running=True, kind="BN") -> Part:
    """BatchNorm with running statistics, or (running False) a LayerNorm computing its own."""
    pixels = hw[0] * hw[1]
    return Part(f"{name}: {kind} over {c} channels", 2 * c, 2 * c if running else 0,
                norm_macs(c * pixels, True, not running), c * pixels)


def linear(name, n_in, n_out, pixels=1, bias=True) -> Part:
    return Part(f"{name}: linear {n_in}→{n_out}" + (f" at each of {pixels} pixels" if pixels > 1 else ""),
                (n_in + (1 if bias else 0)) * n_out, 0, n_in * n_out * pixels, n_out * pixels)


def squeeze_excitation(name, c, squeeze, hw, gate="sigmoid") -> list[Part]:
    """Global average → 1×1 conv c→squeeze → 1×1 conv squeeze→c → gate → scale the features."""
    pixels = hw[0] * hw[1]
    return [Part(f"{name}: squeeze-excitation {c}→{squeeze}→{c}, {gate} gate",
                 (c + 1) * squeeze + (squeeze + 1) * c, 0, 2 * c * squeeze + 2 * c * pixels, c * pixels)]


def composite(type_: str, help_: str, params: tuple, parts: Callable, shape: Callable, build: Callable,
              check: Callable | None = None, rf: Callable | None = None) -> BlockSpec:
    """Register a composite: parts(p, c, h, w) → [Part], shape(p, c, h, w) → output shape,
    check(p, c, h, w) raises BlockError, rf(p) → (receptive-field kernel, stride)."""

    def infer(p, shapes) -> Out:
        c, h, w = need_spatial(type_, shapes)
        if check:
            check(p, c, h, w)
        ps = parts(p, c, h, w)
        k, s = rf(p) if rf else (1, 1)
        return Out(shape=tuple(shape(p, c, h, w)), params=sum(x.params for x in ps),
                   buffers=sum(x.buffers for x in ps), macs=sum(x.macs for x in ps),
                   inner=sum(x.inner for x in ps), rf_kernel=k, rf_stride=s)

    def explain(p, shapes, out: Out) -> list[str]:
        c, h, w = shapes[0]
        lines = [help_]
        lines += [f"  {x.text}" + (f": {x.params:,} params" if x.params else "") for x in parts(p, c, h, w)]
        lines.append(f"total parameters {out.params:,}" + (f", non-trainable {out.buffers:,}" if out.buffers else ""))
        return lines

    PARTS[type_] = parts
    return register(BlockSpec(type=type_, category="Composite", help=help_, params=params,
                              infer=infer, build=build, explain=explain, dims=2))
