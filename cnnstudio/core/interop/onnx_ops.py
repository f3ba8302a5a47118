"""ONNX operators → blocks, for files CNN Studio did not write. Shape arithmetic (Shape, Gather,
Div, ...) is computed once from the known input size; layout changes that real exporters write
around channels-last code (Transpose → LayerNormalization / MatMul → Transpose), the channel
shuffle (Reshape → Transpose → Reshape), channel splits and GELU spelled with Erf map to
blocks; an operator without a block is refused by node name and op."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch

from .builder import BuildGraph
from .errors import InteropError

ACTS = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "HardSwish": "Hardswish", "LeakyRelu": "LeakyReLU",
        "Elu": "ELU", "Gelu": "GELU"}
CL, CF = [0, 2, 3, 1], [0, 3, 1, 2]
_CONST_OPS = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Div", "Mul", "Add", "Sub", "Cast", "Slice",
              "Reshape", "Range", "ConstantOfShape", "Equal", "Where", "Expand", "Floor", "Ceil", "Sqrt", "Clip", "Max",
              "Min", "Neg", "Transpose"}  # sizes: TensorFlow's SAME padding computes max(..., 0) from the input's shape


class Tensors:
    """Stands in for a torch module: its tensors, in torch's order."""

    def __init__(self, **tensors):
        self.tensors = OrderedDict((k, v) for k, v in tensors.items() if v is not None)

    def state_dict(self):
        return self.tensors


class Tag(tuple):
    """(kind, id, extra): a value on its way to a block: "cl" channels-last view of id,
    "grouped"/"shuffled" halves of a channel shuffle, "gelu" steps, "flat" a reshape to 1-D."""


