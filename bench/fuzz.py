"""Fuzz the project pipeline: mutate every sample project tens of thousands of times and drive
each through load → checks → summary → compile → forward → export → run the exported code.
`--target onnx|weights|runs` fuzzes hostile model files instead (tests/interop/fuzz_models.py):
mutated ONNX files through `import`, weights files through `export`, run folders through
`export --run`; a crash is a traceback, more than one line, or a file written by a failed command.

    python bench/fuzz.py [N] [--seed S] [--jobs J] [--target projects|onnx|weights|runs|models]

Prints the crash rate and each distinct crash signature with a reproducing case (written to
bench/fuzz-crashes/). 0 crashes is the bar: a refusal with the project's own message is fine.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "core"), str(ROOT / "tests" / "interop")]


def model_chunk(args) -> tuple[int, Counter, dict, Counter]:
    """chunk() for hostile model files: each case a fresh folder, the seeds written once per process."""
    n, seed, targets = args
    import os
    import tempfile
    import warnings
    os.environ["CNNSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="fuzz-config-", dir="/dev/shm" if os.path.isdir(
        "/dev/shm") else None)  # the write record: not the user's
    warnings.simplefilter("ignore")
    import torch
    torch.set_num_threads(1)
    from fuzz_models import Seeds, drive
    global _SEEDS
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # fsync and rmtree are free in memory
    work = Path(tempfile.mkdtemp(prefix="fuzz-models-", dir=shm))
    if "_SEEDS" not in globals():
        _SEEDS = Seeds(work / "seeds")
    rng = random.Random(seed)
    found, example, outcomes = Counter(), {}, Counter()
    for i in range(n):
        target = targets[i % len(targets)]
        try:
            outcome, sig = drive(_SEEDS, target, rng, work / "case")
        except Exception as e:  # noqa: BLE001 - the mutation itself failed (a bug of the fuzzer, not a crash)
            outcomes[f"{target} fuzzer error {type(e).__name__}"] += 1
            continue
        outcomes[f"{target} {outcome}"] += 1
        if sig:
            found[sig] += 1
            example.setdefault(sig, f"seed {seed}, case {i}")
    return n, found, example, outcomes


def chunk(args) -> tuple[int, Counter, dict, Counter]:
    """(cases, signatures, a reproducing text per signature, outcomes) for one seed's share."""
    if len(args) == 3:
        return model_chunk(args)
    n, seed = args
    import torch
    torch.set_num_threads(1)
    from fuzz_cases import as_text, drive, mutate, sample_docs
    rng = random.Random(seed)
    docs = sample_docs()
    found, example, outcomes = Counter(), {}, Counter()
    for _ in range(n):
        text = as_text(mutate(rng.choice(docs), rng), rng)
        outcome, sig = drive(text)
        outcomes[outcome] += 1
        if sig:
            found[sig] += 1
            example.setdefault(sig, text)
    return n, found, example, outcomes


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--target", default="projects", choices=["projects", "onnx", "weights", "runs", "models"],
                    help="models: onnx, weights and runs in turn")
    args = ap.parse_args()
    t0 = time.perf_counter()
    size = 500  # cases per chunk: progress is printed as chunks finish
    parts = [(min(size, args.n - i * size), args.seed * 100_000 + i) for i in range(-(-args.n // size))]
    if args.target != "projects":
        targets = ("onnx", "weights", "runs") if args.target == "models" else (args.target,)
        parts = [(n, seed, targets) for n, seed in parts]
    results = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for r in pool.map(chunk, parts):
            results.append(r)
            done, bad = sum(x[0] for x in results), sum(sum(x[1].values()) for x in results)
            print(f"  {done:,} cases, {bad} crashes, {time.perf_counter() - t0:.0f} s", flush=True)
    total = sum(r[0] for r in results)
    found: Counter = sum((r[1] for r in results), Counter())
    example = {k: v for r in results for k, v in r[2].items()}
    outcomes: Counter = sum((r[3] for r in results), Counter())
    crashes = sum(found.values())
    seconds = time.perf_counter() - t0
    what = (f"mutations of {len(__import__('fuzz_cases').SAMPLES)} sample projects" if args.target == "projects" else
            f"hostile model files ({args.target})")
    print(f"{total:,} {what} in {seconds:.0f} s ({total / seconds:.0f}/s, {args.jobs} job(s), seed {args.seed})")
    print("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())) +
          "  (refused: the file's own message; invalid: errors shown on blocks; ran: compiled, forward, "
          "exported code run and compared)")
    print(f"crashes: {crashes} ({crashes / max(total, 1):.4%}), distinct signatures: {len(found)}")
    out = ROOT / "bench" / "fuzz-crashes"
    for i, (sig, count) in enumerate(found.most_common()):
        print(f"  {count:6d}  {sig}" + (f"  ({example[sig]})" if args.target != "projects" else ""))
        if args.target == "projects":
            out.mkdir(exist_ok=True)
            (out / f"crash-{i}.cnnproj").write_text(example[sig], encoding="utf-8", errors="surrogatepass")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
