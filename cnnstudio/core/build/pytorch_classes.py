"""Exported code for the blocks whose torch modules are CNN Studio's own classes: the
constructor call for each, and the classes and functions it needs, copied from the modules
the compiler builds (so the generated model is the compiled one, name for name)."""
from __future__ import annotations

import inspect

from ..blocks import modules, modules_tv, modules_zoo
from ..blocks.activations import ACTIVATIONS

# helper → the helpers its source uses (copied first)
NEEDS = {
    "StochasticDepth": ["stochastic_depth"], "CNBlock": ["Permute", "StochasticDepth"],
    "InvertedResidual": ["build_activation", "ConvBNAct", "SqueezeExcitation", "StochasticDepth"],
    "FusedMBConv": ["build_activation", "ConvBNAct", "StochasticDepth"], "ConvBNAct": ["build_activation"],
    "DenseBlock": ["DenseLayer"], "RegNetBlock": ["conv_bn_relu", "SqueezeExcitation"],
    "ShuffleUnit": ["channel_shuffle"], "InceptionV3": ["BasicConv2d", "_V3"],
    "GoogLeNetInception": ["BasicConv2d"], "BasicBlock": ["_conv_bn"], "Bottleneck": ["_conv_bn"],
    "Inception": ["_conv_relu"], "TorchModule": ["_submodule"],
}


# every name a generated file may define besides the network's classes
DEFINED = {n for mod in (modules, modules_tv, modules_zoo) for n in vars(mod) if not n.startswith("__")} | \
    {"build_activation", "_submodule", "_MODELS"}


def _t(v) -> str:
    return repr(tuple(v)) if isinstance(v, (list, tuple)) else repr(v)


def composite_constructor(type_: str, p: dict, in_shape) -> str | None:  # noqa: C901 - one line per type
    """`Class(args)` for a block built from CNN Studio's own module classes; None otherwise."""
    k, c = p.get("kernel_size"), in_shape[0]
    if type_ == "InvertedResidual":
        return (f"InvertedResidual({c}, {p['out_channels']}, {k}, {p['stride']}, {p['expanded']}, {p['activation']!r}, "
                f"{p['se_channels']}, {p['se_activation']!r}, {p['se_gate']!r}, {p['eps']!r}, {p['momentum']!r}, "
                f"{p['drop_path']!r})")
    if type_ == "FusedMBConv":
        return (f"FusedMBConv({c}, {p['out_channels']}, {k}, {p['stride']}, {p['expanded']}, {p['eps']!r}, "
                f"{p['momentum']!r}, {p['drop_path']!r})")
    if type_ == "ShuffleUnit":
        return f"ShuffleUnit({c}, {p['out_channels']}, {p['stride']})"
    if type_ == "DenseBlock":
        return f"DenseBlock({p['num_layers']}, {c}, {p['bn_size']}, {p['growth_rate']}, {p['drop_rate']!r})"
    if type_ == "DenseTransition":
        return f"DenseTransition({c}, {p['out_channels']})"
    if type_ == "FireBlock":
        return f"Fire({c}, {p['squeeze']}, {p['expand1x1']}, {p['expand3x3']})"
    if type_ == "RegNetBlock":
        return f"RegNetBlock({c}, {p['out_channels']}, {p['stride']}, {p['group_width']}, {p['se_ratio']!r})"
    if type_ == "ConvNeXtBlock":
        return f"CNBlock({c}, {p['layer_scale']!r}, {p['drop_path']!r})"
    if type_ == "LayerNorm2d":
        return f"LayerNorm2d({c}, eps={p['eps']!r})"
    if type_ == "StochasticDepth":
        return f"StochasticDepth({p['p']!r}, {p['mode']!r})"
    if type_ == "InceptionV3Block":
        return f"InceptionV3({c}, {p['variant']!r}, {p['channels']})"
    if type_ == "InceptionBlock":
        keys = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")
        cls = "GoogLeNetInception" if p["kind"] == "torchvision" else "Inception"
        return f"{cls}({c}, " + ", ".join(str(p[q]) for q in keys) + ")"
    if type_ == "ChannelSlice":
        return f"ChannelSlice({p['start']}, {p['end']})"
    if type_ == "LayerScale":
        return f"LayerScale({c}, {len(in_shape) - 1}, {p['init']!r})"
    if type_ == "TorchModule":
        return f"_submodule({p['source']!r}, {p['path']!r})"
    return None


def helper_source(names: list) -> str:
    """The source of the helpers `names` and of what they use, each once, dependencies first."""
    order: list = []

    def visit(n):
        for d in NEEDS.get(n, []):
            visit(d)
        if n not in order:
            order.append(n)
    for n in names:
        visit(n)
    return "".join("\n\n" + _source(n) for n in order)


def _source(name: str) -> str:
    if name == "build_activation":
        table = ", ".join(f"{k!r}: nn.{cls}" for k, (cls, _) in ACTIVATIONS.items())
        return (f"def build_activation(name):\n    cls = {{{table}}}[name]\n"
                "    return cls(dim=1) if name == 'softmax' else cls()\n")
    if name == "_V3":
        return f"_V3 = {modules_tv._V3!r}\n"
    if name == "_submodule":
        return _SUBMODULE
    for mod in (modules_tv, modules_zoo, modules):
        if hasattr(mod, name):
            return inspect.getsource(getattr(mod, name))
    raise KeyError(name)


_SUBMODULE = '''_MODELS = {}


def _submodule(source, path):
    """A submodule of the model `source` builds (timm:NAME, torchvision:NAME, package.module:factory)."""
    import copy
    import importlib
    if source not in _MODELS:
        kind, _, name = source.partition(":")
        if kind == "timm":
            import timm
            _MODELS[source] = timm.create_model(name, pretrained=False)
        elif kind == "torchvision":
            import torchvision
            _MODELS[source] = torchvision.models.get_model(name, weights=None)
        else:
            _MODELS[source] = getattr(importlib.import_module(kind), name)()
    model = _MODELS[source]
    return copy.deepcopy(model.get_submodule(path) if path else model)
'''