class OnnxBuilder(BuildGraph):
    restore_bn = True  # exporters fold BatchNorm into the convs; composites get it back (see as_cba_sources)

    def __init__(self, g, init: dict, shapes: dict, in_shape, name: str):
        super().__init__(name)
        self.g, self.init, self.shapes = g, init, shapes
        self.modules: dict = {}
        self.consts = {k: v.numpy() for k, v in init.items()}
        self.restored = 0
        first = next(i.name for i in g.input if i.name not in init)
        self.env = {first: self.add("Input", [], "input", {"shape": list(in_shape)})}

    # --- helpers ---------------------------------------------------------------------
    def refuse(self, node, what) -> InteropError:
        return InteropError(f"Cannot import {self.name}: {what} (ONNX node {node.name or node.output[0]!r}) has no "
                            "CNN Studio block. Export the model without it, or with standard layers.")

    def flowing(self, node, i=0):
        v = self.env.get(node.input[i])
        if not isinstance(v, str):
            raise self.refuse(node, f"the {node.op_type} operator on a constant or reshaped tensor")
        return v

    def node(self, node, type_, ins, params, **tensors) -> str:
        key = node.name or node.output[0]
        if tensors:
            self.modules[key] = Tensors(**tensors)
        return self.add(type_, ins, key.strip("/").replace("/", "_") or type_.lower(), params, [key] if tensors else [])

    def const(self, name):
        return self.consts.get(name) if name else None

    def tensor(self, name):
        v = self.const(name)
        return None if v is None else torch.from_numpy(np.array(v))

    def as_cba_sources(self, nid) -> list:
        """A Conv2d with a bias whose BatchNorm the exporter folded, as ConvBNAct's tensors: the conv
        without bias, then an identity BatchNorm whose shift is that bias (the outputs are the same)."""
        if self.nodes[nid][0] != "Conv2d":
            return self.sources[nid]
        (key,) = self.sources[nid]
        t = self.modules[key].tensors
        c = t["weight"].shape[0]
        self.modules[key + "#bn"] = Tensors(weight=t["weight"])
        shift = t["bias"] if "bias" in t else torch.zeros(c)
        self.modules[key + "#norm"] = Tensors(weight=torch.ones(c), bias=shift, running_mean=torch.zeros(c),
                                              running_var=torch.full((c,), 1 - 1e-5),
                                              num_batches_tracked=torch.zeros((), dtype=torch.long))
        self.restored += 1
        return [key + "#bn", key + "#norm"]

    def shape_of(self, name):
        """[N, C, ...] of a tensor: from ONNX shape inference, else from the blocks built so far."""
        if name in self.shapes:
            return self.shapes[name]
        v = self.env.get(name)
        if isinstance(v, str):
            from ..analysis import analyze
            info = analyze(self.graph()).info.get(v)
            if info is not None and info.out is not None:
                self.shapes[name] = [1, *info.shape]
                return self.shapes[name]
        return None

    # --- the operators ---------------------------------------------------------------
    def run(self) -> None:
        for node in self.g.node:
            if self.constant(node):
                continue
            out = self.visit(node)
            if out is not None:
                self.env[node.output[0]] = out
        self.output = self.env.get(self.g.output[0].name)
        if not isinstance(self.output, str):
            raise InteropError(f"Cannot import {self.name}: its output is not computed by blocks CNN Studio has.")

    def constant(self, node) -> bool:
        """Computes shape arithmetic and constants now; True if the node was one."""
        from onnx.reference import ReferenceEvaluator
        op = node.op_type
        if op == "Constant":
            from onnx import numpy_helper
            self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            return True
        if op == "Shape" and self.shape_of(node.input[0]):
            shape = np.array(self.shape_of(node.input[0]), dtype=np.int64)
            a = _attrs(node)
            self.consts[node.output[0]] = shape[a.get("start", 0):a.get("end", len(shape))]
            return True
        ins = [i for i in node.input if i]
        if op in _CONST_OPS | {"Identity"} and ins and all(i in self.consts for i in ins):
            try:
                outs = ReferenceEvaluator(node).run(None, {i: self.consts[i] for i in ins})
            except Exception:  # noqa: BLE001 - not computable here: treated as an operator
                return False
            self.consts.update(zip(node.output, outs))
            return True
        return False

    def visit(self, node):  # noqa: C901 - one branch per operator
        op, a = node.op_type, _attrs(node)
        tags = [self.env[i] for i in node.input if isinstance(self.env.get(i), Tag)]
        v = next((t for t in tags if t[0] == "gelu"), tags[0] if tags else None)
        if isinstance(v, Tag):
            return self.tagged(node, op, a, v)
        if op in ("Identity", "Dropout"):
            return self.flowing(node)
        if op == "Conv":
            return self.conv(node, a)
        if op == "BatchNormalization":
            t = [self.tensor(x) for x in node.input[1:5]]
            if any(x is None for x in t):
                raise self.refuse(node, "a BatchNormalization with non-constant statistics")
            return self.node(node, "BatchNorm2d", [self.flowing(node)], {"eps": a.get("epsilon", 1e-5),
                             "momentum": round(1 - a.get("momentum", 0.9), 6)}, weight=t[0], bias=t[1],
                             running_mean=t[2], running_var=t[3], num_batches_tracked=torch.zeros((), dtype=torch.long))
        if op in ACTS and not (op == "Gelu" and a.get("approximate", b"none") not in (b"none", "none")):
            p = {"negative_slope": a.get("alpha", 0.01)} if op == "LeakyRelu" else \
                {"alpha": a.get("alpha", 1.0)} if op == "Elu" else {}
            return self.node(node, ACTS[op], [self.flowing(node)], p)
        if op == "HardSigmoid" and abs(a.get("alpha", 0.2) - 1 / 6) < 1e-6 and a.get("beta", 0.5) == 0.5:
            return self.node(node, "Hardsigmoid", [self.flowing(node)], {})
        if op == "Clip" and len(node.input) == 3 and _num(self.const(node.input[1])) == 0 \
                and _num(self.const(node.input[2])) == 6:
            return self.node(node, "ReLU6", [self.flowing(node)], {})
        if op == "Softmax" and a.get("axis", -1) in (1, -1):
            return self.node(node, "Softmax", [self.flowing(node)], {})
        if op == "Mul" and self._scale_of(node, channels_last=False) is not None:
            x, gamma = self._scale_of(node, channels_last=False)
            return self.node(node, "LayerScale", [x], {}, gamma=gamma)
        if op in ("Add", "Mul"):
            return self.node(node, op, [self.flowing(node, 0), self.flowing(node, 1)], {})
        if op == "Concat" and a.get("axis") in (1, -3):
            return self.node(node, "Concat", [self.flowing(node, i) for i in range(len(node.input))], {})
        if op in ("MaxPool", "AveragePool"):
            return self.pool(node, op, a)
        if op == "Pad":
            return self.pad(node, a)
        if op == "GlobalAveragePool" or op == "ReduceMean" and self._spatial_axes(node, a):
            nid = self.node(node, "AdaptiveAvgPool2d", [self.flowing(node)], {"output_size": 1})
            return self.add("Flatten", [nid], nid + "_flat", {}) if op == "ReduceMean" and not a.get("keepdims", 1) \
                else nid
        if op == "Flatten" and a.get("axis", 1) == 1:
            return self.node(node, "Flatten", [self.flowing(node)], {})
        if op == "Reshape":
            return self.reshape(node)
        if op == "Transpose" and list(a.get("perm", [])) == CL:
            return Tag(("cl", self.flowing(node), None))
        if op in ("Split", "Slice"):
            return self.split(node, op, a)
        if op == "Gemm" and a.get("transB") == 1 and not a.get("transA") and a.get("alpha", 1.0) == 1.0:
            w, bias = self.tensor(node.input[1]), self.tensor(node.input[2]) if len(node.input) > 2 else None
            if w is None:
                raise self.refuse(node, "a Gemm whose weights are not constant")
            return self.node(node, "Linear", [self.flowing(node)], {"out_features": w.shape[0], "bias": bias is not None},
                             weight=w, bias=bias)
        if op == "Div" and _num(self.const(node.input[1])) is not None and \
                abs(_num(self.const(node.input[1])) - math.sqrt(2)) < 1e-4:
            return Tag(("gelu", self.flowing(node), "div"))
        raise self.refuse(node, f"the ONNX operator {op}")

    def conv(self, node, a):
        w = self.tensor(node.input[1])
        if w is None or w.dim() != 4:
            raise self.refuse(node, "a Conv whose weights are not a constant 2-D kernel")
        bias = self.tensor(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        x, pad = self.padded(node, a, "zeros")
        p = {"out_channels": w.shape[0], "kernel_size": _size(w.shape[2:]), "stride": _size(a.get("strides", [1, 1])),
             "padding": pad, "dilation": _size(a.get("dilations", [1, 1])), "groups": a.get("group", 1),
             "bias": bias is not None}
        return self.node(node, "Conv2d", [x], p, weight=w, bias=bias)

    def padded(self, node, a, mode):
        """(input, the layer's padding): unequal padding (TensorFlow's SAME: the odd pixel at the
        end) goes into a Pad2d before the layer; max pooling's, as edge copies (the same maxima)."""
        p = list(a.get("pads", [0] * 4))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or len(p) != 4:
            raise self.refuse(node, f"automatic padding {a.get('auto_pad')}")
        if p[:2] == p[2:]:
            return self.flowing(node), p[0] if p[0] == p[1] else p[:2]
        if mode == "replicate" and any(v > 1 for v in a.get("dilations", [1])):
            raise self.refuse(node, f"dilated max pooling with unequal padding {p}")
        return self.pad2d(node, self.flowing(node), p[1], p[3], p[0], p[2], mode), 0

    def pad2d(self, node, x, left, right, top, bottom, mode):
        name = (node.name or node.output[0]).strip("/").replace("/", "_") + "_pad"
        return self.add("Pad2d", [x], name, {"left": left, "right": right, "top": top, "bottom": bottom, "mode": mode})

    def pad(self, node, a):
        """ONNX Pad of an image's sides (not its batch or channels) with zeros or edge copies."""
        p = self.const(node.input[1]) if len(node.input) > 1 else a.get("pads")
        value = _num(self.const(node.input[2])) if len(node.input) > 2 and node.input[2] else a.get("value", 0.0)
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode == "constant" and value == -math.inf and self._only_max_pools(node.output[0]):
            mode = "edge"  # -inf before max pooling (MaxPool2dSame): edge copies give the same maxima, finite
        if p is None or len(p) != 8 or any(int(p[i]) for i in (0, 1, 4, 5)) or min(int(v) for v in p) < 0 or \
                mode not in ("constant", "edge") or mode == "constant" and value not in (0, None):
            raise self.refuse(node, f"padding {None if p is None else [int(v) for v in p]} ({mode})")
        top, left, bottom, right = (int(p[i]) for i in (2, 3, 6, 7))
        x = self.flowing(node)
        return self.pad2d(node, x, left, right, top, bottom, "zeros" if mode == "constant" else "replicate")

    def _only_max_pools(self, name) -> bool:
        readers = [n for n in self.g.node if name in n.input]
        return bool(readers) and all(n.op_type == "MaxPool" and max(_attrs(n).get("dilations", [1])) == 1
                                     for n in readers)

    def pool(self, node, op, a):
        if op == "AveragePool" and not a.get("count_include_pad", 0) and any(a.get("pads", [0])):
            raise self.refuse(node, "average pooling that leaves the padding out of the average")
        x, pad = self.padded(node, a, "replicate" if op == "MaxPool" else "zeros")
        return self.node(node, "MaxPool2d" if op == "MaxPool" else "AvgPool2d", [x],
                         {"kernel_size": _size(a["kernel_shape"]), "stride": _size(a.get("strides", [1, 1])),
                          "padding": pad, "ceil_mode": bool(a.get("ceil_mode", 0))})

    def reshape(self, node):
        target = self.const(node.input[1])
        x = self.flowing(node)
        src = self.shape_of(node.input[0])
        if target is None:
            raise self.refuse(node, "a Reshape to a size computed from the data")
        target = [int(t) for t in target]
        if len(target) == 2:
            return self.node(node, "Flatten", [x], {})
        if src and len(target) == 5 and len(src) == 4:
            n, c = src[0], src[1]
            g = target[1]
            if g > 0 and c % g == 0 and target[2] in (c // g, -1) and list(target[3:]) in (list(src[2:]), [-1, src[3]]):
                return Tag(("grouped", x, g))
        if src and len(target) == 1 and src[0] == 1:
            return Tag(("flat", x, tuple(src)))
        raise self.refuse(node, f"a Reshape to {target}")

    def split(self, node, op, a):
        x = self.flowing(node)
        src = self.shape_of(node.input[0])
        if op == "Slice":
            starts, ends = self.const(node.input[1]), self.const(node.input[2])
            axes = self.const(node.input[3]) if len(node.input) > 3 else [0]
            steps = self.const(node.input[4]) if len(node.input) > 4 else [1]
            if starts is None or ends is None or axes is None or list(axes) not in ([1], [-3]) or \
                    (steps is not None and list(steps) != [1]) or not src:
                raise self.refuse(node, "a Slice other than of channels")
            start, end, _ = slice(int(starts[0]), int(ends[0])).indices(src[1])
            return self.node(node, "ChannelSlice", [x], {"start": start, "end": end})
        sizes = self.const(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("split")
        if a.get("axis", 0) not in (1, -3) or not src:
            raise self.refuse(node, "a Split other than of channels")
        if sizes is None:
            sizes = [src[1] // len(node.output)] * len(node.output)
        start = 0
        for out, s in zip(node.output, [int(v) for v in sizes]):
            self.env[out] = self.add("ChannelSlice", [x], (node.name or out).strip("/").replace("/", "_"),
                                     {"start": start, "end": start + s})
            start += s
        return None

    def _scale_of(self, node, channels_last):
        """(x, γ as [C, 1, 1]) for x · γ with a constant per-channel γ."""
        for i, j in ((0, 1), (1, 0)):
            x, k = self.env.get(node.input[i]), self.const(node.input[j])
            shape = self.shape_of(node.input[i])
            if k is None or not shape or len(shape) != 4:
                continue
            c = shape[3] if channels_last else shape[1]
            if k.size == c and k.ndim >= 1 and (k.shape[-1] == c if channels_last else k.squeeze().shape == (c,)):
                return (x[1] if isinstance(x, Tag) else x), torch.from_numpy(np.array(k)).reshape(c, 1, 1)
        return None

    def _spatial_axes(self, node, a) -> bool:
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.const(node.input[1])
        return axes is not None and sorted(int(v) % 4 for v in axes) == [2, 3]

    def tagged(self, node, op, a, v):  # noqa: C901 - one branch per step of each layout pattern
        kind, x, extra = v
        if kind == "grouped" and op == "Transpose" and list(a.get("perm", [])) == [0, 2, 1, 3, 4]:
            return Tag(("shuffled", x, extra))
        if kind == "shuffled" and op == "Reshape":
            return self.node(node, "ChannelShuffle", [x], {"groups": extra})
        if kind == "flat" and op == "Gather":
            idx = self.const(node.input[1])
            if idx is not None and list(idx.shape) == list(extra) and np.array_equal(idx.flatten(), np.arange(idx.size)):
                return x
        if kind == "gelu":
            return self.gelu(node, op, x, extra)
        if kind == "cl":
            return self.channels_last(node, op, a, x)
        raise self.refuse(node, f"the ONNX operator {op} here")

    def gelu(self, node, op, x, step):
        """x · ½ · (1 + erf(x / √2)), its two products in either order. x is an id, or ("cl", id)."""
        k = next((_num(self.const(i)) for i in node.input if self.const(i) is not None), None)
        state = {("div", "Erf"): "erf", ("erf", "Add"): "plus1" if k == 1 else None,
                 ("plus1", "Mul"): "half" if k == 0.5 else "times_x" if k is None else None,
                 ("half", "Mul"): "done" if k is None else None,
                 ("times_x", "Mul"): "done" if k == 0.5 else None}.get((step, op))
        if state is None:
            raise self.refuse(node, f"the ONNX operator {op} inside what looked like a GELU")
        if state != "done":
            return Tag(("gelu", x, state))
        if isinstance(x, Tag):
            return Tag(("cl", self.node(node, "GELU", [x[1]], {}), None))
        return self.node(node, "GELU", [x], {})

    def channels_last(self, node, op, a, x):
        if op == "Transpose" and list(a.get("perm", [])) == CF:
            return x
        if op == "LayerNormalization" and a.get("axis", -1) in (-1, 3):
            w, bias = self.tensor(node.input[1]), self.tensor(node.input[2]) if len(node.input) > 2 else None
            if w is None or bias is None:
                raise self.refuse(node, "a LayerNormalization without a constant scale and shift")
            return Tag(("cl", self.node(node, "LayerNorm2d", [x], {"eps": a.get("epsilon", 1e-5)}, weight=w, bias=bias),
                        None))
        if op == "MatMul" and self.const(node.input[1]) is not None and self.const(node.input[1]).ndim == 2:
            w = self.tensor(node.input[1]).t().contiguous()
            k = w.shape[0]
            return Tag(("cl", self.node(node, "Conv2d", [x], {"out_channels": k, "kernel_size": 1, "padding": 0,
                                                               "bias": False}, weight=w.reshape(k, -1, 1, 1)), None))
        if op == "Add" and self.nodes.get(x, ("",))[0] == "Conv2d" and not self.nodes[x][1]["bias"]:
            bias = next((self.tensor(i) for i in node.input if self.const(i) is not None), None)
            if bias is not None and bias.dim() == 1 and bias.shape[0] == self.nodes[x][1]["out_channels"]:
                self.nodes[x][1]["bias"] = True
                self.modules[self.sources[x][0]].tensors["bias"] = bias
                return Tag(("cl", x, None))
        if op == "Mul" and self._scale_of(node, channels_last=True) is not None:
            _, gamma = self._scale_of(node, channels_last=True)
            return Tag(("cl", self.node(node, "LayerScale", [x], {}, gamma=gamma), None))
        if op in ACTS:
            return Tag(("cl", self.node(node, ACTS[op], [x], {}), None))
        if op == "Div" and abs((_num(self.const(node.input[1])) or 0) - math.sqrt(2)) < 1e-4:
            return Tag(("gelu", Tag(("cl", x, None)), "div"))
        raise self.refuse(node, f"the ONNX operator {op} on channels-last data")


def _attrs(node) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _num(v):
    return None if v is None or np.size(v) != 1 else float(np.array(v).flatten()[0])


def _size(v):
    v = [int(x) for x in v]
    return v[0] if len(set(v)) == 1 else v
