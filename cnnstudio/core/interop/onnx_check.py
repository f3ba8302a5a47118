"""An ONNX file checked before anything is built from it: onnx's checker and strict shape
inference, bounds on every size, and our own checks of each attribute the importer reads.
→ the loaded ModelProto, or InteropError with one line in the user's terms."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .errors import InteropError

MAX_FILE = 2 ** 31 - 1  # protobuf's limit for one message; bigger models keep weights in external files
MAX_DIM = 2 ** 31 - 1
MAX_ELEMENTS = 2 ** 31  # one tensor (8 GB of float32)
MAX_META = 16 << 20  # characters of one metadata value
MAX_DEPTH = 64  # nesting of the project JSON a file of ours carries
INTS = ("strides", "dilations", "kernel_shape", "pads", "axes")
POSITIVE = ("strides", "dilations", "kernel_shape")
CONST_INPUTS = {"Conv": (1, 2), "Gemm": (1, 2), "BatchNormalization": (1, 2, 3, 4), "ConvTranspose": (1, 2)}
KERNELS = ("Conv", "ConvTranspose")


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def validate(path):
    import onnx
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InteropError(f"{path}: no such file.") from None
    except OSError as e:
        raise InteropError(f"{path}: cannot read it ({e.strerror or e}).") from None
    if not stat.S_ISREG(st.st_mode):
        raise InteropError(f"{path}: not a regular file.")
    if st.st_size > MAX_FILE:
        raise InteropError(f"{path}: {st.st_size / 1e9:.1f} GB is past ONNX's 2 GB limit for one file.")
    bad = lambda why: InteropError(f"{path.name}: not a valid ONNX model ({why}).")  # noqa: E731
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # noqa: BLE001 - any damaged file is one message
        raise InteropError(f"{path}: not a readable ONNX file ({_first_line(e)}).") from None
    g = model.graph
    _external(model, path, bad)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in g.initializer):
        try:
            onnx.load_external_data_for_model(model, str(path.parent))
        except Exception as e:  # noqa: BLE001 - a short or unreadable data file
            raise bad(f"its weights file beside it cannot be read: {_first_line(e)}") from None
    _metadata(model, bad)
    _structure(g, bad)
    _sizes(g, bad)
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - the checker's own words, first line
        raise bad(_first_line(e)) from None
    _attributes(g, bad)
    try:
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as e:  # noqa: BLE001 - shape inference's own words, first line
        raise bad(_first_line(e)) from None
    _runtime_loads(path, bad)
    return model


def ort_session(path):
    """An onnxruntime session on the CPU that keeps its own error log quiet: a file it cannot
    load or run is reported by our caller, in one line."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.log_severity_level = 4  # fatal only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _runtime_loads(path: Path, bad) -> None:
    """Last: onnxruntime itself must accept the file (its checks go further than onnx's)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return
    try:
        ort_session(path)
    except Exception as e:  # noqa: BLE001 - onnxruntime's own words, first line
        raise bad(f"onnxruntime cannot load it: {_first_line(e)}") from None


def _external(model, path: Path, bad) -> None:
    """Weights in external files: only plain names beside the model (no path out of its folder)."""
    import onnx
    for t in model.graph.initializer:
        if t.data_location != onnx.TensorProto.EXTERNAL:
            continue
        where = {e.key: e.value for e in t.external_data}.get("location", "")
        if not where or os.path.isabs(where) or ".." in Path(where).parts or not (path.parent / where).is_file():
            raise bad(f"tensor {t.name!r} keeps its data in {where!r}, not a file beside the model")


def _metadata(model, bad) -> None:
    for p in model.metadata_props:
        if not isinstance(p.key, str) or not isinstance(p.value, str):
            raise bad("its metadata is not text")
        if len(p.value) > MAX_META:
            raise bad(f"metadata {p.key!r} is {len(p.value):,} characters long")
        if p.key == "cnnstudio.project" and _depth(p.value) > MAX_DEPTH:
            raise bad(f"metadata {p.key!r} is nested more than {MAX_DEPTH} deep")


def _depth(text: str) -> int:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    depth = deepest = 0
    for ch in re.findall(r"[\[\]{}]", text):
        depth += 1 if ch in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _structure(g, bad) -> None:
    """Every name read is produced first (the checker checks order, this says it in words), no
    name produced twice, and the outputs exist."""
    names = [v.name for v in list(g.initializer) + list(g.input) + list(g.output)]
    for n in g.node:
        names += [n.name, n.op_type, *n.input, *n.output, *(a.name for a in n.attribute)]
    if not all(isinstance(x, str) for x in names):  # protobuf gives bytes for names that are not UTF-8
        raise bad("a name in it is not text (not UTF-8)")
    known = {i.name for i in g.initializer} | {i.name for i in g.input}
    for n in g.node:
        for x in n.input:
            if x and x not in known:
                raise bad(f"node {n.name or n.op_type!r} reads {x!r}, which nothing before it produces (a cycle or a "
                          "missing tensor)")
        for y in n.output:
            if y in known:
                raise bad(f"tensor {y!r} is produced twice")
            known.add(y)
    for o in g.output:
        if o.name not in known:
            raise bad(f"the output {o.name!r} is not produced by any node")


def _sizes(g, bad) -> None:
    for v in list(g.input) + list(g.output) + list(g.value_info):
        for d in v.type.tensor_type.shape.dim:
            if d.HasField("dim_value") and not 0 <= d.dim_value <= MAX_DIM:
                raise bad(f"{v.name!r} has a dimension of {d.dim_value:,}")
    for t in g.initializer:
        n = 1
        for d in t.dims:
            if not 0 <= d <= MAX_DIM:
                raise bad(f"tensor {t.name!r} has a dimension of {d:,}")
            n *= d
        if n > MAX_ELEMENTS:
            raise bad(f"tensor {t.name!r} has {n:,} elements")
    from onnx import numpy_helper
    for t in g.initializer:  # the data must fill the shape it claims, exactly
        try:
            numpy_helper.to_array(t)
        except Exception as e:  # noqa: BLE001 - numpy's and onnx's words for a short or long buffer
            raise bad(f"tensor {t.name!r} holds data that does not fit its shape {list(t.dims)} ({_first_line(e)})")


def _attributes(g, bad) -> None:
    from onnx import AttributeProto
    consts = {i.name: list(i.dims) for i in g.initializer}
    for n in g.node:
        where = f"node {n.name or n.op_type!r} ({n.op_type})"
        a = {x.name: x for x in n.attribute}
        if n.op_type == "Identity" and n.input and n.input[0] in consts:  # a shared weight under another name
            consts[n.output[0]] = consts[n.input[0]]
            continue
        if n.op_type == "Constant":
            if len(n.attribute) != 1:
                raise bad(f"{where} has {len(n.attribute)} values; a Constant has one")
            if a.get("value") is not None:
                consts[n.output[0]] = list(a["value"].t.dims)
            continue
        for name in INTS:
            if name in a:
                if a[name].type != AttributeProto.INTS:
                    raise bad(f"{where}: {name} must be a list of integers")
                vals = list(a[name].ints)
                if name in POSITIVE and any(v < 1 for v in vals):
                    raise bad(f"{where}: {name} {vals} must be positive")
                if name == "pads" and any(v < 0 for v in vals):
                    raise bad(f"{where}: pads {vals} must not be negative")
        for i in CONST_INPUTS.get(n.op_type, ()):
            if i < len(n.input) and n.input[i] and n.input[i] not in consts:
                raise bad(f"{where}: its input {i} ({n.input[i]!r}) is computed, not a stored weight")
        if n.op_type in KERNELS and len(n.input) > 1 and n.input[1] in consts:
            rank = len(consts[n.input[1]])
            spatial = rank - 2
            if not 1 <= spatial <= 3:
                raise bad(f"{where}: its weight has {rank} dimensions; a convolution's has 3 to 5")
            for name, want in (("strides", spatial), ("dilations", spatial), ("kernel_shape", spatial),
                               ("pads", 2 * spatial)):
                if name in a and len(a[name].ints) != want:
                    raise bad(f"{where}: {name} has {len(a[name].ints)} values; a {spatial}-D kernel needs {want}")
        if n.op_type in ("MaxPool", "AveragePool"):
            k = len(a["kernel_shape"].ints) if "kernel_shape" in a else 0
            if k == 0:
                raise bad(f"{where}: it has no kernel_shape")
            for name, want in (("strides", k), ("dilations", k), ("pads", 2 * k)):
                if name in a and len(a[name].ints) != want:
                    raise bad(f"{where}: {name} has {len(a[name].ints)} values; a {k}-D kernel needs {want}")
