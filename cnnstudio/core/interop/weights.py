"""Weights of imported models: a source model's tensors mapped onto the compiled graph's names,
written as safetensors. (A run's checkpoint adopted as a project's starting weights is a file
copy, torch-free: core/train/transfer.adopt_run_weights.)"""
from __future__ import annotations

from pathlib import Path

import torch

from ..build.compiler import compile_graph
from ..graph import Graph
from .errors import InteropError


def load_into(model: torch.nn.Module, sd: dict, source: str) -> None:
    """Load a state dict into the source model, saying which names do not fit."""
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    wrong = [f"{k} {list(sd[k].shape)} (the model's is {list(own[k].shape)})" for k in own
             if k in sd and sd[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        parts = [f"{what}: {len(names)} (e.g. {', '.join(names[:3])})" for what, names in
                 (("missing tensors", missing), ("tensors the model does not have", unexpected),
                  ("tensors of the wrong shape", wrong)) if names]
        raise InteropError(f"{source}: these weights are not this model's: {'; '.join(parts)}. Pass the "
                           "state dict saved from the same architecture (model.state_dict()).")
    model.load_state_dict(sd, strict=True)


def meta_model(graph: Graph):
    """The compiled network with no memory behind it: names and shapes only."""
    with torch.device("meta"):
        return compile_graph(graph)


def map_weights(graph: Graph, sources: dict, modules: dict) -> dict:
    """The compiled graph's state dict filled with the source's tensors.

    Each node's module registers the same tensors, in the same order, as the sources it came
    from (modules, or single tensors `module.name`; see modules_map.py and fold*.py); names
    may differ, and a tensor may be laid out differently with as many numbers (a Linear's
    weight for a 1×1 conv's, ConvNeXt's γ of [C] for [C, 1, 1])."""
    net = meta_model(graph)
    ours = list(net.state_dict().items())
    by_node: dict[str, list] = {}
    for name, nid, _ in net._plan:
        by_node[nid] = [(k, v) for k, v in ours if k.startswith(name + ".")]
    out = {}
    for nid, names in sources.items():
        theirs = [t for n in names for t in _tensors_of(modules, n)]
        mine = by_node.get(nid, [])
        if len(mine) != len(theirs) or any(a[1].shape != b[1].shape and a[1].numel() != b[1].numel()
                                           for a, b in zip(mine, theirs)):
            raise InteropError(f"internal: the weights of {', '.join(names)} do not line up with block {nid} "
                               f"({len(theirs)} tensors for {len(mine)}). Please report this model.")
        out.update((k, t if t.shape == m.shape else t.reshape(m.shape)) for (k, m), (_, t) in zip(mine, theirs))
    return out


def _tensors_of(modules: dict, name: str) -> list:
    """[(name, tensor)] of a source: a module's whole state dict, or one tensor attribute."""
    if name in modules:
        return [(f"{name}.{k}", t) for k, t in modules[name].state_dict().items()]
    owner, _, attr = name.rpartition(".")
    return [(name, getattr(modules[owner], attr).detach())]


def save_weights(weights: dict, path) -> None:
    """Atomically write a safetensors file, readable like any saved file (as a run's are)."""
    from ..train.runs import save_weights as write
    write(Path(path), _unshared(weights))


def weights_bytes(weights: dict) -> bytes:
    """A safetensors file's bytes (for a write staged with others)."""
    from safetensors.torch import save
    return save(_unshared(weights))


def _unshared(weights: dict) -> dict:
    seen, tensors = set(), {}
    for k, v in weights.items():  # tensors an importer shares (equal constants in ONNX) are written apart
        v = v.detach().to("cpu").contiguous()
        if v.untyped_storage().data_ptr() in seen:
            v = v.clone()
        seen.add(v.untyped_storage().data_ptr())
        tensors[k] = v
    return tensors

