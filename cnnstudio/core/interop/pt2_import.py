"""A torch.export ExportedProgram (`.pt2`, from `torch.export.save`) → a CNN Studio graph and weights.

The program holds aten operators, not modules, so it goes the way any foreign graph goes: it is
written to ONNX (torch's own exporter, in a temporary folder) and read back by the ONNX importer,
operator by operator, with its folding. The check against the source runs the program itself.
Reading the file never unpickles code: torch's loader is held to weights-only loading.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import torch

from .errors import InteropError
from .imported import Imported


@contextlib.contextmanager
def _weights_only():
    """torch.export.load falls back to a full unpickle when a weights-only load fails; this
    environment switch (read by torch.load at each call) refuses that fallback instead."""
    keys = ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    old = {k: os.environ.get(k) for k in keys}
    os.environ[keys[0]] = "1"
    os.environ.pop(keys[1], None)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def load_program(path: Path):
    if not path.is_file():
        raise InteropError(f"{path}: no such file.")
    try:
        with _weights_only():
            return torch.export.load(str(path))
    except Exception as e:  # noqa: BLE001 - a damaged file, a zip of something else, a pickle refused
        raise InteropError(f"{path.name}: not a readable torch.export program (.pt2 written by torch.export.save): "
                           f"{_first_line(e)}") from None


def _batch(program) -> int | None:
    """The batch size the program was exported for (None when it is dynamic)."""
    names = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in names:
            val = node.meta.get("val")
            size = val.shape[0] if val is not None and len(val.shape) else None
            return size if isinstance(size, int) else None
    return None


def import_pt2(path, input_shape=None) -> Imported:
    from .onnx_import import import_onnx
    path = Path(path)
    program = load_program(path)
    with tempfile.TemporaryDirectory(prefix="cnnstudio-pt2-") as tmp:
        onnx_path = Path(tmp) / f"{path.stem}.onnx"
        try:  # the exporter reports its steps on stdout: the user sees our lines only
            with contextlib.redirect_stdout(io.StringIO()):
                torch.onnx.export(program, f=str(onnx_path), dynamo=True, verbose=False)
        except Exception as e:  # noqa: BLE001 - an operator ONNX has no form for
            raise InteropError(f"{path.name}: the program cannot be read into blocks (torch.onnx could not "
                               f"translate it: {_first_line(e)}).") from None
        imported = import_onnx(onnx_path, input_shape)
    module, batch = program.module(), _batch(program)

    def run(x):
        step = batch or len(x)
        with torch.no_grad():
            return torch.cat([module(x[i:i + step]) for i in range(0, len(x), step)])
    imported.reference = run
    imported.notes.append(f"{path.name} was read through ONNX: BatchNorm layers the exporter folded into the "
                          "convolutions stay folded.")
    return imported
