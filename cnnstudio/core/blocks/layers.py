"""Input, normalization, regularization, reshaping and fully connected blocks."""
from __future__ import annotations

from .spec import (BlockError, BlockSpec, Out, Param, fmt_shape, need_flat, need_spatial, norm_macs, prod,
                   register)
from .activations import ACTIVATION_PARAM


def _input_infer(params, shapes) -> Out:
    return Out(shape=tuple(int(v) for v in params["shape"]))


def _input_build(params, shapes):
    import torch.nn as nn
    return nn.Identity()


def _input_explain(params, shapes, out: Out) -> list[str]:
    c, *size = out.shape
    what = {1: f"a signal of length {size[0]}", 2: f"{size[0]}×{size[1]} pixels" if len(size) == 2 else "",
            3: "a volume of " + "×".join(map(str, size)) + " voxels (depth×height×width)"}[len(size)]
    return [f"one sample is {c} channel(s) of {what}"]


register(BlockSpec(
    type="Input", category="Input",
    help="The network's input: a signal [C, L], an image [C, H, W] or a volume [C, D, H, W].",
    params=(Param("shape", "shape", [1, 28, 28], "Channels, then length, height×width or depth×height×width "
                  "of one sample.", 1, 8192, key=True),),
    inputs=0, infer=_input_infer, build=_input_build, explain=_input_explain))


# --- BatchNorm2d -----------------------------------------------------------------------

def _bn_infer(params, shapes) -> Out:
    c, h, w = need_spatial("BatchNorm2d", shapes, params)
    n = 2 * c if params["affine"] else 0
    return Out(shape=(c, h, w), params=n, buffers=2 * c if params["track_running_stats"] else 0,
               macs=norm_macs(c * h * w, params["affine"], not params["track_running_stats"]))


def _bn_build(params, shapes):
    import torch.nn as nn
    return nn.BatchNorm2d(shapes[0][0], eps=params["eps"], momentum=params["momentum"],
                          affine=params["affine"], track_running_stats=params["track_running_stats"])


register(BlockSpec(
    type="BatchNorm2d", category="Normalization",
    help="Normalizes each channel over the batch, then scales and shifts it.",
    params=(
        Param("eps", "float", 1e-5, "Added to the variance for numerical stability (> 0).", 1e-12, 1.0),
        Param("momentum", "float", 0.1, "Update rate of the running statistics.", 0.0, 1.0),
        Param("affine", "bool", True, "Learn a scale γ and shift β per channel."),
        Param("track_running_stats", "bool", True, "Keep running mean/variance for evaluation."),
    ),
    infer=_bn_infer, build=_bn_build, dims=2,
    explain=lambda p, s, o: [f"parameters 2·C = 2·{s[0][0]} = {o.params} (γ and β)"
                             if p["affine"] else "no learned parameters (affine off)",
                             f"non-trainable 2·C = {o.buffers} (running mean and variance)"]))


# --- Dropout ---------------------------------------------------------------------------

def _dropout_infer(type_):
    def infer(params, shapes) -> Out:
        if type_ == "Dropout2d":
            need_spatial(type_, shapes, params)
        warnings = []
        if params["p"] == 0:
            warnings.append((f"{type_} with p = 0 does nothing.", None))
        return Out(shape=tuple(shapes[0]), warnings=warnings)
    return infer


def _dropout_build(type_):
    def build(params, shapes):
        import torch.nn as nn
        return getattr(nn, type_)(p=params["p"])
    return build


for _type, _help in (("Dropout", "Zeroes random elements while training (probability p)."),
                     ("Dropout2d", "Zeroes whole random channels while training (probability p).")):
    register(BlockSpec(
        type=_type, category="Regularization", help=_help,
        params=(Param("p", "float", 0.5, "Probability of dropping.", 0.0, 1.0, key=True),),
        infer=_dropout_infer(_type), build=_dropout_build(_type),
        dims=2 if _type == "Dropout2d" else None))


