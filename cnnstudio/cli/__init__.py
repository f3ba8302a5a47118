"""`cnnstudio` command line. Each subcommand is a module here with `add_parser` and `run`.

With no subcommand the editor window opens. Exit codes: 0 ok, 1 the network or run has
errors, 2 bad input (a file that cannot be read, a bad option), 3 interrupted or failed run.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

# one module in this package per subcommand, named like it, in --help order
SUBCOMMANDS = ("summary", "open", "train", "datasets", "report", "import_", "export", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnstudio", description="Design, train and understand CNNs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{module}").add_parser(sub)
    return parser


# terminal controls a name or id could carry (ANSI escapes, carriage returns, bidi overrides):
# shown as visible escapes, so no file can rewrite what the terminal shows
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                         else f"\\u{ord(m.group()):04x}", text)


class EscapingStream:
    """stdout/stderr for the CLI: every write is escaped; `unescaped` is the real stream, for the
    progress bar's own carriage return."""

    def __init__(self, stream):
        self.unescaped = stream

    def write(self, text: str) -> int:
        self.unescaped.write(escape_controls(text))
        return len(text)

    def __getattr__(self, name):
        return getattr(self.unescaped, name)


def quiet_broken_pipe() -> None:
    """The reader of our output went away (`cnnstudio ... | head`): send what is left nowhere, so
    neither we nor the interpreter's exit flush print a BrokenPipe traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.__stdout__.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    finally:
        os.close(devnull)


def main(argv=None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(out), EscapingStream(err)
    try:
        args = build_parser().parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
