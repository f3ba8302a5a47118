"""`cnnstudio train FILE`: the window's training engine, headless.

Exit codes: 0 trained (or stopped early by early stopping), 1 the network or its head does not
fit the dataset, 2 bad input (file, option, dataset), 3 the run failed or was interrupted.

`--nproc N` launches N data-parallel processes through torchrun (core/train/launch.py), each
running this same command; started by torchrun directly (`torchrun ... -m cnnstudio train
FILE`), every rank runs it and rank 0 alone prints and writes the run folder.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from ..core.train.config import OPTIMIZERS

EXIT_FOR_KIND = {"network": 1, "head": 1, "input": 1, "config": 2, "dataset": 2, "device": 2, "checkpoint": 2, "busy": 2}


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a project headless (same engine as the window)",
                       description="Train a project's network on its dataset. Exit status: 0 done, 1 the "
                       "network or head does not fit the dataset, 2 bad input, 3 failed or interrupted.")
    p.add_argument("file", help="a .cnnproj project file")
    p.add_argument("--dataset", metavar="ID", help="dataset id (see `cnnstudio datasets`)")
    p.add_argument("--epochs", type=int, metavar="N")
    p.add_argument("--batch-size", type=int, metavar="N")
    p.add_argument("--lr", type=float, metavar="LR", help="learning rate")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS))
    p.add_argument("--schedule", choices=["none", "step", "cosine", "onecycle", "plateau"])
    p.add_argument("--device", metavar="DEV", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"])
    p.add_argument("--seed", type=int)
    p.add_argument("--out", metavar="DIR", help="the run folder to create (default: a new folder in FILE's "
                   "<name>.runs/ beside the project)")
    p.add_argument("--resume", metavar="RUN", help="continue this run folder from its last checkpoint")
    p.add_argument("--nproc", type=int, metavar="N", help="train data-parallel in N processes on this machine "
                   "through torchrun: one per GPU (NCCL), or N CPU processes (gloo); --batch-size is the global batch")
    p.add_argument("--backbone-lr-factor", type=float, metavar="F",
                   help="transfer learning: every block but the head trains at lr × F (e.g. 0.1)")
    p.add_argument("--unfreeze", action="store_true", help="train the frozen blocks too (fine-tuning)")
    p.add_argument("--init-from", metavar="RUN", help="start from the weights of this run folder's best "
                   "checkpoint (e.g. the run that trained the head), not the project's")
    p.add_argument("--check-overfit", action="store_true", help="first check the network can overfit one batch")
    p.add_argument("--json", action="store_true", help="print one JSON object per epoch (and a final one)")
    p.set_defaults(run=run)


def _bar(done: int, total: int, width: int = 24) -> str:
    k = int(width * done / max(total, 1))
    return "█" * k + "·" * (width - k)


def _cr() -> None:
    """The progress line's own carriage return (the CLI escapes any other control character)."""
    getattr(sys.stderr, "unescaped", sys.stderr).write("\r")


def _progress_printer(args, stop=None):
    from ..core.analysis.cost import human_duration
    from .output import quiet_broken_pipe

    tty = sys.stderr.isatty()
    skipped = [0]

    def report(msg):
        try:
            show(msg)
        except BrokenPipeError:  # the reader of --json went away (`| head`): stop cleanly, resumable
            quiet_broken_pipe()
            if stop is not None:
                stop.set()

    def show(msg):
        t = msg["type"]
        if t == "batch" and tty:
            _cr()
            print(f"epoch {msg['epoch']}/{msg['epochs']} {_bar(msg['batch'], msg['batches'])} "
                  f"{msg['batch']}/{msg['batches']} loss {msg['loss']:.4f} {msg['images_per_s']:.0f} img/s "
                  f"ETA {human_duration(msg['eta_s'])} ", end="", file=sys.stderr, flush=True)
        elif t == "epoch":
            if msg.get("skipped_files", 0) > skipped[0]:
                skipped[0] = msg["skipped_files"]
                print(("\n" if tty else "") + f"note: {skipped[0]} unreadable image(s) skipped so far; the list is in "
                      "skipped_files.txt in the run folder.", file=sys.stderr)
            if args.json:
                print(json.dumps({k: v for k, v in msg.items() if k not in ("type", "epochs")}), flush=True)
            score = _scores(msg)
            if tty:
                _cr()
            print(f"epoch {msg['epoch']}/{msg['epochs']}: train loss {msg['train_loss']:.4f}"
                  + (f", val loss {msg['val_loss']:.4f}" if "val_loss" in msg else "") + (f", {score}" if score else "")
                  + f", {msg['seconds']:.1f} s, {msg['images_per_s']:.0f} img/s" + " " * 10, file=sys.stderr, flush=True)
        elif t == "status":
            live = tty and msg["text"].startswith("Downloading ") and " MB" in msg["text"]
            if live:
                _cr()
            print(msg["text"], end="" if live else "\n", file=sys.stderr, flush=True)
        elif t == "started":
            info = msg["info"]
            print(f"run folder: {msg['run_dir']} ({info.get('device')}, {info.get('precision')})", file=sys.stderr)
            data = info.get("data_path") or {}
            if data.get("why"):
                print(f"data: {data['why']}", file=sys.stderr)
            for note in info.get("notes", []):
                if note.startswith("Data-parallel") or "skipped" in note:
                    print(f"note: {note}", file=sys.stderr)
            sys.stderr.flush()
    return report