# --- Flatten ---------------------------------------------------------------------------

def _flatten_infer(params, shapes) -> Out:
    s = shapes[0]
    return Out(shape=(prod(s),), rf_kernel=max(s[1:]) if len(s) > 1 else 1)


def _flatten_build(params, shapes):
    import torch.nn as nn
    return nn.Flatten()


register(BlockSpec(
    type="Flatten", category="Reshape", help="Unrolls [C, H, W] into one vector of C·H·W numbers.",
    params=(), infer=_flatten_infer, build=_flatten_build,
    explain=lambda p, s, o: ([f"{s[0][0]}·{s[0][1]}·{s[0][2]} = {o.shape[0]}"]
                             if len(s[0]) == 3 else ["already flat: unchanged"])))


# --- Linear ----------------------------------------------------------------------------

def _linear_infer(params, shapes) -> Out:
    n = need_flat("Linear", shapes)
    out = params["out_features"]
    return Out(shape=(out,), params=(n + (1 if params["bias"] else 0)) * out, macs=n * out)


def _linear_explain(params, shapes, out: Out) -> list[str]:
    n, k = shapes[0][0], params["out_features"]
    b = " + 1" if params["bias"] else ""
    return [f"parameters (N_in{b})·N_out = ({n}{b})·{k} = {out.params:,}",
            f"MACs N_in·N_out = {n}·{k} = {out.macs:,}"]


def _linear_build(params, shapes):
    import torch.nn as nn
    return nn.Linear(shapes[0][0], params["out_features"], bias=params["bias"])


register(BlockSpec(
    type="Linear", category="Linear", help="Fully connected layer: every input to every output.",
    params=(
        Param("out_features", "int", 10, "Number of outputs (classes, for a classifier head).", 1, 1 << 20, key=True),
        Param("bias", "bool", True, "Learn an additive bias per output."),
        ACTIVATION_PARAM,
    ),
    infer=_linear_infer, build=_linear_build, explain=_linear_explain, activation_param=True))


# --- merges ----------------------------------------------------------------------------

def _add_infer(params, shapes) -> Out:
    first = tuple(shapes[0])
    for s in shapes[1:]:
        if tuple(s) != first:
            raise BlockError("Add: inputs must have the same shape", code="add_mismatch")
    return Out(shape=first, macs=prod(first) * (len(shapes) - 1))


def _concat_infer(params, shapes) -> Out:
    ranks = {len(s) for s in shapes}
    if ranks != {len(shapes[0])}:
        raise BlockError("Concat: cannot join inputs of different kinds ("
                         + " and ".join(sorted({fmt_shape(s) for s in shapes}, key=len))
                         + "); give them all the same number of dimensions (or flatten them all) first.",
                         code="concat_rank")
    if len(shapes[0]) == 1:
        return Out(shape=(sum(s[0] for s in shapes),))
    if len({tuple(s[1:]) for s in shapes}) > 1:
        raise BlockError("Concat: inputs must share their size after the channels", code="concat_mismatch")
    return Out(shape=(sum(s[0] for s in shapes),) + tuple(shapes[0][1:]))


def _merge_build(kind):
    def build(params, shapes):
        from .modules import Add, Concat
        return Add() if kind == "Add" else Concat()
    return build


register(BlockSpec(
    type="Add", category="Merge", help="Adds inputs of the same shape (residual connection).",
    params=(), inputs=-1, infer=_add_infer, build=_merge_build("Add"),
    explain=lambda p, s, o: [f"element-wise sum of {len(s)} inputs of shape {list(o.shape)}"]))
register(BlockSpec(
    type="Concat", category="Merge",
    help="Stacks inputs along channels, in the order they are wired.",
    params=(), inputs=-1, infer=_concat_infer, build=_merge_build("Concat"),
    explain=lambda p, s, o: [" + ".join(str(x[0]) for x in s) + f" = {o.shape[0]} channels"]))
