"""`cnnstudio` command line. Each subcommand is a module here with `add_parser` and `run`.

With no subcommand the editor window opens. Exit codes: 0 ok, 1 the network or run has
errors, 2 bad input (a file that cannot be read, a bad option), 3 interrupted or failed run.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# one module in this package per subcommand, named like it, in --help order
SUBCOMMANDS = ("summary", "open", "train", "datasets", "report", "import_", "export", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnstudio", description="Design, train and understand CNNs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{module}").add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            from .open import run_window
            return run_window(None)
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C anywhere: a line, not a traceback
        print("\ncnnstudio: interrupted.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
