"""Graph → a standalone PyTorch source file (needs only torch), with the same submodule
names as the compiled model, so weights trained in CNN Studio load into it unchanged."""
from __future__ import annotations

import keyword

from ..analysis.user_blocks import passes
from ..blocks import CATALOGUE
from ..blocks.activations import ACTIVATIONS
from ..blocks.custom import TYPE as CUSTOM
from ..blocks.spec import ntuple
from ..blocks.torch_module import package_of
from ..graph import Graph
from .compiler import check_compilable, indexed_pools, module_name
from .pytorch_classes import DEFINED, helper_source

ACT_CALL = {"relu": "torch.relu({})", "sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})",
            "leaky_relu": "F.leaky_relu({})", "elu": "F.elu({})", "gelu": "F.gelu({})",
            "silu": "F.silu({})", "softmax": "torch.softmax({}, dim=1)", "relu6": "F.relu6({})",
            "hardswish": "F.hardswish({})", "hardsigmoid": "F.hardsigmoid({})"}


def _size(v, dims: int = 2):
    return repr(ntuple(v, dims)) if not isinstance(v, str) else repr(v)


def _dims(type_: str) -> int:
    return int(type_[-2]) if type_[-2:] in ("1d", "2d", "3d") else 2


def _constructor(type_: str, p: dict, in_shape) -> str | None:
    """torch.nn constructor code for one block; None for blocks done inline in forward()."""
    c = in_shape[0] if in_shape else None
    n = _dims(type_)
    if type_ in ("Conv1d", "Conv2d", "Conv3d"):
        return (f"nn.{type_}({c}, {p['out_channels']}, kernel_size={_size(p['kernel_size'], n)}, "
                f"stride={_size(p['stride'], n)}, padding={_size(p['padding'], n)}, "
                f"dilation={_size(p['dilation'], n)}, groups={p['groups']}, bias={p['bias']}, "
                f"padding_mode={p['padding_mode']!r})")
    if type_[:-2] in ("MaxPool", "AvgPool"):
        stride = "None" if p["stride"] is None else _size(p["stride"], n)
        return (f"nn.{type_}(kernel_size={_size(p['kernel_size'], n)}, stride={stride}, "
                f"padding={_size(p['padding'], n)}, ceil_mode={p['ceil_mode']})")
    if type_ == "MaxUnpool2d":
        stride = "None" if p["stride"] is None else _size(p["stride"])
        size = "None" if p["output_size"] is None else repr(list(ntuple(p["output_size"], 2)))
        return (f"MaxUnpool(kernel_size={_size(p['kernel_size'])}, stride={stride}, padding={_size(p['padding'])}, "
                f"output_size={size})")
    if type_[:-2] == "AdaptiveAvgPool":
        return f"nn.{type_}({_size(p['output_size'], n)})"
    if type_[:-2] == "BatchNorm":
        return (f"nn.{type_}({c}, eps={p['eps']!r}, momentum={p['momentum']!r}, affine={p['affine']}, "
                f"track_running_stats={p['track_running_stats']})")
    if type_ in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d"):
        return f"nn.{type_}(p={p['p']!r})"
    if type_ == "ConvTranspose2d":
        return (f"nn.ConvTranspose2d({c}, {p['out_channels']}, kernel_size={_size(p['kernel_size'])}, "
                f"stride={_size(p['stride'])}, padding={_size(p['padding'])}, "
                f"output_padding={_size(p['output_padding'])}, groups={p['groups']}, bias={p['bias']}, "
                f"dilation={_size(p['dilation'])})")
    if type_ == "Upsample":
        return f"nn.Upsample(scale_factor={float(p['scale_factor'])!r}, mode={p['mode']!r})"
    if type_ == "DeformConv2d":
        return (f"DeformConv({c}, {p['out_channels']}, {_size(p['kernel_size'])}, stride={_size(p['stride'])}, "
                f"padding={_size(p['padding'])}, dilation={_size(p['dilation'])}, groups={p['groups']}, "
                f"offset_groups={p['offset_groups']}, modulated={p['modulated']}, bias={p['bias']})")
    if type_ == "Linear":
        return f"nn.Linear({c}, {p['out_features']}, bias={p['bias']})"
    if type_ == "LeakyReLU":
        return f"nn.LeakyReLU(negative_slope={p['negative_slope']!r})"
    if type_ == "ELU":
        return f"nn.ELU(alpha={p['alpha']!r})"
    if type_ == "LocalResponseNorm":
        return f"nn.LocalResponseNorm({p['size']}, alpha={p['alpha']!r}, beta={p['beta']!r}, k={p['k']!r})"
    if type_ == "Softmax":
        return "nn.Softmax(dim=1)"
    if type_ in ("ReLU", "GELU", "SiLU", "Sigmoid", "Tanh", "Flatten", "ReLU6", "Hardswish", "Hardsigmoid"):
        return f"nn.{type_}()"
    if type_ == "ConvBNAct":
        conv = (f"nn.Conv2d({c}, {p['out_channels']}, kernel_size={_size(p['kernel_size'])}, "
                f"stride={_size(p['stride'])}, padding={_size(p['padding'])}, dilation={_size(p['dilation'])}, "
                f"groups={p['groups']}, bias={p['bias']})")
        bn = f"nn.BatchNorm2d({p['out_channels']}, eps={p['eps']!r}, momentum={p['momentum']!r})"
        act = "" if p["activation"] == "none" else f", nn.{ACTIVATIONS[p['activation']][0]}()"
        return f"nn.Sequential({conv}, {bn}{act})"
    if type_ == "GroupNorm":
        return f"nn.GroupNorm({p['num_groups']}, {c}, eps={p['eps']!r}, affine={p['affine']})"
    if type_ == "Pad2d":
        cls = "ZeroPad2d" if p["mode"] == "zeros" else "ReplicationPad2d"
        return f"nn.{cls}(({p['left']}, {p['right']}, {p['top']}, {p['bottom']}))"
    if type_ == "ChannelShuffle":
        return f"nn.ChannelShuffle({p['groups']})"
    if type_ == "ResidualBlock":
        if p["kind"] == "basic":
            return f"BasicBlock({c}, {p['out_channels']}, stride={p['stride']})"
        return (f"Bottleneck({c}, {p['out_channels']}, stride={p['stride']}, groups={p['groups']}, "
                f"width={p['width']})")
    if type_ == "InceptionBlock" and p.get("kind") == "paper":
        keys = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")
        return f"Inception({c}, " + ", ".join(str(p[k]) for k in keys) + ")"
    from .pytorch_classes import composite_constructor
    return composite_constructor(type_, p, in_shape) if in_shape else None  # None: Input, Add, Concat, ...


