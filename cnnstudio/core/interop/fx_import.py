"""A torch `nn.Module` → a CNN Studio graph, by tracing it with torch.fx.

Modules with a block (modules_map.py), or that behave like one (modules_like.py), stay whole;
everything else is traced through to functions, which map to blocks (fx_builder.py). What still
has no block is kept as a PyTorch-module block: the innermost module around it, made a leaf,
traced again. Then folding (fold.py) makes the graph readable: Conv → BatchNorm → activation
becomes ConvBNAct, residual and inverted-residual patterns become their composite blocks.
"""
from __future__ import annotations

import linecache
import os
import traceback

import torch
import torch.fx as fx
import torch.nn as nn
from torch.fx.passes.shape_prop import ShapeProp

from .errors import InteropError
from .fold import fold
from .fx_builder import FxBuilder, Unmapped
from .modules_like import blocks_for

MAX_KEPT = 500  # PyTorch-module blocks one import may make before it gives up


class _TraceFailed(Exception):
    def __init__(self, path: str, error: Exception):
        super().__init__(str(error))
        self.path, self.error = path, error


class _Tracer(fx.Tracer):
    """Keeps modules with a block (and the ones kept whole) as leaves; a failure inside a
    module's forward names the innermost module. `leaves` is worked out before tracing: while
    it runs, reading a module's tensors would add nodes to the trace."""

    def __init__(self, leaves: set):
        super().__init__()
        self.record_stack_traces = True
        self.leaves = leaves

    def is_leaf_module(self, m, qualname):
        return qualname in self.leaves or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        try:
            return super().call_module(m, forward, args, kwargs)
        except _TraceFailed:
            raise
        except Exception as e:  # noqa: BLE001 - any failure of the model's code is located, then handled
            raise _TraceFailed(self.path_of_module(m), e) from e


def _where(node: fx.Node) -> str:
    """'file.py, line 12: `code`' for the model's line that made this node."""
    st = node.stack_trace or ""
    skip = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    lines = [ln for ln in st.splitlines() if ln.strip().startswith("File ") and not any(d in ln for d in skip)]
    if not lines:
        return ""
    last = lines[-1].strip()
    try:
        path = last.split('"')[1]
        lineno = int(last.split("line ")[1].split(",")[0])
    except (IndexError, ValueError):
        return ""
    return f" ({os.path.basename(path)}, line {lineno}: `{linecache.getline(path, lineno).strip()}`)"


def _trace_failure(e: Exception, name: str) -> InteropError:
    frames = traceback.extract_tb(e.__traceback__)
    ours = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    user = [f for f in frames if not f.filename.startswith(ours)]
    where = f" at {os.path.basename(user[-1].filename)}, line {user[-1].lineno}: `{(user[-1].line or '').strip()}`" \
        if user else ""
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    if "control flow" in msg or "iterate" in msg or "len(" in msg:
        what = ("it decides what to compute from the values or sizes of tensors (data-dependent control flow), "
                "which a fixed block diagram cannot express")
    else:
        what = f"tracing stopped: {msg}"
    return InteropError(f"Cannot import {name}: {what}{where}. Rewrite that line without branching on tensor "
                        f"values (e.g. torch.where), or import the model as ONNX instead.")


def _class(m) -> str:
    return f"{type(m).__module__}.{type(m).__qualname__}"


def _enclosing(u: Unmapped) -> str:
    """The module to keep whole for an unmapped node: a leaf layer without a block itself; for a
    layer or a kept module used in a way no block covers, the module around it; for a function,
    the innermost module it runs in ("" for the model's own forward)."""
    node = u.node
    if node.op == "call_module" and u.keep_self:
        return node.target
    stack = list((node.meta.get("nn_module_stack") or {}).keys())
    if node.op == "call_module":
        stack = [p for p in stack if p != node.target]
        parent = node.target.rpartition(".")[0]
        return parent if parent in stack or not stack else stack[-1]
    return stack[-1] if stack else ""


