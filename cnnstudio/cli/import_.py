"""`cnnstudio import SOURCE -o OUT.cnnproj`: a torchvision model, an ONNX file or your own
nn.Module factory becomes an editable, trainable project (and its weights, beside it)."""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import a torchvision, ONNX or PyTorch model as a project",
                       description="Import a network as a CNN Studio project. SOURCE is torchvision:NAME "
                       "(e.g. torchvision:resnet18), timm:NAME, a .onnx file, a .pt2 torch.export program, or package.module:factory (a function "
                       "returning your nn.Module, traced with torch.fx). Weights go to OUT.safetensors beside "
                       "the project. Exit 0 imported, 2 bad input or a model that cannot be mapped.")
    p.add_argument("source", nargs="?", help="torchvision:NAME, timm:NAME, FILE.onnx, FILE.pt2 or package.module:factory")
    p.add_argument("-o", "--output", metavar="OUT.cnnproj", help="the project to write")
    p.add_argument("--weights", default="none", metavar="none|pretrained|FILE",
                   help="none: a fresh start (default); pretrained: torchvision's published weights "
                   "(downloaded once, cached); FILE: a safetensors or torch state dict of the source model")
    p.add_argument("--input-shape", metavar="C,H,W", help="the input size (default: the model's own)")
    p.add_argument("--dataset", metavar="ID", help="fit the network to this dataset: its image size and "
                   "channels, and a new head for its classes (transfer learning)")
    p.add_argument("--freeze", action="store_true", help="with --dataset: freeze every block before the head")
    p.add_argument("--list", action="store_true", help="list the torchvision models that import")
    p.add_argument("--force", action="store_true", help="replace OUT.cnnproj / OUT.safetensors even when they "
                   "are not an earlier import's own, unchanged output")
    p.add_argument("--timeout", type=float, default=300, metavar="S", help="package.module:factory: end your code "
                   "if building and tracing the model takes longer than S seconds (default 300)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _fail(msg: str, code: int = 2) -> int:
    print(f"cnnstudio import: {msg}", file=sys.stderr)
    return code


def run(args) -> int:
    if args.list:
        return _list(args)
    if not args.source or not args.output:
        return _fail("give a SOURCE and -o OUT.cnnproj (or --list).")
    out = Path(args.output)
    if out.suffix != ".cnnproj":
        return _fail(f"{out}: the output must be a .cnnproj file.")
    if args.freeze and not args.dataset:
        return _fail("--freeze needs --dataset (the head to keep training is the dataset's).")
    from ..core.interop import InteropError, parse_shape
    from ..core.interop.usercode import import_checked
    from ..core.project import outputs

    try:  # a refusal to write comes before minutes of importing
        outputs.check(_targets(args, out), "import", args.force, _sources(args))
        shape = parse_shape(args.input_shape) if args.input_shape else None
        imported, diff = import_checked(args.source, args.weights, shape, progress=sys.stderr.isatty(),
                                        timeout=args.timeout)
    except outputs.Refused as e:
        return _fail(e.cli())
    except InteropError as e:
        return _fail(str(e))
    return _write(args, imported, diff, out)


def _with_weights(args) -> bool:
    from ..core.interop.open_model import carries_weights
    return carries_weights(args.source, args.weights)


def _targets(args, out: Path) -> list:
    return [out, out.with_suffix(".safetensors")] if _with_weights(args) else [out]


def _sources(args) -> list:
    """The files an import reads, which it never writes over."""
    files = [(args.source, "the model being imported")] if args.source.endswith((".onnx", ".pt2")) else []
    if args.weights not in ("none", "pretrained"):
        files.append((args.weights, "the weights file being imported"))
    return files


def _write(args, imported, diff, out: Path) -> int:
    from ..core import analyze
    from ..core.interop import InteropError
    from ..core.interop.importer import save_imported
    from ..core.project import outputs

    graph = imported.graph
    try:
        saved = save_imported(imported, out, _with_weights(args), args.dataset, args.freeze, args.force,
                              _sources(args))
    except outputs.Refused as e:
        return _fail(e.cli())
    except ValueError as e:
        return _fail(str(e))
    except (OSError, InteropError) as e:
        return _fail(f"cannot write {out}: {getattr(e, 'strerror', None) or e}")
    weights_name, changes = saved["weights"], saved["changes"]
    analysis = analyze(graph)
    kinds = Counter(n.type for n in graph.nodes.values())
    total = analysis.total("params") if analysis.ok else None
    result = {"project": str(out), "weights": weights_name, "blocks": len(graph.nodes), "types": dict(kinds),
              "params": total, "source_params": imported.source_params, "max_abs_difference": diff,
              "notes": imported.notes, "changes": changes}
    if args.json:
        print(json.dumps(result))
        return 0
    top = ", ".join(f"{n} {t}" for t, n in kinds.most_common(4))
    print(f"imported {args.source}: {len(graph.nodes)} blocks ({top}, …)")
    print(f"parameters {imported.source_params:,} in the source, {total:,} in the project"
          if not args.dataset or not changes else f"parameters {imported.source_params:,} in the source")
    if diff is not None:
        print(f"outputs checked against the source on random inputs: max |difference| {diff:.2e}")
    for line in imported.notes + changes:
        print(f"note: {line}")
    print(f"wrote {out}" + (f" and {weights_name}" if weights_name else " (no weights: training starts fresh)"))
    return 0


def _list(args) -> int:
    from ..core.interop import zoo
    rows = []
    for name in zoo.model_names():
        info = zoo.info(name)
        rows.append({"name": name, "params": info["params"], "input_size": info["input_size"],
                     "imagenet_top1": info["accuracy"]})
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'model':<22}{'parameters':>14}  input   ImageNet top-1")
    for r in rows:
        acc = f"{r['imagenet_top1']:.1f} %" if r["imagenet_top1"] else ""
        print(f"{r['name']:<22}{r['params']:>14,}  {r['input_size']:>3}×{r['input_size']:<3} {acc}")
    print("\nvit_*, swin_* and maxvit_t are vision transformers: they have no CNN Studio blocks.")
    return 0
