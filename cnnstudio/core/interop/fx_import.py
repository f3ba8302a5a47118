"""A torch `nn.Module` → a CNN Studio graph plus its weights, by tracing it with torch.fx.

Modules with a block (see modules_map.py) stay whole, torchvision's composites included;
everything else is traced through to functions, which map to blocks or are refused with the
source line. Then Conv2d → BatchNorm2d → activation chains fold into ConvBNAct blocks and a
lone activation after a Conv2d or Linear becomes its `activation` option.
"""
from __future__ import annotations

import linecache
import operator
import os
import traceback
from dataclasses import dataclass, field

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F

from ..blocks.activations import ACTIVATIONS
from ..graph import Graph
from .errors import InteropError
from .modules_map import block_for

_ACT_FUNCS = {F.relu: "relu", torch.relu: "relu", F.relu6: "relu6", F.hardswish: "hardswish",
              F.hardsigmoid: "hardsigmoid", torch.sigmoid: "sigmoid", F.silu: "silu", F.gelu: "gelu",
              torch.tanh: "tanh", F.leaky_relu: "leaky_relu", F.elu: "elu"}
_ACT_METHODS = {"relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}
_ADD = {operator.add, operator.iadd, torch.add}
_MUL = {operator.mul, operator.imul, torch.mul}


@dataclass
class Imported:
    graph: Graph
    weights: dict  # compiled-model state_dict key → tensor
    source_params: int  # parameters of the source model that the graph uses
    notes: list = field(default_factory=list)


class _Tracer(fx.Tracer):
    """Keeps modules with a block whole. `blocks` is worked out before tracing: while it runs,
    reading a module's tensors would add nodes to the trace."""

    def __init__(self, blocks: dict):
        super().__init__()
        self.record_stack_traces = True
        self.blocks = blocks

    def is_leaf_module(self, m, qualname):
        return qualname in self.blocks or super().is_leaf_module(m, qualname)


def _where(node: fx.Node) -> str:
    """'file.py, line 12: `code`' for the user's line that made this node."""
    st = node.stack_trace or ""
    torch_dir = os.path.dirname(torch.__file__)
    lines = [ln for ln in st.splitlines() if ln.strip().startswith("File ") and torch_dir not in ln]
    if not lines:
        return ""
    last = lines[-1].strip()
    try:
        path = last.split('"')[1]
        lineno = int(last.split("line ")[1].split(",")[0])
    except (IndexError, ValueError):
        return ""
    code = linecache.getline(path, lineno).strip()
    return f" ({os.path.basename(path)}, line {lineno}: `{code}`)"


def _trace_failure(e: Exception, name: str) -> InteropError:
    """Name the user's line that tracing could not pass (control flow on tensor values, ...)."""
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


def trace(model: nn.Module, name: str) -> tuple[fx.Graph, dict]:
    """(fx graph, {module name: its block or None})."""
    blocks = {}
    for qualname, m in model.named_modules():
        found = block_for(m)
        if found is not None:
            blocks[qualname] = found
    tracer = _Tracer(blocks)
    try:
        graph = tracer.trace(model)
    except Exception as e:  # noqa: BLE001 - any failure of the user's code becomes a message
        raise _trace_failure(e, name) from None
    return graph, blocks


class _Builder:
    """Walks the fx graph in order, adding one block per node."""

    def __init__(self, modules: dict, blocks: dict, input_shape, name: str):
        self.blocks = blocks
        self.nodes: dict[str, tuple[str, dict]] = {}  # id → (block type, params), in order
        self.edges: list[tuple[str, str]] = []
        self.modules = modules
        self.input_shape = list(input_shape)
        self.name = name
        self.env: dict = {}  # fx node → our node id, or ("size", id) for x.size()
        self.sources: dict[str, list[str]] = {}  # node id → source module names whose weights it holds
        self.output = None

    def add(self, type_: str, ins: list, base: str, params: dict, sources=()) -> str:
        nid = base.replace(".", "_") or type_.lower()
        if nid in self.nodes:
            i = 2
            while f"{nid}_{i}" in self.nodes:
                i += 1
            nid = f"{nid}_{i}"
        self.nodes[nid] = (type_, dict(params))
        self.edges += [(s, nid) for s in ins]
        self.sources[nid] = list(sources)
        return nid

    def inputs_of(self, nid):
        return [s for s, t in self.edges if t == nid]

    def outputs_of(self, nid):
        return [t for s, t in self.edges if s == nid]

    def graph(self) -> Graph:
        from ..blocks import CATALOGUE
        g = Graph()
        for nid, (type_, params) in self.nodes.items():
            g.add(type_, *self.inputs_of(nid), id=nid, **{**CATALOGUE[type_].defaults(), **params})
        return g

    def refuse(self, node: fx.Node, what: str, advice: str) -> InteropError:
        return InteropError(f"Cannot import {self.name}: {what}{_where(node)} has no CNN Studio block. {advice}")

    def arg(self, node, a):
        if not isinstance(a, fx.Node) or a not in self.env or isinstance(self.env[a], tuple):
            raise self.refuse(node, f"`{node.target if isinstance(node.target, str) else getattr(node.target, '__name__', node.target)}` "
                              f"with a non-tensor input {a!r}", "Only tensors flow along wires.")
        return self.env[a]

    def run(self, graph: fx.Graph) -> None:
        for node in graph.nodes:
            self.env[node] = self.visit(node)

    def visit(self, node: fx.Node):  # noqa: C901 - one branch per kind of fx node
        op, t = node.op, node.target
        if op == "placeholder":
            if self.nodes:
                raise self.refuse(node, f"a second input `{t}`", "CNN Studio networks take one input image.")
            return self.add("Input", [], "input", {"shape": self.input_shape})
        if op == "output":
            out = node.args[0]
            if not isinstance(out, fx.Node):
                raise self.refuse(node, "several outputs", "Return one tensor (the class scores).")
            self.output = self.arg(node, out)
            return None
        if op == "get_attr":
            raise self.refuse(node, f"the tensor attribute `{t}` used directly in forward()",
                              "Wrap it in a module, or import the model as ONNX.")
        if op == "call_module":
            m = self.modules[t]
            found = self.blocks.get(t)
            if found is None:
                raise self.refuse(node, f"the layer `{t}` ({type(m).__name__})",
                                  "Replace it with a standard layer, or import the model as ONNX.")
            return self.add(found[0], [self.arg(node, node.args[0])], t, found[1], [t])
        return self.function(node, op, t)

    def function(self, node, op, t):  # noqa: C901
        args, kw = node.args, node.kwargs
        name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
        x = args[0] if args else None
        if op == "call_method" and t == "size" or op == "call_function" and t is getattr and args[1] == "shape":
            return ("size", self.arg(node, x))
        if op == "call_function" and t is operator.getitem and isinstance(self.env.get(x), tuple):
            return ("size", self.env[x][1])
        if (op == "call_function" and t in _ADD) or (op == "call_method" and t in ("add", "add_", "__iadd__")):
            return self.add("Add", [self.arg(node, a) for a in args[:2]], node.name, {})
        if (op == "call_function" and t in _MUL) or (op == "call_method" and t in ("mul", "mul_")):
            return self.add("Mul", [self.arg(node, a) for a in args[:2]], node.name, {})
        if op == "call_function" and t in (torch.cat, torch.concat):
            dim = kw.get("dim", args[1] if len(args) > 1 else 0)
            if dim not in (1, -3):
                raise self.refuse(node, f"concatenation along dimension {dim}", "Concat joins channels (dimension 1).")
            return self.add("Concat", [self.arg(node, a) for a in x], node.name, {})
        if self._is_flatten(node, op, t):
            return self.add("Flatten", [self.arg(node, x)], node.name, {})
        act = _ACT_FUNCS.get(t) if op == "call_function" else _ACT_METHODS.get(t)
        if act is not None:
            params = {}
            if act == "leaky_relu":
                params = {"negative_slope": kw.get("negative_slope", args[1] if len(args) > 1 else 0.01)}
            if act == "gelu" and kw.get("approximate", "none") != "none":
                raise self.refuse(node, "tanh-approximated GELU", "Use the exact GELU.")
            return self.add(ACTIVATIONS[act][0], [self.arg(node, x)], node.name, params)
        if op == "call_function" and t is F.adaptive_avg_pool2d:
            size = kw.get("output_size", args[1] if len(args) > 1 else None)
            size = list(size) if isinstance(size, (tuple, list)) else size
            return self.add("AdaptiveAvgPool2d", [self.arg(node, x)], node.name, {"output_size": size})
        if op == "call_function" and t in (F.avg_pool2d, F.max_pool2d):
            return self._pool(node, t, args, kw)
        if op == "call_function" and t is F.dropout:
            p = kw.get("p", args[1] if len(args) > 1 else 0.5)
            return self.add("Dropout", [self.arg(node, x)], node.name, {"p": p})
        if op == "call_method" and t == "mean" or op == "call_function" and t is torch.mean:
            dims = kw.get("dim", args[1] if len(args) > 1 else None)
            keep = kw.get("keepdim", args[2] if len(args) > 2 else False)
            if dims is not None and sorted(d % 4 for d in dims) == [2, 3]:
                pooled = self.add("AdaptiveAvgPool2d", [self.arg(node, x)], node.name, {"output_size": 1})
                return pooled if keep else self.add("Flatten", [pooled], node.name + "_flat", {})
        raise self.refuse(node, f"the operation `{name}`",
                          "Express it with standard layers, or import the model as ONNX.")

    def _is_flatten(self, node, op, t) -> bool:
        args, kw = node.args, node.kwargs
        if op == "call_function" and t is torch.flatten or op == "call_method" and t == "flatten":
            start = kw.get("start_dim", args[1] if len(args) > 1 else 0)
            end = kw.get("end_dim", args[2] if len(args) > 2 else -1)
            return start == 1 and end == -1
        if op == "call_method" and t in ("view", "reshape") and len(args) == 3:
            first = self.env.get(args[1]) if isinstance(args[1], fx.Node) else None
            return isinstance(first, tuple) and args[2] == -1
        return False

    def _pool(self, node, t, args, kw):
        names = ("kernel_size", "stride", "padding")
        vals = {k: kw.get(k, args[i + 1] if len(args) > i + 1 else None) for i, k in enumerate(names)}
        ceil = kw.get("ceil_mode", False)
        if t is F.avg_pool2d and (kw.get("count_include_pad", True) is False or kw.get("divisor_override")):
            raise self.refuse(node, "average pooling that leaves the padding out of the average",
                              "Use count_include_pad=True.")
        if t is F.max_pool2d and kw.get("dilation", 1) != 1:
            raise self.refuse(node, "dilated max pooling", "Use dilation 1.")
        vals = {k: list(v) if isinstance(v, (tuple, list)) else v for k, v in vals.items()}
        return self.add("AvgPool2d" if t is F.avg_pool2d else "MaxPool2d", [self.arg(node, args[0])], node.name,
                        {"kernel_size": vals["kernel_size"], "stride": vals["stride"] or None,
                         "padding": vals["padding"] or 0, "ceil_mode": ceil})


def _fold(b: _Builder) -> None:
    """Conv2d → BatchNorm2d → activation becomes one ConvBNAct; an activation alone after a
    Conv2d or Linear becomes its `activation` option. Weights keep their order."""
    from ..blocks import CATALOGUE
    acts = {cls: name for name, (cls, _) in ACTIVATIONS.items()}

    def full(nid):
        type_, params = b.nodes[nid]
        return type_, {**CATALOGUE[type_].defaults(), **params}

    def only_next(nid):
        outs = b.outputs_of(nid)
        return outs[0] if len(outs) == 1 and nid != b.output else None

    def plain_act(nid):
        return nid is not None and b.nodes[nid][0] in acts and not b.nodes[nid][1]

    for nid in list(b.nodes):
        if nid not in b.nodes:
            continue
        type_, p = full(nid)
        if type_ != "Conv2d" or p["padding_mode"] != "zeros" or p["activation"] != "none":
            continue
        bn = only_next(nid)
        if bn is None or b.nodes[bn][0] != "BatchNorm2d":
            continue
        bp = full(bn)[1]
        if not (bp["affine"] and bp["track_running_stats"]):
            continue
        act = only_next(bn)
        act = act if plain_act(act) else None
        params = {k: v for k, v in p.items() if k not in ("padding_mode", "activation")}
        params.update(eps=bp["eps"], momentum=bp["momentum"], activation=acts[b.nodes[act][0]] if act else "none")
        _replace_chain(b, [nid, bn] + ([act] if act else []), "ConvBNAct", params)
    for nid in list(b.nodes):
        if nid not in b.nodes or not plain_act(nid):
            continue
        src = b.inputs_of(nid)
        if len(src) == 1 and b.nodes[src[0]][0] in ("Conv2d", "Linear") and only_next(src[0]) == nid \
                and full(src[0])[1]["activation"] == "none":
            type_, p = b.nodes[src[0]]
            b.nodes[src[0]] = (type_, {**p, "activation": acts[b.nodes[nid][0]]})
            _replace_chain(b, [src[0], nid], type_, b.nodes[src[0]][1])


def _replace_chain(b: _Builder, chain: list, type_: str, params: dict) -> None:
    """One block of `type_` in place of the chain, in the first one's place and with its id;
    edges keep their order (a Concat's channel order)."""
    first, last, inside = chain[0], chain[-1], set(chain)
    b.nodes[first] = (type_, params)
    b.sources[first] = [s for n in chain for s in b.sources[n]]
    b.edges = [(first if s == last else s, t) for s, t in b.edges if not (s in inside and t in inside)]
    for n in chain[1:]:
        del b.nodes[n], b.sources[n]
        if b.output == n:
            b.output = first


def module_to_graph(model: nn.Module, input_shape, name: str = "model") -> tuple[Graph, dict, int]:
    """(graph, {node id: source module names}, parameters of the source that the graph uses)."""
    fx_graph, blocks = trace(model, name)
    modules = dict(model.named_modules())
    b = _Builder(modules, blocks, input_shape, name)
    b.run(fx_graph)
    _fold(b)
    graph = b.graph()
    used = set()
    for names in b.sources.values():
        for n in names:
            used.update(id(p) for p in modules[n].parameters())
    source_params = sum(p.numel() for p in model.parameters() if id(p) in used)
    return graph, b.sources, source_params
