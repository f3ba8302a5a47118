"""Models in and out: import time against torchvision's own construction, and ONNX export time.

For ResNet-50 and EfficientNet-B0, in this one run (medians of a few repeats; machines here are
noisy):
  - baseline: torchvision building the model (random initialisation, what `weights=None` costs),
  - import: tracing that model onto the canvas, folding composites, mapping every weight,
  - import + check: the same plus the compiled graph's forward against the source (what
    `cnnstudio import` does),
  - ONNX export (written, then checked with onnxruntime).
Run: python bench/interop.py
"""
from __future__ import annotations

import statistics
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


def main() -> None:
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
