"""An ONNX file → a CNN Studio graph and weights. Reading it parses protobuf only: no code runs.

A file CNN Studio wrote carries its project in the metadata: it comes back block for block,
composites included, with the weights by name. Any other file maps operator by operator to
plain blocks (then Conv → BatchNorm → activation folds into ConvBNAct, as for PyTorch models);
an operator without a block is refused by name.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from ..analysis import analyze
from .errors import InteropError
from .export import GRAPH_KEY
from .fx_import import _Builder, _fold
from .imported import Imported
from .weights import map_weights, meta_model

ACTS = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "HardSwish": "Hardswish", "LeakyRelu": "LeakyReLU",
        "Elu": "ELU"}


class _Tensors:
    """Stands in for a torch module: its tensors, in torch's order."""

    def __init__(self, **tensors):
        self.tensors = OrderedDict((k, v) for k, v in tensors.items() if v is not None)

    def state_dict(self):
        return self.tensors


def import_onnx(path, input_shape=None) -> Imported:
    import onnx
    from onnx import numpy_helper
    path = Path(path)
    if not path.is_file():
        raise InteropError(f"{path}: no such file.")
    from .onnx_check import validate
    model = validate(path)  # checked whole before anything is built from it (issue 19)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < 13:
        raise InteropError(f"{path.name} uses ONNX opset {opset}; CNN Studio reads opset 13 and later. Re-export it "
                           "with a newer opset (torch.onnx.export(..., opset_version=17)).")
    g = model.graph
    init = {i.name: torch.from_numpy(np.array(numpy_helper.to_array(i))) for i in g.initializer}
    for n in g.node:  # shared tensors appear as Identity of another initializer
        if n.op_type == "Identity" and n.input[0] in init:
            init[n.output[0]] = init[n.input[0]]
        if n.op_type == "Constant":
            init[n.output[0]] = torch.from_numpy(np.array(numpy_helper.to_array(n.attribute[0].t)))
    inputs = [i for i in g.input if i.name not in init]
    if len(inputs) != 1 or len(g.output) != 1:
        raise InteropError(f"{path.name} has {len(inputs)} inputs and {len(g.output)} outputs; CNN Studio networks "
                           "take one image batch and give one output.")
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    shape = tuple(input_shape) if input_shape else tuple(dims[1:])
    if len(shape) != 3 or None in shape:
        raise InteropError(f"{path.name}: its input is {dims}; give the image size with --input-shape C,H,W.")
    meta = {p.key: p.value for p in model.metadata_props}
    reference = _onnx_reference(path, inputs[0].name, dims[0] if dims else None)
    if GRAPH_KEY in meta:
        ours = _from_metadata(meta[GRAPH_KEY], init, path.stem, reference)
        if ours is not None:
            return ours
    return _from_operators(g, init, shape, path.stem, reference)


def _onnx_reference(path, input_name, batch):
    """The file run by onnxruntime; a file exported for a fixed batch size runs in pieces."""
    import onnxruntime as ort
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def run(x):
        step = batch or len(x)
        return torch.cat([torch.from_numpy(session.run(None, {input_name: x[i:i + step].numpy()})[0])
                          for i in range(0, len(x), step)])
    return run


