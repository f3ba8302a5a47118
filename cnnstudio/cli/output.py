"""What the CLI writes: every name or id escaped so no file can rewrite the terminal, and
nothing more once the reader has gone away (`cnnstudio ... | head`)."""
from __future__ import annotations

import os
import re
import sys


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
