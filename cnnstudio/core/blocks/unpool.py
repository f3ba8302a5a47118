"""MaxUnpool2d: puts each value back where its MaxPool2d found the maximum (zeros elsewhere), the
decoder half of a SegNet-style encoder–decoder.

In the graph it has two inputs, in order: the values to place, and a wire from the MaxPool2d
whose positions (indices) it uses. Blocks have one output, so the pool's indices travel with
that wire: a MaxPool2d that feeds an unpool's second input is compiled with
`return_indices=True` (build/compiler.py), and the unpool receives the indices, not the pooled
values. The pairing is checked live (`sources` below), with fixes.
"""
from __future__ import annotations

from .spec import BlockError, BlockSpec, Fix, Out, Param, fmt_pair, need_spatial, pair, register, set_params_fix

POOL = "MaxPool2d"
SIZE = dict(kind="size", min=1, max=4096)


def _window(params) -> tuple:
    k = pair(params["kernel_size"])
    s = pair(params["stride"]) if params["stride"] is not None else k
    return k, s, pair(params["padding"])


def _default(h: int, w: int, params) -> tuple[int, int]:
    """PyTorch's output size without `output_size`: (H − 1)·S − 2P + F."""
    k, s, p = _window(params)
    return (h - 1) * s[0] - 2 * p[0] + k[0], (w - 1) * s[1] - 2 * p[1] + k[1]


def _infer(params, shapes) -> Out:
    c, h, w = need_spatial("MaxUnpool2d", shapes[:1], params)
    if tuple(shapes[1]) != tuple(shapes[0]):
        raise BlockError(f"MaxUnpool2d needs values of the same shape as its MaxPool2d's output (one index per "
                         f"value), but gets {list(shapes[0])} and indices for {list(shapes[1])}.", code="unpool_shape")
    oh, ow = _default(h, w, params)
    if params["output_size"] is not None:
        want, (_, s, _) = pair(params["output_size"]), _window(params)
        # PyTorch accepts a size within one stride of the default, either way
        if not all(d - st < x < d + st for x, d, st in zip(want, (oh, ow), s)):
            raise BlockError(f"MaxUnpool2d: output_size {fmt_pair(want)} is more than a stride away from "
                             f"{fmt_pair((oh, ow))}, the size its window gives.",
                             fix=set_params_fix("Clear output_size", output_size=None), code="unpool_size")
        oh, ow = want
    if oh <= 0 or ow <= 0:
        raise BlockError(f"MaxUnpool2d: padding {fmt_pair(_window(params)[2])} leaves no output ({oh}×{ow}).",
                         fix=set_params_fix("Set padding to 0", padding=0), code="unpool_padding")
    # no multiply-adds: each value is copied to its place
    return Out(shape=(c, oh, ow), macs=0, rf_kernel=1, rf_stride=1)


def _sources(params, feeders, out) -> None:
    values, pool = feeders
    if pool["type"] != POOL:
        fix = (Fix(f"Swap the inputs: indices from {values['id']}", "swap_inputs", {})
               if values["type"] == POOL else None)
        raise BlockError(f"MaxUnpool2d: its second input must be the MaxPool2d whose indices it uses, but it is "
                         f"{pool['id']} ({pool['type']}). Wire that MaxPool2d to its second input.", fix=fix,
                         code="unpool_not_pool")
    mine, theirs = _window(params), _window(pool["params"])
    if mine != theirs:
        k, s, p = theirs
        raise BlockError(
            f"MaxUnpool2d: its window (kernel {fmt_pair(mine[0])}, stride {fmt_pair(mine[1])}, padding "
            f"{fmt_pair(mine[2])}) differs from {pool['id']}'s (kernel {fmt_pair(k)}, stride {fmt_pair(s)}, "
            f"padding {fmt_pair(p)}), so values land in the wrong places.",
            fix=set_params_fix(f"Use {pool['id']}'s window", kernel_size=pool["params"]["kernel_size"],
                               stride=pool["params"]["stride"], padding=pool["params"]["padding"]),
            code="unpool_window")
    pooled = tuple(pool["in_shapes"][0][1:]) if pool["in_shapes"] else None
    if pooled and tuple(out.shape[1:]) != pooled:
        size, want = "×".join(map(str, out.shape[1:])), "×".join(map(str, pooled))
        raise BlockError(f"MaxUnpool2d: it restores {size} but {pool['id']} pooled {want}: its output must be the "
                         "map the pool read, where the indices point.",
                         fix=set_params_fix(f"Set output_size to {want}", output_size=list(pooled)),
                         code="unpool_size")


def _build(params, shapes):
    from .modules import MaxUnpool
    k, s, p = _window(params)
    size = params["output_size"]
    return MaxUnpool(k, stride=s, padding=p, output_size=list(pair(size)) if size is not None else None)


def _explain(params, shapes, out: Out) -> list[str]:
    (c, h, w), (k, s, p) = shapes[0], _window(params)
    size = ([f"output size {fmt_pair(out.shape[1:])}, as set (output_size)"] if params["output_size"] is not None else
            [f"output size (H − 1)·S − 2P + F: height ({h} − 1)·{s[0]} − 2·{p[0]} + {k[0]} = {out.shape[1]}, "
             f"width ({w} − 1)·{s[1]} − 2·{p[1]} + {k[1]} = {out.shape[2]}"])
    return size + ["each value goes back where its MaxPool2d found the maximum; every other place is 0",
                   f"channels unchanged: {c}; no parameters, no multiply-adds"]


register(BlockSpec(
    type="MaxUnpool2d", category="Pooling",
    help="Undoes a MaxPool2d: each value back where the maximum was, zeros elsewhere (SegNet's decoder). "
         "Input 1: the values; input 2: the MaxPool2d whose indices it uses.",
    params=(Param("kernel_size", default=2, help="Window size F: the paired MaxPool2d's.", key=True, **SIZE),
            Param("stride", default=None, help="Step S (empty = same as the window): the MaxPool2d's.",
                  nullable=True, **SIZE),
            Param("padding", "size", 0, "Border P: the MaxPool2d's.", 0, 2048),
            Param("output_size", default=None, nullable=True, help="The map to restore (empty = (H − 1)·S − 2P + F); "
                  "the MaxPool2d's input size when that was odd.", **SIZE)),
    inputs=2, infer=_infer, build=_build, explain=_explain, dims=2, sources=_sources))
