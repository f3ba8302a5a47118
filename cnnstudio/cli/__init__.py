"""`cnnstudio` command line. Each subcommand is a module here with `add_parser` and `run`.

With no subcommand the editor window opens. Exit codes: 0 ok, 1 the network or run has
errors, 2 bad input (a file that cannot be read, a bad option), 3 interrupted or failed run.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .output import EscapingStream, quiet_broken_pipe

# one module in this package per subcommand, named like it, in --help order
SUBCOMMANDS = ("summary", "open", "train", "sweep", "datasets", "report", "import_", "export", "evaluate")


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The parser for `argv`: when it starts with a subcommand, only that one's module is imported
    (all of them import ≈0.13 s of CNN Studio that, e.g., a report does not need); else all."""
    parser = argparse.ArgumentParser(prog="cnnstudio", description="Design, train and understand CNNs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    first = argv[0] if argv else None
    for module in [m for m in SUBCOMMANDS if m.rstrip("_") == first] or SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{module}").add_parser(sub)
    return parser


def main(argv=None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(out), EscapingStream(err)
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        if argv and argv[0] not in {m.rstrip("_") for m in SUBCOMMANDS} and Path(argv[0]).is_file():
            argv = ["open", *argv]  # `cnnstudio FILE`, as a file manager or a desktop launcher runs it
        args = build_parser(argv).parse_args(argv)
        if args.command is None:
            from .open import run_window
            return run_window(None)
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C anywhere: a line, not a traceback
        print("\ncnnstudio: interrupted.", file=sys.stderr)
        return 3
    except BrokenPipeError:
        quiet_broken_pipe()
        return 0
    finally:
        sys.stdout, sys.stderr = out, err


def console() -> int:
    """The `cnnstudio` command as a process: main(), then a Ctrl-C that lands while Python shuts
    down (torch's exit handlers run for a while) ends the process quietly instead of printing
    an "Exception ignored in atexit callback" traceback."""
    code = main()
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return code


if __name__ == "__main__":
    sys.exit(console())
