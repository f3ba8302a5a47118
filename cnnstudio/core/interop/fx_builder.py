"""torch.fx nodes → blocks. Every node either becomes blocks, passes a value along (a size, a
slice of channels, a channels-last view, a tensor attribute), or raises Unmapped: the importer
then keeps the enclosing module whole (a PyTorch-module block) and traces again."""
from __future__ import annotations

import operator

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F

from ..blocks.activations import ACTIVATIONS
from .builder import BuildGraph
from .modules_map import activation_name

ACT_FUNCS = {F.relu: "relu", torch.relu: "relu", F.relu6: "relu6", F.hardswish: "hardswish",
             F.hardsigmoid: "hardsigmoid", torch.sigmoid: "sigmoid", F.silu: "silu", F.gelu: "gelu",
             torch.tanh: "tanh", F.leaky_relu: "leaky_relu", F.elu: "elu"}
ACT_METHODS = {"relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "sigmoid_": "sigmoid", "tanh": "tanh"}
_ADD = {operator.add, operator.iadd, torch.add}
_MUL = {operator.mul, operator.imul, torch.mul}
_NOOP_METHODS = ("contiguous", "clone", "float")
CHANNELS_LAST, CHANNELS_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)
_ELEMENTWISE = {cls for cls, _ in ACTIVATIONS.values()} - {"Softmax"} | {"Identity"}


class Unmapped(Exception):
    """A node with no block; `what` says it in the user's terms."""

    def __init__(self, node: fx.Node, what: str, advice: str = "", keep_self: bool = False):
        super().__init__(what)
        self.node, self.what, self.advice, self.keep_self = node, what, advice, keep_self


class Size(tuple):
    """x.size() / x.shape of the value with this id."""


class Split(tuple):
    """(id, [(start, end), ...]): the pieces of split/chunk along channels."""


class ChannelsLast(tuple):
    """(id,): the value `id` seen as [N, H, W, C] (after permute(0, 2, 3, 1))."""


class Attr(tuple):
    """(qualified name,): a tensor attribute of a module, maybe reshaped."""


def _shape(node) -> tuple | None:
    meta = node.meta.get("tensor_meta") if isinstance(node, fx.Node) else None
    return tuple(meta.shape[1:]) if meta is not None and hasattr(meta, "shape") else None


def _arg(node, i, name, default=None):
    return node.kwargs.get(name, node.args[i] if len(node.args) > i else default)