class ExportError(ValueError):
    """A network this exporter cannot write as code; the message says what to use instead."""


INLINE = ("Input", "Add", "Concat", "Mul", "Identity")
# names the generated module defines besides the user blocks' classes
_TAKEN = {"torch", "nn", "F", "OrderedDict"} | DEFINED


def to_pytorch_source(graph: Graph, class_name: str = "Net", title: str = "") -> str:
    a = check_compilable(graph)
    helpers: list = []
    classes: dict = {"": class_name}  # a user block's class source → its class name (copies with one source share it)
    cls = _net_class(graph, a, class_name, helpers, classes)
    del classes[""]
    helper_src = helper_source(helpers)
    shape = list(a.info[a.order[0]].shape)
    # the project's name is user text: a comment line with only printable characters, never code
    name = "".join(c for c in (title or class_name) if c.isprintable())
    packages = sorted({"torchvision"} if "DeformConv" in helpers else set()) + sorted(
        {package_of(n.params["source"]) for n in graph.nodes.values() if n.type == "TorchModule"} - {"torchvision"})
    needs = "PyTorch and " + " and ".join(packages) if packages else "only PyTorch"
    header = (f"# {name}: generated by CNN Studio. Needs {needs}.\n"
              f"# Input: a batch of shape [N, {', '.join(map(str, shape))}]. Submodule names match CNN Studio's,\n"
              "# so its saved weights load with model.load_state_dict(safetensors.torch.load_file(path)).\n"
              "from collections import OrderedDict\n\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n")
    users = "".join(src.replace("class @(", f"class {name}(", 1) for src, name in classes.items())
    return header + helper_src + users + cls


