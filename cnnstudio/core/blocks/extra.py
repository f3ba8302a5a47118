"""Plain blocks the model zoo needs: Identity, Mul, LayerNorm2d, GroupNorm, ChannelShuffle
and StochasticDepth."""
from __future__ import annotations

from .spec import BlockError, BlockSpec, Out, Param, need_spatial, norm_macs, prod, register, set_params_fix


def _same_shape(params, shapes) -> Out:
    return Out(shape=tuple(shapes[0]))


def _identity_build(params, shapes):
    import torch.nn as nn
    return nn.Identity()


register(BlockSpec(
    type="Identity", category="Reshape", help="Passes its input through unchanged (a placeholder).",
    params=(), infer=_same_shape, build=_identity_build,
    explain=lambda p, s, o: ["output = input; no parameters"]))


# --- Mul (element-wise product; a squeeze-excitation gate times its features) ----------

def _mul_infer(params, shapes) -> Out:
    """Broadcasts like torch: a [C, 1, 1] gate may scale [C, H, W] features."""
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        raise BlockError("Mul: cannot multiply image-shaped [C, H, W] and flat [N] inputs.", code="mul_rank")
    out = []
    for dims in zip(*shapes):
        sizes = set(dims) - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(list(s)) for s in shapes)
            raise BlockError(f"Mul: shapes {listed} do not match (each size must be equal or 1).",
                             code="mul_mismatch")
        out.append(max(dims))
    return Out(shape=tuple(out), macs=prod(out) * (len(shapes) - 1))


def _mul_build(params, shapes):
    from .modules import Mul
    return Mul()


register(BlockSpec(
    type="Mul", category="Merge",
    help="Multiplies inputs element by element (a size-1 dimension is repeated, as in PyTorch).",
    params=(), inputs=-1, infer=_mul_infer, build=_mul_build,
    explain=lambda p, s, o: [" × ".join(str(list(x)) for x in s) + f" → {list(o.shape)}"]))


# --- LayerNorm2d (LayerNorm over the channels of each pixel, as in ConvNeXt) -----------

def _ln2d_infer(params, shapes) -> Out:
    c, h, w = need_spatial("LayerNorm2d", shapes)
    return Out(shape=(c, h, w), params=2 * c, macs=norm_macs(c * h * w, True, True))


def _ln2d_build(params, shapes):
    from .modules_tv import LayerNorm2d
    return LayerNorm2d(shapes[0][0], eps=params["eps"])


register(BlockSpec(
    type="LayerNorm2d", category="Normalization",
    help="Normalizes the C channels of each pixel, then scales and shifts them (ConvNeXt).",
    params=(Param("eps", "float", 1e-5, "Added to the variance for numerical stability (> 0; ConvNeXt's 1e-6).",
                  1e-12, 1.0),),
    infer=_ln2d_infer, build=_ln2d_build, dims=2,
    explain=lambda p, s, o: [f"parameters 2·C = 2·{s[0][0]} = {o.params} (γ and β); no running statistics",
                             "works the same in training and evaluation, for any batch size"]))


# --- GroupNorm -------------------------------------------------------------------------

def _gn_infer(params, shapes) -> Out:
    c, h, w = need_spatial("GroupNorm", shapes)
    g = params["num_groups"]
    if c % g:
        fit = max(d for d in range(1, g + 1) if c % d == 0)
        raise BlockError(f"GroupNorm: the {c} channels cannot be split into {g} groups.",
                         fix=set_params_fix(f"Set num_groups to {fit}", num_groups=fit), code="groups")
    return Out(shape=(c, h, w), params=2 * c if params["affine"] else 0,
               macs=norm_macs(c * h * w, params["affine"], True))


def _gn_build(params, shapes):
    import torch.nn as nn
    return nn.GroupNorm(params["num_groups"], shapes[0][0], eps=params["eps"], affine=params["affine"])


register(BlockSpec(
    type="GroupNorm", category="Normalization",
    help="Normalizes groups of channels per sample (independent of the batch size).",
    params=(Param("num_groups", "int", 8, "Channel groups; must divide the channels.", 1, 65536, key=True),
            Param("eps", "float", 1e-5, "Added to the variance for numerical stability (> 0).", 1e-12, 1.0),
            Param("affine", "bool", True, "Learn a scale γ and shift β per channel.")),
    infer=_gn_infer, build=_gn_build, dims=2,
    explain=lambda p, s, o: [f"{s[0][0]} channels in {p['num_groups']} groups of {s[0][0] // p['num_groups']}",
                             f"parameters 2·C = {o.params}" if p["affine"] else "no learned parameters"]))


# --- ChannelShuffle (ShuffleNet) --------------------------------------------------------

def _shuffle_infer(params, shapes) -> Out:
    c, h, w = need_spatial("ChannelShuffle", shapes)
    g = params["groups"]
    if c % g:
        fit = max(d for d in range(1, g + 1) if c % d == 0)
        raise BlockError(f"ChannelShuffle: the {c} channels cannot be split into {g} groups.",
                         fix=set_params_fix(f"Set groups to {fit}", groups=fit), code="groups")
    return Out(shape=(c, h, w))


def _shuffle_build(params, shapes):
    import torch.nn as nn
    return nn.ChannelShuffle(params["groups"])


register(BlockSpec(
    type="ChannelShuffle", category="Reshape",
    help="Interleaves channel groups so grouped convolutions see each other's channels.",
    params=(Param("groups", "int", 2, "Number of channel groups to interleave.", 1, 65536, key=True),),
    infer=_shuffle_infer, build=_shuffle_build, dims=2,
    explain=lambda p, s, o: [f"{s[0][0]} channels as {p['groups']} groups of {s[0][0] // p['groups']}, "
                             "transposed; no parameters"]))


# --- StochasticDepth ------------------------------------------------------------------

def _sd_infer(params, shapes) -> Out:
    warnings = [("StochasticDepth with p = 0 does nothing.", None)] if params["p"] == 0 else []
    return Out(shape=tuple(shapes[0]), warnings=warnings)


def _sd_build(params, shapes):
    from .modules_tv import StochasticDepth
    return StochasticDepth(params["p"], params["mode"])


register(BlockSpec(
    type="StochasticDepth", category="Regularization",
    help="While training, drops whole samples (or the whole batch) with probability p; identity in evaluation.",
    params=(Param("p", "float", 0.1, "Probability of dropping.", 0.0, 1.0, key=True),
            Param("mode", "choice", "row", "row: per sample; batch: the whole batch at once.",
                  choices=("row", "batch"))),
    infer=_sd_infer, build=_sd_build))
