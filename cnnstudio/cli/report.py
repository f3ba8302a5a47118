"""`cnnstudio report RUN [-o report.html]`: a self-contained HTML report of a training run.
`cnnstudio report PROJECT --study NAME` (or `--storage URL --study NAME`): an experiment's report,
the table and plots the Experiments view shows."""
from __future__ import annotations

from pathlib import Path

TINY_MACS = 1_000_000  # multiply-adds a sample; LeNet-5 has 0.4 M, a CIFAR-10 convnet 26 M


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report of a training run",
                       description="Architecture, curves, filters, feature maps, sample predictions and the "
                                   "confusion matrix of a run, in one HTML file with the images embedded.")
    p.add_argument("run_dir", metavar="RUN", nargs="?", help="the run folder (it holds run.json); with --study, "
                   "the project whose experiment to report")
    p.add_argument("--study", metavar="NAME", help="report this experiment (`cnnstudio sweep`) instead of a run")
    p.add_argument("--storage", metavar="URL", help="the experiment's storage (default: the project's sweeps.db)")
    p.add_argument("-o", "--output", help="HTML file to write (default: RUN/report.html)")
    p.add_argument("--force", action="store_true", help="replace the HTML file even when it is not an earlier "
                   "report's own, unchanged file")
    p.add_argument("--checkpoint", choices=("best", "last"), default=None,
                   help="which weights to report on (default: best, or last while training)")
    p.set_defaults(run=run)


def run(args) -> int:
    import sys

    if args.study or args.storage:
        return _study(args)
    if not args.run_dir:
        print("cnnstudio report: give a run folder (or PROJECT --study NAME for an experiment).", file=sys.stderr)
        return 2
    run_dir = Path(args.run_dir)
    out = Path(args.output) if args.output else run_dir / "report.html"
    if not (run_dir / "run.json").is_file():
        print(f"cnnstudio report: {run_dir} is not a training run (no run.json in it). Pass the run folder that "
              "`cnnstudio train` printed.", file=sys.stderr)
        return 2
    if out.is_dir():
        print(f"cnnstudio report: {out} is a folder; give a file name such as {out / 'report.html'}.", file=sys.stderr)
        return 2
    from ..core.analysis.cost import totals
    from ..core.inspect.report import build_report
    from ..core.inspect.source import from_run
    from ..core.project import outputs
    import torch

    guard = [(p, "a file of the run") for p in run_dir.glob("**/*") if p.name != "report.html"]
    try:  # before minutes of work
        outputs.check([out], "report", args.force, guard)
    except outputs.Refused as e:
        print(f"cnnstudio report: {e.cli()}", file=sys.stderr)
        return 2

    from ..core.train.config import cpu_thread_count
    torch.set_num_threads(cpu_thread_count())  # like the trainer: tiny convs slowed 4× with more
    try:
        insp = from_run(run_dir, which=args.checkpoint)
    except FileNotFoundError as e:
        print(f"cnnstudio report: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a damaged run: say which and why, no traceback
        print(f"cnnstudio report: cannot read the run {run_dir}: {e}", file=sys.stderr)
        return 1
    if totals(insp.analysis)["macs"] < TINY_MACS:
        # PyTorch's own convolutions: oneDNN's cost ≈0.1–0.3 ms more a call on inputs this small,
        # ≈70 ms of a LeNet-5 report (its 120 gradient-ascent steps most); the pictures are the same
        torch.backends.mkldnn.enabled = False
    text = build_report(insp)
    try:
        outputs.write({out: lambda tmp: Path(tmp).write_text(text, encoding="utf-8")}, "report", args.force, guard)
    except outputs.Refused as e:
        print(f"cnnstudio report: {e.cli()}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"cnnstudio report: cannot write {out}: {e.strerror or e}. Choose another file with -o.", file=sys.stderr)
        return 2
    print(f"wrote {out} ({len(text.encode()) / 1024:.0f} KB)")
    return 0


def _study(args) -> int:
    import sys

    from ..core.project.atomic import atomic_write_text
    from ..core.sweep import study as st
    from ..core.sweep.report import build_study_report
    from ..core.sweep.space import SweepError

    def fail(text: str) -> int:
        print(f"cnnstudio report: {text}", file=sys.stderr)
        return 2
    if not args.study or not (args.storage or args.run_dir):
        return fail("an experiment's report needs --study NAME and the project (or --storage URL).")
    url = args.storage or st.default_url(args.run_dir)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        return fail(f"{args.run_dir} has no experiments yet (no {url[len('sqlite:///'):]}); run `cnnstudio sweep` first.")
    try:
        study, settings, _ = st.load(st.open_storage(url), args.study)
    except SweepError as e:
        return fail(str(e))
    out = Path(args.output) if args.output else Path(settings["runs"]) / f"{settings['study']}-experiment.html"
    if out.is_dir():
        return fail(f"{out} is a folder; give a file name such as {out / 'experiment.html'}.")
    text = build_study_report(study, settings)
    try:
        atomic_write_text(out, text)
    except OSError as e:
        return fail(f"cannot write {out}: {e.strerror or e}. Choose another file with -o.")
    print(f"wrote {out} ({len(text.encode()) / 1024:.0f} KB)")
    return 0
