"""Activation functions: standalone blocks and the `activation` option of Conv2d/Linear."""
from __future__ import annotations

from .spec import BlockSpec, Out, Param, register

# name in files → (torch.nn class, help)
ACTIVATIONS = {
    "relu": ("ReLU", "max(0, x)"),
    "leaky_relu": ("LeakyReLU", "x, or 0.01·x below zero"),
    "elu": ("ELU", "x, or α·(eˣ − 1) below zero"),
    "gelu": ("GELU", "x·Φ(x), smooth ReLU used by transformers"),
    "silu": ("SiLU", "x·sigmoid(x) (swish)"),
    "sigmoid": ("Sigmoid", "1/(1 + e⁻ˣ), squashes to (0, 1)"),
    "tanh": ("Tanh", "squashes to (−1, 1)"),
    "softmax": ("Softmax", "turns channel scores into probabilities"),
    "relu6": ("ReLU6", "min(max(0, x), 6), used by MobileNetV2"),
    "hardswish": ("Hardswish", "x·ReLU6(x + 3)/6, a cheap swish used by MobileNetV3"),
    "hardsigmoid": ("Hardsigmoid", "ReLU6(x + 3)/6, a cheap sigmoid used by MobileNetV3"),
}

ACTIVATION_PARAM = Param("activation", "choice", "none", "Activation applied to the output.",
                         choices=("none",) + tuple(ACTIVATIONS), key=True)


def build_activation(name: str, **kwargs):
    import torch.nn as nn
    cls = getattr(nn, ACTIVATIONS[name][0])
    if name == "softmax":
        kwargs.setdefault("dim", 1)
    return cls(**kwargs)


def _identity_infer(params, shapes) -> Out:
    return Out(shape=tuple(shapes[0]))


def _activation_block(name, cls_name, help_, extra=()):
    def build(params, shapes):
        return build_activation(name, **params)

    register(BlockSpec(type=cls_name, category="Activation", help=f"{cls_name}: {help_}.",
                       params=tuple(extra), infer=_identity_infer, build=build))


for _name, (_cls, _help) in ACTIVATIONS.items():
    extra = {
        "leaky_relu": (Param("negative_slope", "float", 0.01, "Slope below zero.", 0.0, 1.0),),
        "elu": (Param("alpha", "float", 1.0, "Value approached for very negative x.", 0.0, 100.0),),
    }.get(_name, ())
    _activation_block(_name, _cls, _help, extra)

# for the summary's "activation" column: standalone block type → file name
BLOCK_ACTIVATION = {cls: name for name, (cls, _) in ACTIVATIONS.items()}
