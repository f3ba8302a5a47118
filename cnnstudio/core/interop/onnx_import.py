"""An ONNX file → a CNN Studio graph and weights. Reading it parses protobuf only: no code runs.

A file CNN Studio wrote carries its project in the metadata: it comes back block for block,
composites included, with the weights by name. Any other file maps operator by operator to
plain blocks (then Conv → BatchNorm → activation folds into ConvBNAct, as for PyTorch models);
an operator without a block is refused by name.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..analysis import analyze
from .errors import InteropError
from .export import GRAPH_KEY
from .fold import fold
from .onnx_ops import OnnxBuilder
from .imported import Imported
from .weights import map_weights, meta_model


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
    return _from_operators(model, init, shape, path.stem, reference)


def _onnx_reference(path, input_name, batch):
    """The file run by onnxruntime; a file exported for a fixed batch size runs in pieces."""
    from .onnx_check import ort_session
    session = ort_session(path)

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


def _shapes(model, input_name, shape) -> dict:
    """Every tensor's shape for a batch of one at the given input size (ONNX shape inference)."""
    import onnx
    m = onnx.ModelProto()
    m.CopyFrom(model)
    dims = m.graph.input[[i.name for i in m.graph.input].index(input_name)].type.tensor_type.shape.dim
    for d, v in zip(dims, (1, *shape)):
        d.ClearField("dim_param")
        d.dim_value = v
    try:
        m = onnx.shape_inference.infer_shapes(m, data_prop=True)
    except Exception:  # noqa: BLE001 - without shapes, the shape-dependent patterns are refused by name
        return {}
    out = {}
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        d = [x.dim_value if x.HasField("dim_value") else None for x in vi.type.tensor_type.shape.dim]
        if d and None not in d:
            out[vi.name] = d
    return out


def _from_operators(model, init: dict, shape, name: str, reference) -> Imported:
    g = model.graph
    first = next(i.name for i in g.input if i.name not in init)
    b = OnnxBuilder(g, init, _shapes(model, first, shape), shape, name)
    b.run()
    notes = ["mapped operator by operator"] + fold(b)
    if b.restored:
        notes.append(f"restored {b.restored} BatchNorm layer(s) the exporter had folded into the convolutions "
                     "(scale 1, shift = the conv's bias), so the composite blocks train like the original")
    graph = b.graph()
    analysis = analyze(graph)
    if not analysis.ok:
        problems = "; ".join(f"{p.node}: {p.message}" for p in analysis.errors[:3])
        raise InteropError(f"Cannot import {name}: {problems}")
    weights = map_weights(graph, b.sources, b.modules)
    total = sum(v.numel() for k, v in weights.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    return Imported(name, graph, weights, total, reference, notes)
