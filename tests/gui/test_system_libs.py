"""When Qt's X11 plugin cannot load, the app names every missing library and its package."""
from __future__ import annotations

from cnnstudio.gui.system_libs import PACKAGES, message, not_found

LDD = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f6e)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f6d)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_the_message_names_each_missing_library_and_the_package_to_install():
    missing = not_found(LDD)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # not libxcb-cursor, which is there
    text = message(missing)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in text
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in text and "cursor" not in text


def test_every_library_qt_needs_is_in_the_readme():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert all(package in readme for package in PACKAGES.values())
