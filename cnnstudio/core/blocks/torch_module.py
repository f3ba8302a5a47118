"""The PyTorch-module block: a submodule of a model CNN Studio has no blocks for, kept whole.

A node records where the module comes from, never its code:

    {"type": "TorchModule", "params": {"source": "timm:skresnet18", "path": "layer1.0.conv1",
     "class_name": "timm.layers.selective_kernel.SelectiveKernel",
     "io": [{"in": [[64, 8, 8]], "out": [64, 8, 8], "params": 40224, "buffers": 288, "macs": 2362368}]}}

Compiling calls the source's factory again (`timm:NAME`, `torchvision:NAME` or
`package.module:factory`, imported from the installed packages, never from the project's
folder) and copies the submodule; its weights are the node's in the project's weights file.
`io` holds what the import measured, so checks need no torch; another input shape is measured
on the meta device once per process. MACs follow docs/costs.md like every block's, measured
with torch.utils.flop_counter (counting.py).
"""
from __future__ import annotations

import importlib
import importlib.util
import re

from .spec import BlockError, BlockSpec, Out, register

TYPE = "TorchModule"
STRUCTURE = ("source", "path", "class_name", "io")
_SOURCE = re.compile(r"^(timm|torchvision):[A-Za-z0-9_.]+$|^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:"
                     r"[A-Za-z][A-Za-z0-9_]*$")
_PATH = re.compile(r"^([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)?$")
PIP_NAMES = {"timm": "timm", "torchvision": "torchvision"}
_MODELS: dict = {}  # (source, device) → the built model, once per process
_MEASURED: dict = {}  # (source, path, input shapes) → Out or BlockError


class SourceError(Exception):
    """The model a block comes from cannot be built; the message says what to do."""


def package_of(source: str) -> str:
    return source.split(":", 1)[0].split(".")[0]


def full_params(params: dict) -> dict:
    return {"source": "", "path": "", "class_name": "", "io": [], **params}


def short_class(params: dict) -> str:
    """"timm.layers.SelectiveKernel": the package and the class, for the canvas."""
    name = full_params(params)["class_name"] or "module"
    parts = name.split(".")
    return f"{parts[0]}.{parts[-1]}" if len(parts) > 2 else name


def load_source(source: str):
    """The model `source` names, built (on torch's current default device), once per process."""
    import torch
    key = (source, str(torch.get_default_device()))
    if key not in _MODELS:
        _MODELS[key] = build_source(source)
    return _MODELS[key]


def build_source(source: str):
    import torch.nn as nn
    if not _SOURCE.match(source or ""):
        raise SourceError(f"{source!r} is not a model source (timm:NAME, torchvision:NAME or package.module:factory).")
    package = package_of(source)
    if importlib.util.find_spec(package) is None:
        raise SourceError(_missing(package))
    kind, _, name = source.partition(":")
    try:
        if kind == "timm":
            import timm
            model = timm.create_model(name, pretrained=False)
        elif kind == "torchvision":
            import torchvision
            model = torchvision.models.get_model(name, weights=None)
        else:
            model = _call_factory(kind, name)
    except SourceError:
        raise
    except Exception as e:  # noqa: BLE001 - the package's own failure is one line
        raise SourceError(f"building {name} failed: {type(e).__name__}: {e}") from None
    if not isinstance(model, nn.Module):
        raise SourceError(f"{name}() returned {type(model).__name__}, not a torch nn.Module.")
    return model.eval()


def _call_factory(module_name: str, attr: str):
    """Your own factory, as `cnnstudio import` or compiling calls it; never one of Python's or torch's
    own functions (a project file naming `os:abort` must not be able to run it)."""
    import sys
    if package_of(module_name) in sys.stdlib_module_names or package_of(module_name) in ("torch", "cnnstudio"):
        raise SourceError(f"{module_name} is not a package of models: a factory must be your own function or "
                          "class returning an nn.Module.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise SourceError(f"cannot import the Python module {module_name!r} ({e}). Run from the folder that holds "
                          "it, or add it to PYTHONPATH.") from None
    factory = getattr(module, attr, None)
    if not callable(factory) or (getattr(factory, "__module__", None) or "").split(".")[0] != package_of(module_name):
        raise SourceError(f"{module_name} has no function or class {attr!r} of its own package's.")
    return factory()


def _missing(package: str) -> str:
    return (f"needs the Python package '{package}', which is not installed here. "
            f"Install it (pip install {PIP_NAMES.get(package, package)}) and reopen the project.")


