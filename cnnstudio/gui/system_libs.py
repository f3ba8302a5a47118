"""Which system libraries Qt's X11 (xcb) platform plugin cannot find, asked before Qt starts:
when the plugin does not load, Qt aborts the process and names only one library, often not
the one that is missing. Imports no Qt."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

# the shared library each Debian/Ubuntu package provides (Qt 6's xcb plugin needs them all)
PACKAGES = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
            "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
            "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-xinerama.so.0": "libxcb-xinerama0",
            "libxkbcommon-x11.so.0": "libxkbcommon-x11-0"}


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    p = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return p if p.exists() else None


def not_found(ldd_output: str) -> list[str]:
    """The libraries `ldd` could not resolve, in its order, each once."""
    out = []
    for line in ldd_output.splitlines():
        name, _, where = line.strip().partition("=>")
        if where.strip() == "not found" and name.strip() not in out:
            out.append(name.strip())
    return out


def missing_xcb_libraries() -> list[str]:
    """Libraries the xcb plugin needs and cannot find ([] when all are there or we cannot tell)."""
    plugin = xcb_plugin()
    if not sys.platform.startswith("linux") or plugin is None:
        return []
    try:
        r = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return not_found(r.stdout)


def message(missing: list[str]) -> str:
    packages = [PACKAGES[m] for m in missing if m in PACKAGES]
    text = ("cnnstudio: Qt cannot open a window: its X11 platform plugin needs system libraries that are "
            f"not installed: {', '.join(missing)}.")
    if packages:
        text += f" On Debian or Ubuntu: sudo apt-get install {' '.join(packages)}"
    return text + " (The headless commands work without them: cnnstudio --help.)"
