"""`cnnstudio` command line. Each subcommand is a module here with `add_parser` and `run`.

With no subcommand the editor window opens. Exit codes: 0 ok, 1 the network or run has
errors, 2 bad input (a file that cannot be read, a bad option), 3 interrupted or failed run.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# subcommand name → module in this package
SUBCOMMANDS = {"summary": "summary", "open": "open", "train": "train", "datasets": "datasets",
               "report": "report", "export": "export"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnstudio", description="Design, train and understand CNNs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{module}":
                raise
            continue  # not built yet
        mod.add_parser(sub)
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
