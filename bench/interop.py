"""Models in and out: import time against torchvision's own construction, and ONNX export time.

For ResNet-50 and EfficientNet-B0, in this one run (medians of a few repeats; machines here are
noisy):
  - baseline: torchvision building the model (random initialisation, what `weights=None` costs),
  - import: tracing that model onto the canvas, folding composites, mapping every weight,
  - import + check: the same plus the compiled graph's forward against the source (what
    `cnnstudio import` does),
  - ONNX export (written, then checked with onnxruntime).
Run: python bench/interop.py

`python bench/interop.py timm --out DIR` instead measures import coverage over every CNN in
`timm.list_models()` (bench/timm_coverage.py says how): resumable, and several processes may
share DIR (`--workers N` starts N). `--per-family 1` takes one model per architecture file,
`--summary` only prints the figures of what DIR holds (`--per-model`: and each model's line).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def timm_main(argv) -> None:
    import timm

    import timm_coverage as tc

    parser = argparse.ArgumentParser(prog="bench/interop.py timm")
    parser.add_argument("--out", type=Path, required=True, help="folder for timm.jsonl (results so far are kept)")
    parser.add_argument("--per-family", type=int, default=0, help="models per architecture file (0: all)")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--max-params", type=float, default=200e6, help="larger models are listed, not run")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one model may take")
    parser.add_argument("--budget", type=float, default=0, help="seconds after which no new model starts")
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the list")
    parser.add_argument("--summary", action="store_true", help="print the figures of OUT, run nothing")
    parser.add_argument("--per-model", action="store_true", help="with the figures, one line per model run")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    every = args.names or timm.list_models()
    excluded = [n for n in every if not tc.is_cnn(n)]
    names = tc.plan(every, args.per_family)
    print(f"timm {timm.__version__}", flush=True)
    if not args.summary:
        if args.workers > 1 and not os.environ.get("INTEROP_CHILD"):
            env = {**os.environ, "INTEROP_CHILD": "1"}  # each child runs the list itself, no summary
            procs = [subprocess.Popen([sys.executable, __file__, "timm", *argv], env=env) for _ in range(args.workers)]
            for p in procs:
                p.wait()
        else:
            tc.run(args.out, names, args.size, args.max_params, args.timeout, args.budget)
            if os.environ.get("INTEROP_CHILD"):
                return
    print(tc.summary(args.out, names, excluded, args.per_model))


def main() -> None:
    if sys.argv[1:2] == ["timm"]:
        return timm_main(sys.argv[2:])
    import torch
    import torchvision

    from cnnstudio.core import Project
    from cnnstudio.core.interop.export import export
    from cnnstudio.core.interop.importer import import_module, verify

    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, 1 thread")
    print(f"{'model':<16}{'torchvision build':>18}{'import':>10}{'ratio':>7}{'import+check':>14}{'ONNX export':>13}")
    for name in ("resnet50", "efficientnet_b0"):
        shape = (3, 224, 224)
        build = median_s(lambda: torchvision.models.get_model(name, weights=None), 3)
        model = torchvision.models.get_model(name, weights=None).eval()
        imp = median_s(lambda: import_module(model, shape, name), 3)
        checked = median_s(lambda: verify(import_module(model, shape, name), batch=1), 3)
        imported = import_module(model, shape, name)
        with tempfile.TemporaryDirectory() as d:
            from cnnstudio.core.interop.weights import save_weights
            save_weights(imported.weights, Path(d) / "w.safetensors")
            project = Project(name, imported.graph, weights="w.safetensors")
            onnx_s = median_s(lambda: export(project, "onnx", Path(d) / "m.onnx", Path(d) / "p.cnnproj"), 2)
        print(f"{name:<16}{build:>16.2f} s{imp:>8.2f} s{imp / build:>6.2f}×{checked:>12.2f} s{onnx_s:>11.2f} s")


if __name__ == "__main__":
    main()