def module_to_graph(model: nn.Module, input_shape, name: str = "model", source: str | None = None):
    """(graph, {node id: source modules or tensors}, source parameters used, notes).
    `source` (timm:NAME, package.module:factory) lets parts without blocks be kept whole."""
    modules = dict(model.named_modules())
    blocks = {q: b for q, m in modules.items() if q and (b := blocks_for(m)) is not None}
    kept: dict[str, str] = {}  # module path → why it is kept whole
    device = next((p.device for p in model.parameters()), torch.device("cpu"))  # a meta model: shapes only
    x = torch.zeros(1, *input_shape, device=device)
    for _ in range(MAX_KEPT):
        leaves = set(blocks) | set(kept)
        try:
            graph = _Tracer(leaves).trace(model)
        except _TraceFailed as f:
            _keep(f.path, f"tracing stopped: {str(f.error).splitlines()[0] if str(f.error) else type(f.error).__name__}",
                  kept, modules, source, name, f.error)
            _keep_alike(f.path, kept, modules, blocks)
            continue
        except Exception as e:  # noqa: BLE001 - a failure in the model's own forward
            raise _trace_failure(e, name) from None
        gm = fx.GraphModule(model, graph)
        try:
            with torch.no_grad():
                ShapeProp(gm).propagate(x)
        except Exception as e:  # noqa: BLE001 - the model refusing this input size is the user's message
            raise InteropError(f"Cannot import {name}: it does not run on an input of shape {list(input_shape)} "
                               f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). "
                               "Give the size it was made for with --input-shape C,H,W.") from None
        measure = _measurer(modules, source)
        b = FxBuilder(modules, blocks, {p: measure for p in kept}, input_shape, name)
        try:
            b.run(graph)
        except Unmapped as u:
            path = _enclosing(u)
            _keep(path, u.what + ("" if u.keep_self else _where(u.node)), kept, modules, source, name, None, u)
            _keep_alike(path, kept, modules, blocks)
            continue
        break
    else:
        raise InteropError(f"Cannot import {name}: more than {MAX_KEPT} of its modules have no CNN Studio block.")
    notes = [f"kept whole as a PyTorch-module block: {p} ({_class(modules[p])}): {why}" for p, why in kept.items()]
    notes += fold(b)
    used = set()
    for names in b.sources.values():
        for n in names:
            obj = modules.get(n)
            used.update(id(p) for p in (obj.parameters() if obj is not None else [_tensor(modules, n)]))
    source_params = sum(p.numel() for p in model.parameters() if id(p) in used)
    return b.graph(), b.sources, source_params, notes


def _tensor(modules: dict, qualname: str):
    owner, _, attr = qualname.rpartition(".")
    return getattr(modules[owner], attr)


def _keep(path, why, kept, modules, source, name, error=None, unmapped=None) -> None:
    """Make the module at `path` a leaf kept whole, or refuse the import in the user's terms."""
    if not path or source is None or path in kept:
        if error is not None:
            raise _trace_failure(error, name) from None
        where = f" in `{path}` ({_class(modules[path])})" if path else ""
        advice = unmapped.advice or ("Replace it with a standard layer, or import the model as ONNX." if not path else
                                     "Import it from a source CNN Studio can build again (package.module:factory or "
                                     "timm:NAME) to keep that module whole as a PyTorch-module block.")
        raise InteropError(f"Cannot import {name}: {why}{where} has no CNN Studio block. {advice}")
    kept[path] = why


def _keep_alike(path: str, kept: dict, modules: dict, blocks: dict) -> None:
    """Modules of the same class run the same code: keep them whole at once (one trace, not one per copy)."""
    cls = type(modules[path])
    if cls in (nn.Sequential, nn.ModuleList, nn.ModuleDict):
        return
    for q, m in modules.items():
        if type(m) is cls and q not in kept and q not in blocks and not any(q.startswith(k + ".") for k in kept):
            kept[q] = kept[path]


def _measurer(modules: dict, source: str):
    from ..blocks.torch_module import measure

    def params_of(node: fx.Node) -> dict:
        path = node.target
        m = modules[path]
        ins = [a for a in node.args if isinstance(a, fx.Node)]
        meta = node.meta.get("tensor_meta")
        if len(ins) != 1 or len(node.args) != 1 or node.kwargs or not hasattr(meta, "shape") or \
                any(u.op == "call_function" and u.target.__name__ == "getitem" for u in node.users):
            raise Unmapped(node, f"the module `{path}` takes or gives more than one tensor")
        shape = tuple(ins[0].meta["tensor_meta"].shape[1:])
        return {"source": source, "path": path, "class_name": _class(m), "io": [measure(m, [shape])]}
    return params_of
