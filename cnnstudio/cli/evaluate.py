"""`cnnstudio evaluate RUN [RUN ...] [--tta flip|tencrop]`: each run's test accuracy (multi-label:
mAP, mean F1, exact match and a per-class table) and, for several runs, their ensemble's
(probabilities averaged)."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="test accuracy (multi-label: mAP, mean F1, exact match) of runs, with test-time augmentation and as an ensemble",
                       description="Evaluate trained runs on their dataset's test split. With --tta the "
                                   "probabilities are averaged over flipped (or ten cropped) copies of each "
                                   "sample; with several runs, also over the runs (an ensemble). Exit status: "
                                   "0 done, 1 a run cannot be evaluated, 2 bad input.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders (each holds run.json)")
    p.add_argument("--tta", nargs="?", const="flip", default="none", choices=("none", "flip", "tencrop"),
                   help="test-time augmentation: flip (the default when given) or tencrop (AlexNet's ten crops)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="multi-label: a class is predicted at this probability or above (default 0.5)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args) -> int:
    bad = [r for r in args.runs if not (Path(r) / "run.json").is_file()]
    if bad:
        print(f"cnnstudio evaluate: {bad[0]} is not a training run (no run.json in it). Pass run folders that "
              "`cnnstudio train` printed.", file=sys.stderr)
        return 2
    if not 0 < args.threshold < 1:
        print(f"cnnstudio evaluate: --threshold must be between 0 and 1, not {args.threshold}.", file=sys.stderr)
        return 2
    from ..core.train.evaluate import TTA, EvaluateError, evaluate_runs
    from ..core.train.metrics import DEFINITIONS, MULTILABEL, NAMES, definition_lines
    try:
        result = evaluate_runs(args.runs, args.tta, args.threshold, args.checkpoint)
    except EvaluateError as e:
        print(f"cnnstudio evaluate: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"cnnstudio evaluate: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a damaged run or dataset: say which and why, no traceback
        print(f"cnnstudio evaluate: cannot evaluate: {e}", file=sys.stderr)
        return 1
    multi = result["task"] == "multilabel"
    if args.json:
        plain = {k: v for k, v in result.items() if k not in ("probs", "labels", "ensemble_probs")}
        if multi:
            plain["definitions"] = {k: DEFINITIONS[k] for k in MULTILABEL}
        print(json.dumps(plain))
        return 0
    print(f"{result['dataset']}, {result['split']} split ({result['samples']} samples); "
          f"test-time augmentation: {TTA[result['tta']]}" + (f"; threshold {result['threshold']:g}" if multi else ""))
    rows = [(r["run"], r) for r in result["runs"]]
    if "ensemble" in result:
        rows.append((f"ensemble of {result['ensemble']['runs']} runs", result["ensemble"]))
    width = max([3] + [len(name) for name, _ in rows])
    if not multi:
        print(f"{'run'.ljust(width)}  accuracy")
        for name, r in rows:
            print(f"{name.ljust(width)}  {r['accuracy']:8.2%}")
        return 0
    heads = [NAMES[k] for k in MULTILABEL]
    print("  ".join(["run".ljust(width)] + [h.rjust(8) for h in heads]))
    for name, r in rows:
        print("  ".join([name.ljust(width)] + [f"{r[k]:.1%}".rjust(max(8, len(h))) for k, h in zip(MULTILABEL, heads)]))
    per_class = rows[-1][1]["per_class"]
    cw = max([5] + [len(c["class"]) for c in per_class])
    print(f"\nper class ({rows[-1][0]}):")
    print(f"{'class'.ljust(cw)}  {'precision':>9}  {'recall':>6}  {'F1':>6}  {'AP':>6}  {'support':>7}")
    pct = lambda v: "—" if v != v else f"{v:.1%}"  # noqa: E731 - AP is undefined (NaN) for a class with no sample
    for c in per_class:
        print(f"{c['class'].ljust(cw)}  {pct(c['precision']):>9}  {pct(c['recall']):>6}  {pct(c['f1']):>6}  "
              f"{pct(c['ap']):>6}  {c['support']:7d}")
    print()
    for line in definition_lines(result["threshold"]):
        print(line)
    return 0
