"""`cnnstudio sweep PROJECT --vary NAME=SPEC ... --trials N [--parallel K]`: an experiment over
block parameters and training settings, searched by Optuna, each trial an ordinary run.
`cnnstudio sweep --join URL --study NAME` adds workers (this machine or another) to a study.

Exit status: 0 the study has its trials, 2 bad input (nothing started), 3 interrupted or a
worker failed (the study keeps every finished trial; run the same command again to resume).
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="search block parameters and training settings (Optuna), trials in parallel",
                       description="Run an experiment: every trial trains the project with one combination of "
                       "the varied settings, as an ordinary run. SPEC is a,b,c (choices), lo:hi (an int range when "
                       "both are whole numbers, else float) or lo:hi:log; NAME is block.param (e.g. c1.out_channels, "
                       "stage.repeat) or a training setting (lr, optimizer, batch_size, augment.flip, ...).")
    p.add_argument("project", nargs="?", help="a .cnnproj project file (not with --join)")
    p.add_argument("--vary", action="append", default=[], metavar="NAME=SPEC", help="a setting to vary (repeatable)")
    p.add_argument("--space", metavar="SPACE.json", help='a JSON space: {"NAME": [choices] | {"low": .., "high": .., "log": true}}')
    p.add_argument("--trials", type=int, metavar="N", help="trials in the study (default for a grid: every combination)")
    p.add_argument("--parallel", type=int, default=1, metavar="K", help="trials at once on this machine (each one process, one thread, unless --nproc)")
    p.add_argument("--nproc", type=int, metavar="N", help="each trial data-parallel in N processes, as `cnnstudio "
                   "train --nproc N` (kept with the study: --join workers use it too)")
    p.add_argument("--sampler", choices=("grid", "random", "tpe", "nsga2"), help="default: tpe, nsga2 for several objectives")
    p.add_argument("--objective", default="score", metavar="LIST",
                   help="score: the task's validation score (accuracy; mAP for multi-label; IoU for boxes), "
                   "optionally with costs to minimise: score,params | macs | latency (\"accuracy\" means score)")
    p.add_argument("--prune", choices=("median", "hyperband", "none"), default="median",
                   help="stop trials that are clearly worse than the others at the same epoch (one objective only)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage (SQLAlchemy URL); default sqlite:///PROJECT.runs/sweeps.db")
    p.add_argument("--study", metavar="NAME", help="the study's name (default: the project's)")
    p.add_argument("--epochs", type=int, metavar="E", help="epochs per trial (default: the project's)")
    p.add_argument("--seed", type=int, help="the sampler's seed")
    p.add_argument("--join", metavar="URL", help="add workers to the study NAME in this storage (from any machine)")
    p.add_argument("--json", action="store_true", help="one JSON object per finished trial, and a final one")
    p.set_defaults(run=run)


def _fail(text: str) -> int:
    print(f"cnnstudio sweep: {text}", file=sys.stderr)
    return 2


def run(args) -> int:
    from ..core.sweep.space import SweepError
    if args.parallel < 1:
        return _fail("--parallel must be 1 or more.")
    if args.nproc is not None and args.nproc < 1:
        return _fail("--nproc must be 1 or more.")
    try:
        url, name = _join(args) if args.join else _new(args)
    except SweepError as e:
        return _fail(str(e))
    return _run_workers(args, url, name)


def _new(args) -> tuple[str, str]:
    from ..core.sweep.setup import new_study
    from ..core.sweep.space import SweepError, load_space, parse_vary
    if not args.project:
        raise SweepError("give a project file (or --join URL --study NAME to help a running study).")
    dims = (load_space(args.space) if args.space else []) + [parse_vary(v) for v in args.vary]
    url, name, notes = new_study(args.project, dims, trials=args.trials, sampler=args.sampler,
                                 objectives=[o.strip() for o in args.objective.split(",") if o.strip()],
                                 prune=args.prune, epochs=args.epochs, seed=args.seed, storage=args.storage,
                                 name=args.study, nproc=args.nproc or 1)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return url, name


def _join(args) -> tuple[str, str]:
    from ..core.sweep import study as st
    from ..core.sweep.space import SweepError
    if args.project or args.vary or args.space or args.nproc:
        raise SweepError("--join takes the study's own project, space and --nproc: leave PROJECT, --vary, --space "
                         "and --nproc out.")
    if not args.study:
        raise SweepError("--join URL needs --study NAME (the study to help).")
    st.load(st.open_storage(args.join), args.study)  # it exists and is a cnnstudio study
    return args.join, args.study


def _run_workers(args, url: str, name: str) -> int:
    from ..core.sweep import results as R
    from ..core.sweep import score as S
    from ..core.sweep import study as st
    from ..core.sweep.runner import messages, start_workers
    study, settings, _ = st.load(st.open_storage(url), name)
    left = settings["trials"] - st.tally(study)["done"]
    print(f"Study {name}: {settings['trials']} trials ({settings['sampler']}, {left} to go), {args.parallel} at a time"
          f"{' of ' + str(settings.get('nproc', 1)) + ' processes each' if settings.get('nproc', 1) > 1 else ''}; "
          f"storage {st.safe_url(url)}", file=sys.stderr, flush=True)
    procs, q, stop = start_workers(url, name, args.parallel, _runs_here(settings) if args.join else None)
    interrupted, errors = [False], []

    def on_ctrl_c(*_):
        if interrupted[0]:  # a second Ctrl-C: end the workers now
            for p in procs:
                p.terminate()
            return
        interrupted[0] = True
        stop.set()
        print("\nStopping every trial after its batch (Ctrl-C again to end them now)…", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        for msg in messages(procs, q):
            _show(msg, args, settings)
            if msg["type"] == "error":
                errors.append(msg["message"])
    finally:
        signal.signal(signal.SIGINT, previous)
        for p in procs:
            p.join()
    table = R.rows(study, settings)
    best, metric = R.best_rows(table, settings), S.study_metric(table)
    if args.json:
        print(json.dumps({"done": True, "study": name, "summary": R.summary(table), "metric": metric,
                          "best": [_public(r) for r in best]}), flush=True)
    print(R.summary(table) + ".", file=sys.stderr)
    for r in best:
        print(f"Best: trial {r['trial']}: {_values(r['values'], metric)} ({R.params_text(r['params'])}). "
              f"Run folder: {r['run']}", file=sys.stderr)
    if best and metric in ("mAP", "iou"):
        print(S.definition(metric), file=sys.stderr)
    if interrupted[0] or errors:
        print(f"Resume with the same command{' (or --join)' if args.join else ''}: finished trials are kept.",
              file=sys.stderr)
        return 3
    return 0


def _runs_here(settings) -> str:
    """A joining worker writes runs where the study's project keeps them, when that folder is
    on this machine; else beside where it is started."""
    runs = Path(settings["runs"])
    return str(runs if runs.parent.is_dir() else Path.cwd() / runs.name)


def _public(msg: dict) -> dict:
    return {k: msg.get(k) for k in ("trial", "params", "state", "values", "metric", "run", "epochs", "reason")}


def _values(values: dict, metric) -> str:
    """"mAP 57.3%, params 12,345": the objectives as a user reads them (score.py names the score)."""
    from ..core.sweep import score as S
    return ", ".join(f"{S.objective_name(k, metric)} {S.objective_text(k, metric, v)}" for k, v in values.items())


def _show(msg: dict, args, settings) -> None:
    from ..core.sweep.results import params_text
    from ..core.train.metrics import epoch_scores
    t, n = msg["type"], msg.get("trial")
    if t == "error":
        print(f"cnnstudio sweep: a worker stopped: {msg['message']}", file=sys.stderr, flush=True)
    elif t == "started":
        print(f"trial {n}: {'resumed' if msg.get('resumed') else 'started'} {params_text(msg['params'])}",
              file=sys.stderr, flush=True)
    elif t == "epoch" and epoch_scores(msg, split="val"):  # accuracy, IoU, or a multi-label run's three
        print(f"trial {n}: epoch {msg['epoch']}/{msg['epochs_total']} {', '.join(epoch_scores(msg, split='val'))}",
              file=sys.stderr, flush=True)
    elif t == "done":
        values = dict(zip(settings["objectives"], msg["values"])) if msg.get("values") else {}
        if args.json:
            print(json.dumps(_public({**msg, "values": values})), flush=True)
        what = _values(values, msg.get("metric")) if values else (msg.get("reason") or "")
        epochs = f"{msg['epochs']} epoch{'' if msg['epochs'] == 1 else 's'}"
        print(f"trial {n}: {msg['state']}{': ' + what if what else ''}"
              + (f" ({epochs}, {msg.get('seconds', 0):.1f} s)" if msg.get("run") else ""),
              file=sys.stderr, flush=True)