def submodule(params: dict):
    """A fresh copy of the block's module (trained weights load over it)."""
    import copy
    p = full_params(params)
    model = load_source(p["source"])
    try:
        m = model.get_submodule(p["path"]) if p["path"] else model
    except AttributeError:
        raise SourceError(f"{p['source']} has no submodule {p['path']!r} (another version of the package?).") from None
    found = f"{type(m).__module__}.{type(m).__qualname__}"
    if p["class_name"] and found != p["class_name"]:
        raise SourceError(f"{p['source']}'s {p['path']} is a {found}, not the {p['class_name']} the project "
                          "was imported with (another version of the package?).")
    return copy.deepcopy(m)


def measure(module, in_shapes) -> dict:
    """{"in", "out", "params", "buffers", "macs"} for a module fed tensors of `in_shapes`
    (batch 1, meta device: nothing is computed)."""
    import copy

    import torch

    from .counting import counter as macs_counter
    m = copy.deepcopy(module).to("meta").eval()
    xs = [torch.zeros(1, *s, device="meta") for s in in_shapes]
    counter = macs_counter()
    with counter, torch.no_grad():
        y = m(*xs)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"it returns a {type(y).__name__}, not one tensor")
    return {"in": [list(s) for s in in_shapes], "out": list(y.shape[1:]),
            "params": sum(p.numel() for p in module.parameters()),
            "buffers": sum(b.numel() for n, b in module.named_buffers() if b.is_floating_point()),
            "macs": counter.get_total_flops() // 2}


def _infer(params, shapes) -> Out:
    p = full_params(params)
    where = f"{short_class(p)} ({p['path'] or 'the whole model'} of {p['source']})"
    if not isinstance(p["source"], str) or not _SOURCE.match(p["source"]) or not isinstance(p["path"], str) \
            or not _PATH.match(p["path"]) or not isinstance(p["io"], list):
        raise BlockError("TorchModule: its source or path is damaged; import the model again.", code="torch_module")
    if importlib.util.find_spec(package_of(p["source"])) is None:
        raise BlockError(f"{where} {_missing(package_of(p['source']))}", code="missing_package")
    key = [list(s) for s in shapes]
    for rec in p["io"]:
        if isinstance(rec, dict) and rec.get("in") == key:
            return _out(rec)
    if not p["source"].startswith(("timm:", "torchvision:")):  # checking a file never runs the user's code
        raise BlockError(f"{where} was measured at {', '.join(str(r.get('in')) for r in p['io']) or 'no size'}; "
                         f"import it again at this input size ({key[0]}) to check it here.", code="torch_module")
    memo = (p["source"], p["path"], str(key))
    if memo not in _MEASURED:
        try:
            _MEASURED[memo] = _out(measure(submodule(p), shapes))
        except SourceError as e:
            _MEASURED[memo] = BlockError(f"{where}: {e}", code="torch_module")
        except Exception as e:  # noqa: BLE001 - the module refusing this input is the user's message
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            _MEASURED[memo] = BlockError(f"{where} cannot take an input of shape {key[0]}: {first}",
                                         code="torch_module")
    result = _MEASURED[memo]
    if isinstance(result, BlockError):
        raise result
    return result


def _out(rec: dict) -> Out:
    return Out(shape=tuple(int(v) for v in rec["out"]), params=int(rec["params"]), buffers=int(rec["buffers"]),
               macs=int(rec["macs"]))


def _build(params, shapes):
    try:
        return submodule(params)
    except SourceError as e:
        raise BlockError(f"{short_class(params)}: {e}", code="torch_module") from None


def _explain(params, shapes, out: Out) -> list[str]:
    p = full_params(params)
    return [f"PyTorch module {p['class_name']}: `{p['path'] or '(the whole model)'}` of {p['source']}",
            "CNN Studio has no blocks for what it computes, so it is kept whole: it trains, freezes and saves its "
            "weights like any block; compiling builds it with its package again",
            f"parameters {out.params:,}; MACs {out.macs:,} (measured by torch.utils.flop_counter, counted "
            "as every block's: docs/costs.md)"]


register(BlockSpec(
    type=TYPE, category="Composite",
    help="A PyTorch module kept whole from an imported model (a layer CNN Studio has no block for).",
    params=(), inputs=1, infer=_infer, build=_build, explain=_explain, structure=STRUCTURE, palette=False))
