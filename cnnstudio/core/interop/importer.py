"""`import_model(SOURCE)`: torchvision:NAME, timm:NAME, a .onnx or .pt2 file or
package.module:factory → a graph, its weights (compiled-model names) and notes for the user."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import torch

from ..analysis import analyze
from .errors import InteropError
from .imported import Imported
from ..project.weights import WeightsError, read_state_dict
from .weights import load_into, map_weights


def parse_shape(text: str) -> tuple[int, int, int]:
    try:
        dims = tuple(int(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        dims = ()
    if len(dims) != 3 or min(dims) < 1:
        raise InteropError(f"--input-shape {text!r}: give channels, height and width, e.g. 3,224,224.")
    return dims


def import_model(source: str, weights: str = "none", input_shape=None, progress: bool = True) -> Imported:
    if source.endswith(".onnx"):
        from .onnx_import import import_onnx
        if weights not in ("none", "pretrained"):
            raise InteropError("An ONNX file carries its own weights: leave out --weights.")
        return import_onnx(source, input_shape)
    if source.endswith(".pt2"):
        from .pt2_import import import_pt2
        if weights not in ("none", "pretrained"):
            raise InteropError("A .pt2 program carries its own weights: leave out --weights.")
        return import_pt2(source, input_shape)
    if source.startswith("torchvision:"):
        from . import zoo
        name = source.split(":", 1)[1]
        zoo.check_name(name)
        model = zoo.build(name, pretrained=weights == "pretrained", progress=progress)
        shape = input_shape or (3, zoo.info(name)["input_size"], zoo.info(name)["input_size"])
        notes = []
        if name in zoo.BUILD_OPTIONS:
            notes.append(f"{name}: the training-only auxiliary classifiers are left out; inputs are used as given "
                         "(torchvision's transform_input step is not part of the network).")
    elif source.startswith("timm:"):
        model, name = _factory(source), source.split(":", 1)[1]
        shape, notes = input_shape or _timm_size(model), []
    elif ":" in source and not Path(source).exists():
        model, name = _factory(source), source
        if input_shape is None:
            raise InteropError(f"{source}: give the input size with --input-shape C,H,W (e.g. 3,32,32).")
        shape, notes = input_shape, []
    else:
        raise InteropError(f"{source}: not a model source. Use torchvision:NAME (e.g. torchvision:resnet18), "
                           "timm:NAME (e.g. timm:resnet50), a .onnx file, a .pt2 torch.export program, or "
                           "package.module:factory for your own nn.Module.")
    if weights not in ("none", "pretrained"):
        try:
            sd = read_state_dict(weights)
        except WeightsError as e:
            raise InteropError(str(e)) from None
        load_into(model, sd, weights)
    elif weights == "pretrained" and not source.startswith("torchvision:"):
        raise InteropError("--weights pretrained is for torchvision models; give a weights FILE instead.")
    return import_module(model.eval(), shape, name, notes=notes, source=source)


def import_module(model, shape, name: str, notes=(), source: str | None = None) -> Imported:
    """`source` (timm:NAME, package.module:factory) builds the model again: with it, modules
    without blocks are kept whole as PyTorch-module blocks instead of refused."""
    from .fx_import import module_to_graph
    graph, sources, source_params, more = module_to_graph(model, shape, name, source)
    analysis = analyze(graph)
    if not analysis.ok:
        problems = "; ".join(f"{p.node}: {p.message}" for p in analysis.errors[:3])
        small = any(p.code in ("spatial_too_small", "kernel_too_large") for p in analysis.errors)
        raise InteropError(f"Cannot import {name} at input size {list(shape)}: {problems}."
                           + (" Try a larger --input-shape." if small else ""))
    modules = dict(model.named_modules())
    weights = map_weights(graph, sources, modules)
    return Imported(name, graph, weights, source_params, _torch_reference(model), list(notes) + more)


def _torch_reference(model):
    def run(x):
        with torch.no_grad():
            return model.eval()(x)
    return run


def _timm_size(model) -> tuple:
    size = tuple(getattr(model, "pretrained_cfg", {}).get("input_size", (3, 224, 224)))
    return size if len(size) == 3 else (3, 224, 224)


def _factory(spec: str):
    """The model a source names: timm:NAME, or package.module:factory from the installed packages
    or the current folder (like `python -m`)."""
    from ..blocks.torch_module import SourceError, build_source
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        return build_source(spec)
    except SourceError as e:
        raise InteropError(f"{spec}: {e}") from None


def verify(imported: Imported, shape=None, batch: int = 2, seed: int = 0) -> float:
    """Max |difference| between the source model and the compiled graph with the imported
    weights, in eval mode on random inputs."""
    from .weights import meta_model
    shape = shape or imported.graph.nodes[next(iter(imported.graph.nodes))].params["shape"]
    net = meta_model(imported.graph)
    net.load_state_dict(imported.weights, strict=True, assign=True)
    if any(t.is_meta for t in (*net.parameters(), *net.buffers())):
        # a tensor no state dict holds (a blur's fixed filter: a non-persistent buffer) needs a real build
        from ..build.compiler import compile_graph
        net = compile_graph(imported.graph)
        net.load_state_dict(imported.weights, strict=True)
    net.eval()
    x = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        try:  # the source itself may not run (an ONNX file onnxruntime loads but cannot execute)
            want = imported.reference(x)
        except Exception as e:  # noqa: BLE001 - onnxruntime's or the model's own words, first line
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise InteropError(f"The source model does not run on a batch of shape {list(x.shape)}, so the import "
                               f"cannot be checked: {first}") from None
        got = net(x)
    diff = (want - got).abs().max().item()
    if not math.isfinite(diff):
        bad = [k for k, v in imported.weights.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        why = (f"the weights {', '.join(bad[:3])} hold NaN or infinity: use weights with finite values" if bad else
               "the source model's outputs on random inputs hold NaN or infinity")
        raise InteropError(f"The import could not be checked against the source model ({why}).")
    return diff


def save_imported(imported: Imported, out, with_weights: bool, dataset_id: str | None = None,
                  freeze: bool = False, force: bool = False, protect=()) -> dict:
    """Write the project (and OUT.safetensors when `with_weights`), fitted to a dataset if
    given: both files or neither, and neither over a file `import` did not write (outputs.Refused)
    unless `force`. → what was written, for the CLI and the window."""
    from ..project import dumps_project, outputs
    from ..train.transfer import fit_to_dataset
    from .weights import weights_bytes

    out = Path(out)
    weights = out.with_suffix(".safetensors")
    files = [out, weights] if with_weights else [out]
    outputs.check(files, "import", force, protect)
    dataset, changes = {}, []
    if dataset_id:
        dataset, changes = fit_to_dataset(imported.graph, dataset_id, freeze=freeze)
    weights_name = weights.name if with_weights else None
    text = dumps_project(imported_project(imported, weights_name, dataset))
    writers = {out: lambda tmp: Path(tmp).write_text(text, encoding="utf-8")}
    if with_weights:
        data = weights_bytes(imported.weights)
        writers = {weights: lambda tmp: Path(tmp).write_bytes(data), **writers}
    out.parent.mkdir(parents=True, exist_ok=True)
    outputs.write(writers, "import", force, protect)
    return {"project": str(out), "weights": weights_name, "changes": changes}


def imported_project(imported: Imported, weights_name: str | None = None, dataset: dict | None = None):
    """The project an import becomes, written by `import` or opened unsaved by `open`."""
    from ..project import Project
    return Project(name=imported.name, graph=imported.graph, dataset=dataset or {}, weights=weights_name)