class FxBuilder(BuildGraph):
    def __init__(self, modules: dict, blocks: dict, opaque: dict, input_shape, name: str):
        super().__init__(name)
        self.modules, self.blocks, self.opaque = modules, blocks, opaque
        self.input_shape = list(input_shape)
        self.env: dict = {}

    def run(self, graph: fx.Graph) -> None:
        for node in graph.nodes:
            self.env[node] = self.visit(node)

    def tensor(self, node, a) -> str:
        v = self.env.get(a) if isinstance(a, fx.Node) else None
        if not isinstance(v, str):
            raise Unmapped(node, f"`{_name(node)}` with a non-tensor input {a!r}")
        return v

    def visit(self, node: fx.Node):
        op, t = node.op, node.target
        if op == "placeholder":
            if self.nodes:
                raise Unmapped(node, f"a second input `{t}`", "CNN Studio networks take one input image.")
            return self.add("Input", [], "input", {"shape": self.input_shape})
        if op == "output":
            out = node.args[0]
            if not isinstance(out, fx.Node):
                raise Unmapped(node, "several outputs", "Return one tensor (the class scores).")
            self.output = self.tensor(node, out)
            return None
        if op == "get_attr":
            return Attr((t,))
        if op == "call_module":
            return self.module(node, t)
        return self.function(node, op, t)

    def module(self, node, t):
        m = self.modules[t]
        v = self.env.get(node.args[0]) if node.args else None
        if isinstance(v, ChannelsLast):
            return self.channels_last_module(node, t, m, v[0])
        if t in self.opaque:
            return self.add("TorchModule", [self.tensor(node, node.args[0])], t, self.opaque[t](node), [t])
        found = self.blocks.get(t)
        if callable(found):  # padding worked out from the input size (TensorFlow's "SAME")
            found = found(_shape(node.args[0]))
        if not found:
            raise Unmapped(node, f"the layer `{t}` ({type(m).__name__})", keep_self=True)
        x = self.tensor(node, node.args[0])
        holder = next((i for i, (type_, _) in enumerate(found) if type_ != "Pad2d"), 0)
        for i, (type_, params) in enumerate(found):
            x = self.add(type_, [x], t if i == holder else f"{t}.{type_.lower()}", params, [t] if i == holder else [])
        return x

    def channels_last_module(self, node, t, m, x):
        """A LayerNorm or Linear over the channels of each pixel, between permutes."""
        from .modules_like import plain_layer_norm
        if plain_layer_norm(m):
            return ChannelsLast((self.add("LayerNorm2d", [x], t, {"eps": m.eps}, [t]),))
        if type(m) is nn.Linear:
            p = {"out_channels": m.out_features, "kernel_size": 1, "padding": 0, "bias": m.bias is not None}
            return ChannelsLast((self.add("Conv2d", [x], t, p, [t]),))
        act = activation_name(m)
        found = self.blocks.get(t)
        elementwise = isinstance(found, list) and len(found) == 1 and found[0][0] in _ELEMENTWISE  # timm's GELU, ...
        if act is not None or type(m) in (nn.Identity, nn.Dropout) and found or elementwise:
            return ChannelsLast((self.add(self.blocks[t][0][0], [x], t, self.blocks[t][0][1]),))
        raise Unmapped(node, f"the layer `{t}` ({type(m).__name__}) on channels-last data")

    def function(self, node, op, t):  # noqa: C901 - one branch per kind of operation
        args, kw = node.args, node.kwargs
        x = args[0] if args else None
        xv = self.env.get(x) if isinstance(x, fx.Node) else None
        fn = op == "call_function"
        if isinstance(xv, ChannelsLast):
            return self.channels_last(node, op, t, xv[0])
        if isinstance(xv, Attr) and op == "call_method" and t in ("reshape", "view", "squeeze", "unsqueeze", "to"):
            return xv
        if op == "call_method" and t == "size" or fn and t is getattr and args[1] == "shape":
            return Size((self.tensor(node, x),))
        if fn and t is operator.getitem:
            return self.getitem(node, xv, args[1])
        if fn and t is operator.setitem:
            return self.setitem(node, x, args[1], args[2])
        if op == "call_method" and t in _NOOP_METHODS:
            return self.tensor(node, x)
        if op == "call_method" and t == "permute" and tuple(a % 4 for a in args[1:]) == CHANNELS_LAST or \
                fn and t is torch.permute and tuple(a % 4 for a in args[1]) == CHANNELS_LAST:
            return ChannelsLast((self.tensor(node, x),))
        if fn and t in _ADD or op == "call_method" and t in ("add", "add_", "__iadd__"):
            terms = [a for a in args[:2] if not (isinstance(a, (int, float)) and a == 0)]  # `out = 0; out += y`
            if len(terms) == 1 and len(args) == 2 and not kw:
                return self.tensor(node, terms[0])
            return self.add("Add", [self.tensor(node, a) for a in args[:2]], node.name, {})
        if fn and t in _MUL or op == "call_method" and t in ("mul", "mul_"):
            return self.multiply(node, args[:2])
        if fn and t in (torch.cat, torch.concat):
            dim = _arg(node, 1, "dim", 0)
            if dim not in (1, -3):
                raise Unmapped(node, f"concatenation along dimension {dim}", "Concat joins channels (dimension 1).")
            if len(x) == 1:
                return self.tensor(node, x[0])
            return self.add("Concat", [self.tensor(node, a) for a in x], node.name, {})
        if fn and t in (torch.split, torch.chunk) or op == "call_method" and t in ("split", "chunk"):
            return self.split(node, t if isinstance(t, str) else t.__name__)
        if fn and t is torch.narrow or op == "call_method" and t == "narrow":
            if _arg(node, 1, "dim") not in (1, -3):
                raise Unmapped(node, "narrowing along a dimension other than the channels")
            start, length = args[2], args[3]
            return self.add("ChannelSlice", [self.tensor(node, x)], node.name, {"start": start, "end": start + length})
        if self._is_flatten(node, op, t):
            return self.add("Flatten", [self.tensor(node, x)], node.name, {})
        act = ACT_FUNCS.get(t) if fn else ACT_METHODS.get(t)
        if act is not None:
            return self.activation(node, act, x)
        if fn and t is F.adaptive_avg_pool2d:
            size = _arg(node, 1, "output_size")
            size = list(size) if isinstance(size, (tuple, list)) else size
            return self.add("AdaptiveAvgPool2d", [self.tensor(node, x)], node.name, {"output_size": size})
        if fn and t in (F.avg_pool2d, F.max_pool2d):
            return self._pool(node, t)
        if fn and t is F.pad:
            pad, mode = _arg(node, 1, "pad"), _arg(node, 2, "mode", "constant")
            if len(pad) != 4 or min(pad) < 0 or mode not in ("constant", "replicate") or _arg(node, 3, "value") not in (None, 0):
                raise Unmapped(node, f"padding {list(pad)} ({mode})", "Pad2d pads the sides of an image with zeros or edge copies.")
            return self.add("Pad2d", [self.tensor(node, x)], node.name, dict(zip(("left", "right", "top", "bottom"), pad),
                            mode="zeros" if mode == "constant" else mode))
        if fn and t is F.dropout:
            return self.add("Dropout", [self.tensor(node, x)], node.name, {"p": _arg(node, 1, "p", 0.5)})
        if op == "call_method" and t == "mean" or fn and t is torch.mean:
            dims = _arg(node, 1, "dim")
            dims = [dims] if isinstance(dims, int) else dims
            if dims is not None and sorted(d % 4 for d in dims) == [2, 3]:
                pooled = self.add("AdaptiveAvgPool2d", [self.tensor(node, x)], node.name, {"output_size": 1})
                return pooled if _arg(node, 2, "keepdim", False) else self.add("Flatten", [pooled], node.name + "_flat", {})
        raise Unmapped(node, f"the operation `{_name(node)}`")

    def activation(self, node, act, x, inside=None):
        params = {}
        if act == "leaky_relu":
            params = {"negative_slope": _arg(node, 1, "negative_slope", 0.01)}
        if act == "gelu" and node.kwargs.get("approximate", "none") != "none":
            raise Unmapped(node, "tanh-approximated GELU")
        return self.add(ACTIVATIONS[act][0], [inside or self.tensor(node, x)], node.name, params)

    def getitem(self, node, xv, index):
        if isinstance(xv, Size):
            return Size(xv)
        if isinstance(xv, Split) and isinstance(index, int):
            start, end = xv[1][index]
            return self.add("ChannelSlice", [xv[0]], node.name, {"start": start, "end": end})
        src = self.tensor(node, node.args[0])
        start, end = self.channel_range(node, node.args[0], index)
        return self.add("ChannelSlice", [src], node.name, {"start": start, "end": end})

    def channel_range(self, node, x, index) -> tuple[int, int]:
        """`x[:, a:b]` (and `x[:, a:b, :, :]`) → (a, b) in channels."""
        shape = _shape(x)
        index = index if isinstance(index, tuple) else (index,)
        full = slice(None, None, None)
        if shape is None or len(index) < 2 or index[0] != full or not isinstance(index[1], slice) \
                or any(i not in (full, Ellipsis) for i in index[2:]) or index[1].step not in (None, 1):
            raise Unmapped(node, f"indexing `[{', '.join(map(_index_text, index))}]`",
                           "Only channel slices x[:, a:b] have a block (ChannelSlice).")
        start, end, _ = index[1].indices(shape[0])
        if start >= end:
            raise Unmapped(node, "an empty channel slice")
        return start, end

    def setitem(self, node, x, index, value):
        """`x[:, a:b] = v` (written `x[:, a:b] += v` in ReXNet): x becomes the channels before,
        v, and the channels after, joined."""
        src, v = self.tensor(node, x), self.tensor(node, value)
        start, end = self.channel_range(node, x, index)
        c = _shape(x)[0]
        parts = ([self.add("ChannelSlice", [src], node.name + "_before", {"start": 0, "end": start})] if start else []) \
            + [v] + ([self.add("ChannelSlice", [src], node.name + "_after", {"start": end, "end": c})] if end < c else [])
        self.env[x] = parts[0] if len(parts) == 1 else self.add("Concat", parts, node.name, {})
        return None

    def split(self, node, how):
        x = node.args[0]
        dim = _arg(node, 2, "dim", 0)
        shape = _shape(x)
        if dim not in (1, -3) or shape is None:
            raise Unmapped(node, f"`{how}` along dimension {dim}", "Only splitting channels has a block (ChannelSlice).")
        c, arg = shape[0], node.args[1] if len(node.args) > 1 else node.kwargs.get("split_size_or_sections",
                                                                               node.kwargs.get("chunks"))
        if how == "chunk":
            step = -(-c // arg)
            sizes = [min(step, c - i) for i in range(0, c, step)]
        else:
            sizes = list(arg) if isinstance(arg, (list, tuple)) else [min(arg, c - i) for i in range(0, c, arg)]
        bounds, start = [], 0
        for s in sizes:
            bounds.append((start, start + s))
            start += s
        return Split((self.tensor(node, x), bounds))

    def multiply(self, node, pair):
        vals = [self.env.get(a) if isinstance(a, fx.Node) else a for a in pair]
        attrs = [v for v in vals if isinstance(v, Attr)]
        if attrs:
            x = next((a for a, v in zip(pair, vals) if isinstance(v, str)), None)
            if x is None or len(attrs) != 1:
                raise Unmapped(node, "a product of tensor attributes")
            return self.scale(node, self.env[x], attrs[0][0])
        if any(not isinstance(v, str) for v in vals):
            raise Unmapped(node, "multiplying by a number", "Only tensors flow along wires.")
        return self.add("Mul", list(vals), node.name, {})

    def scale(self, node, x, attr):
        """x · γ with one γ per channel → LayerScale."""
        owner, _, name = attr.rpartition(".")
        gamma = getattr(self.modules[owner], name)
        shape = _shape(node.args[0]) if isinstance(node.args[0], fx.Node) else None
        c = shape[0] if shape else None
        if not isinstance(gamma, torch.Tensor) or gamma.numel() != c or not gamma.requires_grad:
            raise Unmapped(node, f"multiplying by the tensor `{attr}`")
        return self.add("LayerScale", [x], node.name, {}, [attr])  # γ comes with the weights

    def channels_last(self, node, op, t, x):
        fn = op == "call_function"
        if op == "call_method" and t == "permute" and tuple(a % 4 for a in node.args[1:]) == CHANNELS_FIRST or \
                fn and t is torch.permute and tuple(a % 4 for a in node.args[1]) == CHANNELS_FIRST:
            return x
        if fn and t in _MUL or op == "call_method" and t in ("mul", "mul_"):
            vals = [self.env.get(a) for a in node.args[:2]]
            attr = next((v for v in vals if isinstance(v, Attr)), None)
            if attr is not None:
                return ChannelsLast((self.scale(node, x, attr[0]),))
        act = ACT_FUNCS.get(t) if fn else ACT_METHODS.get(t)
        if act is not None:
            return ChannelsLast((self.activation(node, act, None, inside=x),))
        if op == "call_method" and t in _NOOP_METHODS:
            return ChannelsLast((x,))
        raise Unmapped(node, f"the operation `{_name(node)}` on channels-last data")

    def _is_flatten(self, node, op, t) -> bool:
        args = node.args
        if op == "call_function" and t is torch.flatten or op == "call_method" and t == "flatten":
            return _arg(node, 1, "start_dim", 0) == 1 and _arg(node, 2, "end_dim", -1) == -1
        if op == "call_method" and t in ("view", "reshape") and len(args) == 3:
            first = self.env.get(args[1]) if isinstance(args[1], fx.Node) else None
            return isinstance(first, Size) and args[2] == -1
        return False

    def _pool(self, node, t):
        kw = node.kwargs
        vals = {k: _arg(node, i + 1, k) for i, k in enumerate(("kernel_size", "stride", "padding"))}
        # without padding, leaving it out of the average changes nothing
        if t is F.avg_pool2d and (kw.get("count_include_pad", True) is False and vals["padding"] not in (None, 0, (0, 0))
                                  or kw.get("divisor_override")):
            raise Unmapped(node, "average pooling that leaves the padding out of the average")
        if t is F.max_pool2d and kw.get("dilation", 1) != 1:
            raise Unmapped(node, "dilated max pooling")
        vals = {k: list(v) if isinstance(v, (tuple, list)) else v for k, v in vals.items()}
        return self.add("AvgPool2d" if t is F.avg_pool2d else "MaxPool2d", [self.tensor(node, node.args[0])],
                        node.name, {"kernel_size": vals["kernel_size"], "stride": vals["stride"] or None,
                                    "padding": vals["padding"] or 0, "ceil_mode": kw.get("ceil_mode", False)})


def _name(node) -> str:
    t = node.target
    return t if isinstance(t, str) else getattr(t, "__name__", str(t))


def _index_text(i) -> str:
    if isinstance(i, slice):
        return f"{'' if i.start is None else i.start}:{'' if i.stop is None else i.stop}" + \
            (f":{i.step}" if i.step not in (None, 1) else "")
    return "..." if i is Ellipsis else repr(i)