def _rank() -> int | None:
    """This process's rank when torchrun started it, else None."""
    return int(os.environ["RANK"]) if "WORLD_SIZE" in os.environ and "RANK" in os.environ else None


def run(args) -> int:
    from ..core import Project, ProjectError, load_project
    from ..core.project import project_to_dict

    rank = _rank()
    if rank is not None:  # a rank our launcher started dies with torchrun's agent, even a killed one
        from ..core.train.children import die_with_parent
        die_with_parent()
    if args.nproc is not None and (args.nproc < 1 or rank is not None):
        print("cnnstudio train: " + ("--nproc must be 1 or more." if args.nproc < 1 else
              "--nproc starts the processes itself; under torchrun leave it out."), file=sys.stderr)
        return 2
    try:
        project = load_project(args.file)
    except ProjectError as e:
        print(f"cnnstudio train: {e}", file=sys.stderr)
        return 2
    resume = False
    if args.resume:
        run_dir = Path(args.resume)
        try:
            trained = load_project(run_dir / "project.cnnproj")
        except ProjectError as e:
            if rank not in (None, 0) and not run_dir.exists():  # the run folder is on rank 0's machine
                trained = project
            else:
                return _refuse(f"{args.resume} is not a run folder that can resume ({e})", rank)
        if project_to_dict(Project(graph=project.graph)) != project_to_dict(Project(graph=trained.graph)) and not rank:
            print(f"note: resuming {run_dir} with the network it was trained with; the network in "
                  f"{args.file} differs and is not used (start a new run to train it).", file=sys.stderr)
        project, resume = trained, True  # the graph as trained, so the checkpoint fits
    elif rank:  # only rank 0 writes the run folder: the others neither check nor create it
        run_dir = Path(args.out or ".")
    elif args.out:
        run_dir = Path(args.out)
        if run_dir.exists() and not run_dir.is_dir():
            print(f"cnnstudio train: --out {run_dir} is a file, not a folder; choose a folder for the run.",
                  file=sys.stderr)
            return 2
        if run_dir.exists() and any(run_dir.iterdir()):
            return _refuse(f"{run_dir} already exists and is not empty; choose a new folder or --resume it.", rank)
    else:
        from ..core.train.runs import new_run_dir, runs_folder
        run_dir = new_run_dir(runs_folder(Path(args.file)), project.name)
    problem = None if rank else _unwritable(run_dir)  # before loading any data
    if problem:
        return _refuse(f"cannot create the run folder {run_dir}: {problem}.", rank)
    if args.dataset:
        project.dataset = {**project.dataset, "id": args.dataset} if args.dataset == project.dataset.get("id") \
            else {"id": args.dataset}
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "optimizer": args.optimizer,
                 "schedule": args.schedule, "device": args.device, "precision": args.precision, "seed": args.seed,
                 "backbone_lr_factor": args.backbone_lr_factor}
    if args.unfreeze:
        for node in project.graph.nodes.values():
            node.frozen = False
    init_from = None
    if args.init_from:
        from ..core.train.runs import load_run
        try:
            init_from = load_run(args.init_from).checkpoint("best")
        except Exception:  # noqa: BLE001 - any unreadable folder is one message
            init_from = None
        if init_from is None or not init_from.is_file():
            print(f"cnnstudio train: --init-from {args.init_from}: no checkpoint there (is it a run folder "
                  "that finished an epoch?).", file=sys.stderr)
            return 2
    from ..core.train.callbacks import Control
    from ..core.train.engine import Trainer

    if args.check_overfit:  # the same check as the window's button
        from ..core.train.worker import overfit_check
        check = overfit_check(project, {k: v for k, v in overrides.items() if k != "epochs"}, _progress_printer(args),
                              args.file)
        print(("" if check["status"] == "checked" else "cnnstudio train: ") + check["message"], file=sys.stderr)
        if check["status"] != "checked":
            return EXIT_FOR_KIND.get(check.get("kind"), 3)
        if not check["ok"]:
            return 1
    if args.nproc and args.nproc > 1:
        return _launch(args, run_dir, resume, overrides)
    stop = threading.Event()

    def on_ctrl_c(*_):  # the first stops cleanly after the batch, keeping the run; a second
        stop.set()      # interrupts at once (e.g. while a dataset downloads, before any batch)
        if not rank:
            print("\nStopping after this batch (Ctrl-C again to interrupt now)…", file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if signal.getsignal(signal.SIGTERM) is on_ctrl_c:
            signal.signal(signal.SIGTERM, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    previous_term = _term_like_ctrl_c(rank is None, on_ctrl_c)
    report, control = _progress_printer(args, stop), Control(stop=stop)
    if rank is not None:
        from ..core.train.distributed import LaunchControl, launch_dir, message_writer
        if rank:
            report = lambda msg: None  # noqa: E731 - rank 0 speaks for the run
        elif launch_dir():  # launched by --nproc or the window: the launcher prints
            report, control = message_writer(launch_dir()), LaunchControl(launch_dir(), control)
    try:
        trainer = Trainer(project, run_dir, overrides=overrides, resume=resume, report=report,
                          control=control, project_path=args.file, init_from=init_from)
        result = trainer.run()
    except KeyboardInterrupt:
        print("cnnstudio train: interrupted. Finished epochs are kept in the run folder.", file=sys.stderr)
        return 3
    finally:
        signal.signal(signal.SIGINT, previous)
        _term_like_ctrl_c(rank is None, previous_term)
    if rank is not None and (rank or os.environ.get("CNNSTUDIO_LAUNCH_DIR")):
        return 0 if result["status"] == "finished" else EXIT_FOR_KIND.get(result.get("kind"), 3)
    return _finish(args, result, run_dir)


def _launch(args, run_dir: Path, resume: bool, overrides: dict) -> int:
    """--nproc N: the same command in N processes through torchrun; this one prints their progress."""
    from ..core.train.launch import Launch, LaunchFlags

    argv = [str(args.file), *(["--resume", str(run_dir)] if resume else ["--out", str(run_dir)])]
    if args.dataset:
        argv += ["--dataset", args.dataset]
    for key, value in overrides.items():
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    launch = Launch(argv, args.nproc, run_dir)
    flags = LaunchFlags()

    def on_ctrl_c(*_):
        if flags.stop:  # a second Ctrl-C: end every process now
            launch.kill()
            return
        flags.stop = True
        print("\nStopping every process after this batch (Ctrl-C again to end them now)…", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    previous_term = _term_like_ctrl_c(True, on_ctrl_c)
    print(f"Starting {args.nproc} training processes with torchrun…", file=sys.stderr, flush=True)
    try:
        result = launch.run(_progress_printer(args), flags)
    except OSError as e:
        print(f"cnnstudio train: could not start the training processes ({e.strerror or e}).", file=sys.stderr)
        return 3
    finally:
        signal.signal(signal.SIGINT, previous)
        _term_like_ctrl_c(True, previous_term)
    return _finish(args, result, run_dir)


def _term_like_ctrl_c(front: bool, handler):
    """SIGTERM (a service manager, `kill`) stops the front process like Ctrl-C: after the batch,
    keeping the run. → the handler it replaces. Ranks keep their own (distributed.py)."""
    if not front or os.name == "nt" or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler if handler is not None else signal.SIG_DFL)


def _refuse(message: str, rank) -> int:
    """A refusal before training: said once (rank 0), and told to the launcher so that its
    summary gives this reason instead of "rank 0 failed"."""
    if not rank:
        print(f"cnnstudio train: {message}", file=sys.stderr)
    if rank is not None:
        from ..core.train.distributed import write_rank_result
        write_rank_result({"type": "done", "status": "failed", "message": message, "kind": "config"})
    return 2


def _scores(msg: dict) -> str:
    from ..core.train.metrics import epoch_scores
    return ", ".join(epoch_scores(msg, split="val"))


def _finish(args, result: dict, run_dir: Path) -> int:
    if args.json:
        print(json.dumps({"done": True, **{k: v for k, v in result.items() if k != "type"}}), flush=True)
    print(("" if result["status"] == "finished" else "cnnstudio train: ") + result["message"], file=sys.stderr)
    best = result.get("best")
    if best and best.get("value") is not None:
        from ..core.train.metrics import label
        name = label(best["metric"])
        value = f"{best['value']:.4g}" if best["metric"].endswith("loss") else f"{best['value']:.1%}"
        print(f"Best {name}: {value} (epoch {best['epoch']}). Run folder: {result.get('run_dir')}", file=sys.stderr)
    if result["status"] == "finished":
        return 0
    if result["status"] == "stopped":
        print(f"Resume with: cnnstudio train {args.file} --resume {run_dir}", file=sys.stderr)
    return EXIT_FOR_KIND.get(result.get("kind"), 3)


def _unwritable(folder: Path) -> str | None:
    """Why `folder` cannot be created or written, or None; creates nothing."""
    here = folder.absolute()
    while not here.exists():
        here = here.parent
    if not here.is_dir():
        return f"{here} is a file, not a folder"
    if not os.access(here, os.W_OK | os.X_OK):
        return f"no permission to write in {here}"
    return None