def _from_metadata(text: str, init: dict, name: str, reference) -> Imported | None:
    from ..project import ProjectError, parse_project
    try:
        graph = parse_project({"format": "cnnstudio.project", "version": 1, "graph": json.loads(text)}).graph
    except (ProjectError, ValueError):
        return None
    if not analyze(graph).ok:
        return None
    weights = {}
    for key, t in meta_model(graph).state_dict().items():
        if key in init and tuple(init[key].shape) == tuple(t.shape):
            weights[key] = init[key]
        elif key.endswith("num_batches_tracked"):
            weights[key] = torch.zeros((), dtype=torch.long)
        else:
            return None  # renamed or folded by another tool: read the operators instead
    total = sum(v.numel() for k, v in weights.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    return Imported(name, graph, weights, total, reference, ["read the CNN Studio project stored in the file"])


def _attrs(node) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _from_operators(g, init: dict, shape, name: str, reference) -> Imported:  # noqa: C901 - one branch per op
    b = _Builder({}, {}, shape, name)
    first = next(i.name for i in g.input if i.name not in init)
    env = {first: b.add("Input", [], "input", {"shape": list(shape)})}
    modules = {}

    def refuse(node, what):
        return InteropError(f"Cannot import {name}: {what} (ONNX node {node.name or node.output[0]!r}) has no CNN "
                            "Studio block. Export the model without it, or with standard layers.")

    def flowing(node, i=0):
        x = node.input[i]
        if x not in env:
            raise refuse(node, f"the {node.op_type} operator on a constant tensor")
        return env[x]

    def add(node, type_, ins, params, **tensors):
        key = node.name or node.output[0]
        if tensors:
            modules[key] = _Tensors(**tensors)
        return b.add(type_, ins, key.strip("/").replace("/", "_") or type_.lower(), params, [key] if tensors else [])

    def pads(node, a, k):
        p = list(a.get("pads", [0] * 2 * k))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or p[:k] != p[k:]:
            raise refuse(node, f"asymmetric or automatic padding {p}")
        return p[0] if p[0] == p[1] else p[:k]

    def size(v):
        v = list(v)
        return v[0] if len(set(v)) == 1 else v

    for node in g.node:
        op, a = node.op_type, _attrs(node)
        if op in ("Identity", "Dropout", "Constant") and (node.input[0] in env if node.input else False):
            env[node.output[0]] = env[node.input[0]]
            continue
        if op in ("Identity", "Constant"):
            continue
        if op == "Conv":
            w = init.get(node.input[1])
            if w is None or w.dim() != 4:
                raise refuse(node, "a Conv whose weights are not a constant 2-D kernel")
            bias = init.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            p = {"out_channels": w.shape[0], "kernel_size": size(w.shape[2:]), "stride": size(a.get("strides", [1, 1])),
                 "padding": pads(node, a, 2), "dilation": size(a.get("dilations", [1, 1])), "groups": a.get("group", 1),
                 "bias": bias is not None}
            nid = add(node, "Conv2d", [flowing(node)], p, weight=w, bias=bias)
        elif op == "BatchNormalization":
            t = [init.get(x) for x in node.input[1:5]]
            if any(v is None for v in t):
                raise refuse(node, "a BatchNormalization with non-constant statistics")
            nid = add(node, "BatchNorm2d", [flowing(node)], {"eps": a.get("epsilon", 1e-5),
                      "momentum": round(1 - a.get("momentum", 0.9), 6)}, weight=t[0], bias=t[1], running_mean=t[2],
                      running_var=t[3], num_batches_tracked=torch.zeros((), dtype=torch.long))
        elif op in ACTS:
            p = {"negative_slope": a.get("alpha", 0.01)} if op == "LeakyRelu" else {"alpha": a.get("alpha", 1.0)} if op == "Elu" else {}
            nid = add(node, ACTS[op], [flowing(node)], p)
        elif op == "HardSigmoid" and abs(a.get("alpha", 0.2) - 1 / 6) < 1e-6 and a.get("beta", 0.5) == 0.5:
            nid = add(node, "Hardsigmoid", [flowing(node)], {})
        elif op == "Clip" and len(node.input) == 3 and all(x in init for x in node.input[1:]) \
                and float(init[node.input[1]]) == 0 and float(init[node.input[2]]) == 6:
            nid = add(node, "ReLU6", [flowing(node)], {})
        elif op == "Softmax" and a.get("axis", -1) in (1, -1):
            nid = add(node, "Softmax", [flowing(node)], {})
        elif op in ("Add", "Mul"):
            nid = add(node, op, [flowing(node, 0), flowing(node, 1)], {})
        elif op == "Concat" and a.get("axis") == 1:
            nid = add(node, "Concat", [flowing(node, i) for i in range(len(node.input))], {})
        elif op in ("MaxPool", "AveragePool"):
            if op == "AveragePool" and not a.get("count_include_pad", 0) and any(a.get("pads", [0])):
                raise refuse(node, "average pooling that leaves the padding out of the average")
            k = a["kernel_shape"]
            nid = add(node, "MaxPool2d" if op == "MaxPool" else "AvgPool2d", [flowing(node)],
                      {"kernel_size": size(k), "stride": size(a.get("strides", [1, 1])), "padding": pads(node, a, 2),
                       "ceil_mode": bool(a.get("ceil_mode", 0))})
        elif op == "GlobalAveragePool":
            nid = add(node, "AdaptiveAvgPool2d", [flowing(node)], {"output_size": 1})
        elif op == "ReduceMean" and _spatial_axes(node, a, init):
            nid = add(node, "AdaptiveAvgPool2d", [flowing(node)], {"output_size": 1})
            if not a.get("keepdims", 1):
                nid = b.add("Flatten", [nid], nid + "_flat", {})
        elif op == "Flatten" and a.get("axis", 1) == 1 or op == "Reshape" and _is_flatten(init.get(node.input[1])):
            nid = add(node, "Flatten", [flowing(node)], {})
        elif op == "Gemm" and a.get("transB") == 1 and not a.get("transA") and a.get("alpha", 1.0) == 1.0:
            w = init.get(node.input[1])
            bias = init.get(node.input[2]) if len(node.input) > 2 else None
            nid = add(node, "Linear", [flowing(node)], {"out_features": w.shape[0], "bias": bias is not None},
                      weight=w, bias=bias)
        else:
            raise refuse(node, f"the ONNX operator {op}")
        env[node.output[0]] = nid
    b.output = env.get(g.output[0].name)
    b.modules = modules
    _fold(b)
    graph = b.graph()
    analysis = analyze(graph)
    if not analysis.ok:
        problems = "; ".join(f"{p.node}: {p.message}" for p in analysis.errors[:3])
        raise InteropError(f"Cannot import {name}: {problems}")
    weights = map_weights(graph, b.sources, modules)
    total = sum(v.numel() for k, v in weights.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    return Imported(name, graph, weights, total, reference, ["mapped operator by operator"])


def _is_flatten(target) -> bool:
    """A reshape to [batch, features] (-1 or 0 for either, or a fixed batch size as exporters
    write after global pooling). The import is checked against onnxruntime afterwards."""
    return target is not None and target.dim() == 1 and len(target) == 2


def _spatial_axes(node, a, init) -> bool:
    """ReduceMean over height and width (axes an attribute before opset 18, an input since)."""
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1] in init:
        axes = [int(v) for v in init[node.input[1]].flatten()]
    return axes is not None and sorted(int(v) % 4 for v in axes) == [2, 3]
