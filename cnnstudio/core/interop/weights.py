"""Weights: reading a state dict without running code, mapping a source model's tensors onto
the compiled graph's names, and the project's weights file (safetensors beside the project)."""
from __future__ import annotations

from pathlib import Path

import torch

from ..compiler import compile_graph
from ..graph import Graph
from .errors import InteropError


def read_state_dict(path) -> dict:
    """A safetensors file, or a torch file loaded with weights_only=True (no pickled code)."""
    path = Path(path)
    if not path.is_file():
        raise InteropError(f"{path}: no such weights file.")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as e:
            raise InteropError(f"{path}: not a readable safetensors file ({e}).") from None
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle refusals and damaged files alike
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InteropError(f"{path}: not a weights file that loads without running code "
                           f"(safetensors, or a state dict saved with torch.save): {first}") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise InteropError(f"{path}: holds no state dict (a mapping of names to tensors).")
    return sd


def load_into(model: torch.nn.Module, sd: dict, source: str) -> None:
    """Load a state dict into the source model, saying which names do not fit."""
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()][1:4]
        raise InteropError(f"{source}: these weights do not fit the model: " + " ".join(lines)[:600]) from None


def meta_model(graph: Graph):
    """The compiled network with no memory behind it: names and shapes only."""
    with torch.device("meta"):
        return compile_graph(graph)


def map_weights(graph: Graph, sources: dict, modules: dict) -> dict:
    """The compiled graph's state dict filled with the source modules' tensors.

    Each node's module registers the same tensors, in the same order, as the source modules
    it came from (see modules_map.py); names may differ, shapes may not."""
    net = meta_model(graph)
    ours = list(net.state_dict().items())
    by_node: dict[str, list] = {}
    for name, nid, _ in net._plan:
        by_node[nid] = [(k, v) for k, v in ours if k.startswith(name + ".")]
    out = {}
    for nid, names in sources.items():
        theirs = [(f"{n}.{k}", t) for n in names for k, t in modules[n].state_dict().items()]
        mine = by_node.get(nid, [])
        if len(mine) != len(theirs) or any(a[1].shape != b[1].shape for a, b in zip(mine, theirs)):
            raise InteropError(f"internal: the weights of {', '.join(names)} do not line up with block {nid} "
                               f"({len(theirs)} tensors for {len(mine)}). Please report this model.")
        out.update((k, t) for (k, _), (_, t) in zip(mine, theirs))
    return out


def save_weights(weights: dict, path) -> None:
    """Atomically write a safetensors file (temp file, then rename)."""
    from safetensors.torch import save_file
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        save_file({k: v.detach().to("cpu").contiguous() for k, v in weights.items()}, str(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def project_weights_path(project_path, weights_name: str) -> Path:
    return Path(project_path).resolve().parent / weights_name


def load_project_weights(net: torch.nn.Module, project_path, weights_name: str) -> None:
    """Load the project's weights file into its compiled network (strict: every tensor)."""
    path = project_weights_path(project_path, weights_name)
    if not path.is_file():
        raise InteropError(f"The project names the weights file {weights_name}, but {path} does not exist. "
                           "Put it beside the project, or remove \"weights\" from the project to start fresh.")
    sd = read_state_dict(path)
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()][1:3]
        raise InteropError(f"{path}: the weights do not fit this network any more (was it edited?): "
                           + " ".join(lines)[:500] + " Remove \"weights\" from the project to start fresh, "
                           "or undo the edit.") from None