def _net_class(graph: Graph, a, class_name: str, helpers: list, classes: dict) -> str:
    """The source of one nn.Module class for a checked graph; the classes of the user blocks
    it holds are added to `classes` first."""
    missing = sorted({n.type for n in graph.nodes.values()
                      if n.type not in INLINE + (CUSTOM,) and _constructor(n.type, n.params, [1, 1, 1]) is None})
    if missing:
        raise ExportError(f"PyTorch code export does not cover {', '.join(missing)} yet: export this network "
                          "as onnx, torchscript or exported-program instead (weights included).")
    taken: set = set()
    names = {nid: module_name(nid, taken) for nid in a.order}
    var = {nid: f"x_{names[nid]}" for nid in a.order}
    pools = indexed_pools(graph)  # these also give their indices, to the MaxUnpool2d they feed
    init, body = [], []
    for nid in a.order:
        node = graph.nodes[nid]
        info = a.info[nid]
        ins = [var[s] for s in graph.inputs_of(nid)]
        if node.type == "MaxUnpool2d":
            ins[1] += "_indices"
        if node.type == CUSTOM:
            ctor = _custom_constructor(node.params, info.in_shapes[0], helpers, classes)
        elif node.type == "TorchModule":
            ctor = _constructor(node.type, node.params, info.in_shapes[0])
            helpers += [] if "_submodule" in helpers else ["_submodule"]
        else:
            ctor = _constructor(node.type, node.params, (info.in_shapes or [None])[0])
        if ctor:
            init.append(f"        self.{names[nid]} = {ctor}")
            expr = f"self.{names[nid]}({', '.join(ins) if node.type == 'MaxUnpool2d' else ins[0]})"
            if nid in pools:
                init[-1] = init[-1][:-1] + ", return_indices=True)"
            cls = ctor.split("(")[0]
            if cls in DEFINED and cls not in helpers:
                helpers.append(cls)
        elif node.type == "Input":
            expr = "x"
        elif node.type == "Add":
            expr = " + ".join(ins)
        elif node.type == "Mul":
            expr = " * ".join(ins)
        elif node.type == "Identity":
            expr = ins[0]
        else:  # Concat
            expr = f"torch.cat([{', '.join(ins)}], dim=1)"
        # the `activation` option of Conv2d/Linear; a composite's activation is inside its module
        act = node.params.get("activation", "none") if CATALOGUE[node.type].activation_param else "none"
        if act != "none":
            expr = ACT_CALL[act].format(expr)
        out = f"{var[nid]}, {var[nid]}_indices" if nid in pools else var[nid]
        body.append(f"        {out} = {expr}  # {list(info.shape)}")
    body.append(f"        return {var[a.output]}")
    return (f"\n\nclass {class_name}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            + ("\n".join(init) or "        pass") + "\n\n    def forward(self, x):\n" + "\n".join(body) + "\n")


def _custom_constructor(params: dict, in_shape, helpers: list, classes: dict) -> str:
    """A user block: its own class (one per distinct inner network), in an nn.Sequential when
    repeated: the compiled model's structure, so the weights load unchanged."""
    base = "".join(c if c.isascii() and c.isalnum() else "_" for c in params["name"]).strip("_") or "Block"
    base = base[0].upper() + base[1:] if base[0].isalpha() else "Block_" + base
    if keyword.iskeyword(base) or base in _TAKEN:  # (a block named "None" or "Inception")
        base += "Block"
    calls = []
    for _, g, inner in passes(params, tuple(in_shape)):
        source = _net_class(g, inner, "@", helpers, classes)
        if source not in classes:
            used = set(classes.values())  # (the network's own class among them)
            name, i = base, 2
            while name in used:
                name, i = f"{base}_{i}", i + 1
            classes[source] = name
        calls.append(f"{classes[source]}()")
    return calls[0] if len(calls) == 1 else f"nn.Sequential({', '.join(calls)})"
