"""A project's weights files: reading a state dict without running code (safetensors, or a
torch file loaded with weights_only=True), and loading the project's weights file (beside the
project) into its compiled network, block by block."""
from __future__ import annotations

from pathlib import Path

import torch


class WeightsError(ValueError):
    """A weights file that cannot be used; the message says why and what to do."""


def read_state_dict(path) -> dict:
    """A safetensors file, or a torch file loaded with weights_only=True (no pickled code)."""
    path = Path(path)
    what = _not_a_file(path)
    if what:
        raise WeightsError(f"{path}: the weights file {what}." if what != "does not exist" else
                           f"{path}: no such weights file.")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            return _usable(path, load_file(str(path)))
        except (SafetensorError, OSError, ValueError, TypeError) as e:
            if isinstance(e, WeightsError):
                raise
            raise WeightsError(f"{path}: not a readable safetensors file ({_first(e)}).") from None
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle refusals and damaged files alike
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightsError(f"{path}: not a weights file that loads without running code "
                           f"(safetensors, or a state dict saved with torch.save): {first}") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise WeightsError(f"{path}: holds no state dict (a mapping of names to tensors).")
    return _usable(path, sd)


def _first(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


def _usable(path: Path, sd: dict) -> dict:
    """Refuse tensors a network cannot take: sparse or quantized layouts, meta tensors (no data),
    complex or odd dtypes, NaN or infinity; the message names the first such tensor."""
    for k, v in sd.items():
        if v.layout != torch.strided:
            why = f"is a sparse tensor ({v.layout}); save dense tensors (tensor.to_dense())"
        elif v.is_meta:
            why = "is a meta tensor: it has a shape but no data (no values were saved)"
        elif v.is_quantized or v.is_complex() or v.dtype not in _DTYPES:
            why = f"has the type {v.dtype}, which a network's weights do not have"
        elif v.is_floating_point() and not bool(torch.isfinite(v).all()):
            why = "holds NaN or infinity; use weights with finite values"
        else:
            continue
        raise WeightsError(f"{path}: the tensor {k!r} {why}.")
    return sd


_DTYPES = {torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32, torch.int16,
           torch.int8, torch.uint8, torch.bool}


def _not_a_file(path: Path) -> str | None:
    """How `path` fails to be a readable file, in words (None when it is one)."""
    import errno
    import stat
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "is a link to nothing" if path.is_symlink() else "does not exist"
    except OSError as e:
        return "is a symbolic link loop" if e.errno == errno.ELOOP else f"cannot be read ({e.strerror or e})"
    if stat.S_ISDIR(mode):
        return "is a folder"
    return None if stat.S_ISREG(mode) else "is not a regular file (a FIFO, socket or device)"


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
    what = _not_a_file(path)
    if what:
        raise WeightsError(f"The project names the weights file {weights_name}, but {path} {what}. "
                           "Put the weights file beside the project, or remove \"weights\" from the project to "
                           "start fresh.")
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
        raise WeightsError(f"{path}: none of its weights fit this network (is it the right file?).")
    net.load_state_dict(take, strict=False)
    return fresh


def _units(net, prefix: str = "", parts: tuple = ()):
    """(module name, what to call it, its name's parts) for each block whose tensors load
    together: a user block's inner blocks one by one, each copy of a repeat apart."""
    from ..build.compiler import CompiledNet  # torch: imported when weights are loaded
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
