"""Import coverage over timm's CNNs: each model timm lists, built on the CPU (random weights,
no download) and imported at 224 px, then checked against timm's own forward.

Prints one line per model (blocks on the canvas, PyTorch-module blocks, max |difference| relative
to the output's size, seconds) and the summary "N of M exact, K with PyTorch-module blocks,
refused: ..." with reasons. Vision transformers and other attention models are excluded and
named. timm lists about a thousand models; `--per-family 1` takes the first model of each
architecture file (resnet.py, efficientnet.py, ...), `--budget S` stops starting new models
after S seconds. Run: python bench/timm_coverage.py --per-family 1 --budget 1200
"""
from __future__ import annotations

import argparse
import collections
import time
import warnings

# architecture files of models built on attention (or token mixing): not CNNs, left out by name
TRANSFORMER_FAMILIES = ("vision_transformer", "deit", "swin", "beit", "cait", "xcit", "coat", "crossvit", "levit",
                        "mvitv2", "pvt", "twins", "tnt", "volo", "convit", "eva", "vitamin", "hiera", "mlp_mixer",
                        "gcvit", "maxxvit", "nest", "sequencer", "tiny_vit", "efficientformer", "nextvit", "davit",
                        "focalnet", "naflexvit", "shvit", "swiftformer", "edgenext", "byoanet", "csatv2")


def family(name: str) -> str:
    """The timm file that defines the model (resnet, efficientnet, ...)."""
    from timm.models import _registry
    return _registry._model_to_module.get(name, "?").split(".")[-1]  # noqa: SLF001 - timm's own index


def main() -> None:
    import timm
    import torch

    from cnnstudio.core.interop import InteropError, import_model

    parser = argparse.ArgumentParser()
    parser.add_argument("--per-family", type=int, default=0, help="models per architecture file (0: all)")
    parser.add_argument("--budget", type=float, default=0, help="seconds after which no new model starts")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    names = args.names or timm.list_models()
    excluded = [n for n in names if family(n).startswith(TRANSFORMER_FAMILIES)]
    names = [n for n in names if n not in excluded]
    if args.per_family:
        seen = collections.Counter()
        names = [n for n in names if not (seen.update([family(n)]) or seen[family(n)] > args.per_family)]
    print(f"timm {timm.__version__}: {len(names)} CNNs tried, {len(excluded)} transformer/attention models excluded "
          f"({', '.join(sorted({family(n) for n in excluded}))})")
    start, results = time.perf_counter(), {}
    for name in names:
        if args.budget and time.perf_counter() - start > args.budget:
            break
        t = time.perf_counter()
        try:
            imported = import_model(f"timm:{name}", input_shape=(3, 224, 224))
            x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
            ref = imported.reference(x)
            from cnnstudio.core.interop.importer import verify
            diff = verify(imported, (3, 224, 224), batch=1) / max(1.0, ref.abs().max().item())
            types = [n.type for n in imported.graph.nodes.values()]
            kept = types.count("TorchModule")
            kind = "inexact" if diff > 1e-4 else "kept" if kept else "exact"
            results[name] = (kind, "")
            print(f"{name:<36}{kind:<8}{len(types):>5} blocks {kept:>3} PyTorch-module  diff {diff:.1e}  "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
        except InteropError as e:
            results[name] = ("refused", str(e).split(": ", 2)[-1][:160])
            print(f"{name:<36}refused  {results[name][1]}", flush=True)
        except Exception as e:  # noqa: BLE001 - a model timm cannot build here is named, not fatal
            results[name] = ("failed", f"{type(e).__name__}: {str(e)[:120]}")
            print(f"{name:<36}failed   {results[name][1]}", flush=True)
    count = collections.Counter(k for k, _ in results.values())
    built = len(results) - count["failed"]
    print(f"\n{count['exact'] + count['kept']} of {built} exact, {count['kept']} of them with PyTorch-module blocks; "
          f"inexact: {count['inexact']}; refused: {count['refused']}"
          + "".join(f"\n  {n}: {why}" for n, (k, why) in results.items() if k in ("refused", "failed")))


if __name__ == "__main__":
    main()
