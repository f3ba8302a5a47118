"""Importing a model that runs the user's own code (a `package.module:factory`, traced with
torch.fx) in a child process: whatever that code does — sys.exit, argparse at import, a loop
that never ends, a crash of the interpreter — the command or the window gets one line back,
and Cancel or a timeout ends it. The child sends the result back as files (the graph as JSON,
the weights as safetensors: no pickle); writing the project stays with the caller.

    python -m cnnstudio.core.interop.usercode OUT_DIR SOURCE WEIGHTS SHAPE
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import InteropError

TIMEOUT_S = 300  # building and tracing a big model takes seconds; a factory stuck for minutes is a bug


class Cancelled(InteropError):
    pass


def runs_user_code(source: str) -> bool:
    return not source.endswith((".onnx", ".pt2")) and not source.startswith("torchvision:") and ":" in source \
        and not Path(source).exists()


def import_checked(source: str, weights: str = "none", shape=None, progress: bool = False,
                   timeout: float = TIMEOUT_S, cancel=None):
    """→ (Imported, max |difference| against the source). User code runs in a child process (and
    this process does not even import torch until the child has answered: Cancel is at once)."""
    if not runs_user_code(source):
        from .importer import import_model, verify
        imported = import_model(source, weights, shape, progress=progress)
        return imported, verify(imported)
    folder = Path(tempfile.mkdtemp(prefix="cnnstudio-usercode-"))
    try:
        _run_child(folder, source, weights, shape, timeout, cancel)
        return _read_back(folder, source)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_child(folder: Path, source, weights, shape, timeout, cancel) -> None:
    from ..train.children import child_env, end_group
    env = child_env()
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    argv = [sys.executable, "-m", "cnnstudio.core.interop.usercode", str(folder), source, weights,
            json.dumps(list(shape) if shape else None)]
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno() if _has_fd() else
                            subprocess.DEVNULL, start_new_session=os.name != "nt")
    start = time.monotonic()
    try:
        while proc.poll() is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"{source}: import cancelled.")
            if time.monotonic() - start > timeout:
                raise InteropError(f"{source}: your code did not finish in {timeout:g} s (building or tracing the "
                                   "model). Check it for a loop that never ends, or give more time with --timeout.")
            time.sleep(0.05)
    finally:
        end_group(proc)
    if not (folder / "result.json").is_file():
        code = proc.returncode
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        raise InteropError(f"{source}: your code ended the Python process ({how}) before the model was built.")


def _has_fd() -> bool:
    try:
        sys.stderr.fileno()
        return True
    except (AttributeError, OSError, ValueError):
        return False


def _read_back(folder: Path, source: str):
    from safetensors.torch import load_file

    from ..project import load_project
    from .imported import Imported
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    if "error" in result:
        raise InteropError(result["error"])
    graph = load_project(folder / "graph.cnnproj").graph
    weights = load_file(str(folder / "weights.safetensors")) if (folder / "weights.safetensors").exists() else {}
    imported = Imported(result["name"], graph, weights, result["source_params"], None, result["notes"])
    return imported, result["max_abs_difference"]


def _child(folder: str, source: str, weights: str, shape_json: str) -> int:
    from ..train.children import die_with_parent
    die_with_parent()
    folder_path = Path(folder)
    out = {}
    try:
        from .importer import import_model, verify
        shape = json.loads(shape_json)
        imported = import_model(source, weights, tuple(shape) if shape else None, progress=False)
        diff = verify(imported)
        from ..project import Project, save_project
        from .weights import save_weights
        save_project(Project(imported.name, imported.graph), folder_path / "graph.cnnproj")
        save_weights(imported.weights, folder_path / "weights.safetensors")
        out = {"name": imported.name, "source_params": imported.source_params, "notes": imported.notes,
               "max_abs_difference": diff}
    except InteropError as e:
        out = {"error": str(e)}
    except SystemExit as e:
        out = {"error": f"{source}: your code called sys.exit({e.code if e.code is not None else ''}) while the model "
                        "was being built. A module that parses the command line at import (argparse) does that: "
                        "guard it with `if __name__ == \"__main__\":`."}
    except BaseException as e:  # noqa: BLE001 - the user's code failing in any way is a message
        out = {"error": f"{source}: your code failed: {type(e).__name__}: {str(e)[:300]}"}
    (folder_path / "result.json").write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_child(*sys.argv[1:5]))
