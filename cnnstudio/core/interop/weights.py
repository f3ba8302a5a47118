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
    """Atomically write a safetensors file, readable like any saved file (as a run's are)."""
    from ..train.runs import save_weights as write
    seen, tensors = set(), {}
    for k, v in weights.items():  # tensors an importer shares (equal constants in ONNX) are written apart
        v = v.detach().to("cpu").contiguous()
        if v.untyped_storage().data_ptr() in seen:
            v = v.clone()
        seen.add(v.untyped_storage().data_ptr())
        tensors[k] = v
    write(Path(path), tensors)


def project_weights_path(project_path, weights_name: str) -> Path:
    return Path(project_path).resolve().parent / weights_name


def load_matching(net: torch.nn.Module, project_path, weights_name: str) -> list[str]:
    """Load the project's weights file into its compiled network, block by block: a block whose
    tensors are all there with the same shapes takes them; any other (a new or resized block,
    such as a replaced head) keeps its fresh initialisation. → those blocks' names (node ids;
    `block.c1` for a layer inside a user block).

    A layer inside a user block also takes the tensors it had before it was grouped (Make block
    turns `c1.weight` into `block.c1.weight`, or `block.0.c1.weight` in the first copy of a
    repeat), unless the network still has a block of that name or another layer took them."""
    path = project_weights_path(project_path, weights_name)
    if not path.is_file():
        raise InteropError(f"The project names the weights file {weights_name}, but {path} does not exist. "
                           "Put it beside the project, or remove \"weights\" from the project to start fresh.")
    sd = read_state_dict(path)
    ours = net.state_dict()
    units = list(_units(net))
    own = {name for name, _, _ in units}
    fresh, take, used = [], {}, set()
    for name, label, parts in units:
        keys = [k for k in ours if k.startswith(name + ".")]
        if not keys:
            continue
        for source in _old_names(parts, own, used):
            mine = {k: source + k[len(name):] for k in keys}
            if all(s in sd and sd[s].shape == ours[k].shape for k, s in mine.items()):
                take.update((k, sd[s]) for k, s in mine.items())
                used.add(source)
                break
        else:
            fresh.append(label)
    if not take and ours:
        raise InteropError(f"{path}: none of its weights fit this network (is it the right file?).")
    net.load_state_dict(take, strict=False)
    return fresh


def _units(net, prefix: str = "", parts: tuple = ()):
    """(module name, what to call it, its name's parts) for each block whose tensors load
    together: a user block's inner blocks one by one, each copy of a repeat apart."""
    from ..compiler import CompiledNet
    for name, nid, _ in net._plan:
        mod, here = net._modules[name], parts + ((name, "block"),)
        full = prefix + name
        if isinstance(mod, CompiledNet):
            yield from _units(mod, full + ".", here)
        elif isinstance(mod, torch.nn.Sequential) and len(mod) and all(isinstance(m, CompiledNet) for m in mod):
            for i, copy in enumerate(mod):  # a repeat: copy i is `name.i`
                yield from _units(copy, f"{full}.{i}.", here + ((str(i), "copy"),))
        else:
            yield full, (full if prefix else nid), here


def _old_names(parts: tuple, own: set, used: set):
    """The names a layer's tensors may be saved under: its own, then (for a layer inside user
    blocks) the names it had before each enclosing block was made, or before its block was
    repeated (copy 0 had no number), as long as nothing else has that name now. A repeat's
    later copies had none: they start fresh."""
    names = []
    for i in range(len(parts)):
        if i and parts[i - 1][1] == "copy" and parts[i - 1][0] != "0":
            break
        rest = parts[i:]
        names += [".".join(p for p, _ in rest), ".".join(p for p, k in rest if (k, p) != ("copy", "0"))]
    yield names[0]
    for name in dict.fromkeys(names[1:]):
        if name != names[0] and name not in own and name not in used:
            yield name


def adopt_run_weights(run_dir, project_path, checkpoint: str = "best") -> str:
    """Copy a run's checkpoint beside the project as its new starting weights (e.g. to fine-tune
    after training the head). → the file name for the project's "weights"."""
    import shutil

    from ..train.runs import load_run
    try:
        src = load_run(run_dir).checkpoint(checkpoint)
    except Exception as e:  # noqa: BLE001 - a damaged run folder is one message
        raise InteropError(f"{run_dir}: not a readable run folder ({e}).") from None
    if not src.is_file():
        raise InteropError(f"{run_dir} has no checkpoint yet: let it finish an epoch first.")
    name = f"{Path(project_path).stem}-{Path(run_dir).name}.safetensors"
    dest = project_weights_path(project_path, name)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return name
