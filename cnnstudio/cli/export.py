"""`cnnstudio export FILE --format pytorch|onnx|torchscript|exported-program -o OUT`: the network
with its weights (a run's checkpoint, else the project's weights, else a fresh initialisation)."""
from __future__ import annotations

import json
import keyword
import sys
from pathlib import Path

FORMATS = ("pytorch", "onnx", "torchscript", "exported-program")


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write the network as PyTorch code, ONNX, TorchScript or an ExportedProgram",
                       description="Export the project's network. pytorch: a source file that needs only torch "
                       "plus OUT.safetensors with the weights; onnx: checked with onnxruntime after writing; "
                       "torchscript and exported-program: torch.jit / torch.export files. Weights come from "
                       "--run's checkpoint, else the project's weights file, else a fresh initialisation. "
                       "Exit 1 when the network has errors, 2 on bad input.")
    p.add_argument("file", help="a .cnnproj project file")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="where to write")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="default: from OUT's suffix (.py, .onnx, .pt, .pt2), else pytorch")
    p.add_argument("--run", dest="run_dir", metavar="RUN", help="a run folder whose trained weights to export")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best", help="which checkpoint of --run")
    p.add_argument("--class-name", default="Net", help="pytorch: name of the generated class (default Net)")
    p.add_argument("--force", action="store_true", help="replace OUT (and OUT.safetensors) even when they are not "
                   "an earlier export's own, unchanged output (never the project or its weights)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _fail(msg: str, code: int = 2) -> int:
    print(f"cnnstudio export: {msg}", file=sys.stderr)
    return code


def run(args) -> int:
    from ..core import ProjectError, load_project

    if not args.class_name.isidentifier() or keyword.iskeyword(args.class_name):
        return _fail(f"--class-name {args.class_name!r} is not a valid Python name.")
    out = Path(args.output)
    fmt = args.format or {".onnx": "onnx", ".pt": "torchscript", ".pt2": "exported-program"}.get(out.suffix, "pytorch")
    try:
        project = load_project(args.file)
    except ProjectError as e:
        return _fail(str(e))
    from ..core.build.compiler import CompileError
    from ..core.build.pytorch_source import ExportError
    from ..core.interop import InteropError
    from ..core.interop.export import export
    from ..core.project.outputs import Refused

    try:
        result = export(project, fmt, out, args.file, args.run_dir, args.checkpoint, args.class_name, args.force)
    except Refused as e:
        return _fail(e.cli())
    except CompileError as e:
        return _fail(f"cannot export {args.file}: {e}", 1)
    except (ExportError, InteropError) as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"cannot write {out}: {e.strerror or e}")
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"wrote {', '.join(result['files'])} ({fmt}; weights from {result['weights_from']})")
    if "max_abs_difference" in result:
        checker = "onnxruntime" if fmt == "onnx" else "the reloaded file"
        print(f"checked with {checker} against PyTorch on random inputs: max |difference| "
              f"{result['max_abs_difference']:.2e}" + (" (batch size 3: the batch axis is dynamic)" if fmt == "onnx" else ""))
    return 0

