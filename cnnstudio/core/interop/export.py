"""A project's network out: PyTorch code + safetensors, ONNX (checked with onnxruntime),
TorchScript or a torch.export ExportedProgram, with the weights of a run, the project, or a
fresh initialisation (said so)."""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import torch

from ..analysis import analyze
from ..build.compiler import CompileError, compile_graph
from ..project import Project, dumps_project
from .errors import InteropError

NO_ONNX = ("MaxUnpool2d",)  # blocks torch's TorchScript-based ONNX exporter has no operator for
from .onnx_check import ort_session

FORMATS = ("pytorch", "onnx", "torchscript", "exported-program")
SUFFIX = {"pytorch": ".py", "onnx": ".onnx", "torchscript": ".pt", "exported-program": ".pt2"}
GRAPH_KEY = "cnnstudio.project"  # ONNX metadata: the project, so our own files import back as designed


def model_with_weights(project: Project, project_path=None, run=None, checkpoint: str = "best"):
    """(the compiled network in eval mode, where its weights came from, in words)."""
    analysis = analyze(project.graph)
    if not analysis.ok:
        raise CompileError(analysis.errors)
    torch.manual_seed(0)
    net = compile_graph(project.graph, analysis)
    if run is not None:
        from ..train.runs import load_run, load_weights
        try:
            path = load_run(run).checkpoint(checkpoint)
        except Exception as e:  # noqa: BLE001 - a missing or damaged run folder is one message
            raise InteropError(f"--run {run}: not a readable run folder ({e}).") from None
        if not path.is_file():
            raise InteropError(f"--run {run}: it has no {checkpoint} checkpoint yet (no epoch finished).")
        try:
            weights = load_weights(path)
        except Exception as e:  # noqa: BLE001 - a truncated, empty or damaged file: one line
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            other = "last" if checkpoint == "best" else "best"
            raise InteropError(f"--run {run}: its {checkpoint} checkpoint {path} is damaged ({first}). Try "
                               f"--checkpoint {other}.") from None
        try:
            net.load_state_dict(weights, strict=True)
        except RuntimeError:
            raise InteropError(f"--run {run}: its checkpoint was trained with a different network; export "
                               f"{Path(run) / 'project.cnnproj'} instead.") from None
        from ..train.pointer import pointer_or_recovered
        note = pointer_or_recovered(run)[1]
        source = f"the {checkpoint} checkpoint of {run}" + (f" ({note})" if note else "")
    elif project.weights and project_path is not None:
        from ..project.weights import WeightsError, load_matching
        try:
            fresh = load_matching(net, project_path, project.weights)
        except WeightsError as e:
            raise InteropError(str(e)) from None
        source = f"the project's weights ({project.weights})" + (
            f"; fresh initialisation for {', '.join(fresh)}" if fresh else "")
    else:
        source = "a fresh initialisation (no run given and the project has no weights)"
    return net.eval(), source


def input_shape(project: Project) -> list:
    return list(next(n for n in project.graph.nodes.values() if n.type == "Input").params["shape"])


def targets(fmt: str, out) -> list[Path]:
    """The files an export to `out` writes."""
    out = Path(out)
    return [out, out.with_suffix(".safetensors")] if fmt == "pytorch" else [out]


def guarded(project: Project, project_path=None, run=None, checkpoint="best") -> list:
    """What an export reads and so never writes over: (path, what it is)."""
    from ..project.weights import project_weights_path
    out = [(project_path, "the project being exported")]
    if project_path and project.weights:
        out.append((project_weights_path(project_path, project.weights), "the project's weights file"))
    if run is not None:
        out += [(p, "a file of the run being exported") for p in Path(run).glob("**/*.safetensors")]
    return out


def export(project: Project, fmt: str, out, project_path=None, run=None, checkpoint="best",
           class_name: str = "Net", force: bool = False) -> dict:
    """Write `out` (and companions) → {"files", "weights_from", "check"...}. Refuses (outputs.Refused)
    before any work when a target is not this command's own earlier output, unless `force`."""
    from ..project import outputs
    if fmt not in FORMATS:
        raise InteropError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    out = Path(out)
    files, protect = targets(fmt, out), guarded(project, project_path, run, checkpoint)
    outputs.check(files, "export", force, protect)
    net, source = model_with_weights(project, project_path, run, checkpoint)
    shape = input_shape(project)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
    result = {"format": fmt, "files": [str(f) for f in files], "weights_from": source}
    if fmt == "pytorch":
        writers = _pytorch(project, net, out, class_name)
    else:
        writers = {out: lambda tmp: result.__setitem__("max_abs_difference", _binary(fmt, project, net, x, tmp))}
    outputs.write(writers, "export", force, protect)
    return result


def _binary(fmt: str, project: Project, net, x, tmp: str) -> float:
    """Write the ONNX / TorchScript / ExportedProgram file at `tmp`, read it back → max |difference|."""
    if fmt == "onnx":
        return _onnx(project, net, x, Path(tmp))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fmt == "torchscript":
            torch.jit.save(torch.jit.trace(net, x, check_trace=False), tmp)
            return _diff(net(x), torch.jit.load(tmp)(x))
        program = torch.export.export(net, (x,), dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1)}})
        named = tmp + ".pt2"  # torch.export insists on the suffix
        try:
            torch.export.save(program, named)
            os.replace(named, tmp)
        finally:
            Path(named).unlink(missing_ok=True)
        return _diff(net(x), torch.export.load(tmp).module()(x))


def _diff(a, b) -> float:
    return (a.detach() - b.detach()).abs().max().item()


def _pytorch(project: Project, net, out: Path, class_name: str) -> dict:
    """The source file and its weights, as writers for outputs.write (both land, or neither)."""
    from ..build.pytorch_source import to_pytorch_source
    from .weights import weights_bytes
    weights = out.with_suffix(".safetensors")
    data = weights_bytes(net.state_dict())
    source = to_pytorch_source(project.graph, class_name, project.name) + (
        "\n\n# Loading the weights (three lines):\n"
        f"#   from safetensors.torch import load_file\n"
        f"#   model = {class_name}()\n"
        f"#   model.load_state_dict(load_file({weights.name!r})); model.eval()\n")
    return {out: lambda tmp: Path(tmp).write_text(source, encoding="utf-8"),
            weights: lambda tmp: Path(tmp).write_bytes(data)}


def _onnx(project: Project, net, x, path: Path) -> float:
    """ONNX with a dynamic batch axis, BatchNorm kept as it is (so the file imports back as
    designed; runtimes fuse it themselves), checked with onnxruntime."""
    import onnx
    blocks = sorted({n.type for n in project.graph.nodes.values() if n.type in NO_ONNX})
    if blocks:
        raise InteropError(f"torch's ONNX exporter cannot write {', '.join(blocks)}: export this network as "
                           "torchscript, exported-program or pytorch instead (weights included).")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), str(path), input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=17,
                          training=torch.onnx.TrainingMode.PRESERVE, dynamo=False)
    model = onnx.load(str(path))
    doc = json.loads(dumps_project(Project(project.name, project.graph)))
    entry = model.metadata_props.add()
    entry.key, entry.value = GRAPH_KEY, json.dumps(doc["graph"])
    onnx.save(model, str(path))
    session = ort_session(path)
    x3 = torch.randn(3, *x.shape[1:], generator=torch.Generator().manual_seed(1))  # another batch size
    got = session.run(None, {"input": x3.numpy()})[0]
    with torch.no_grad():
        want = net(x3)
    return _diff(want, torch.from_numpy(got))
