"""The core stays Qt-free, and torch stays off its import path (it loads on first compile)."""
import subprocess
import sys


def test_core_imports_neither_qt_nor_torch():
    code = ("import sys, cnnstudio.core, cnnstudio.core.analysis.summary, cnnstudio.core.analysis.fixes, cnnstudio.cli;"
            "import cnnstudio.core.build, cnnstudio.core.project.userlib, cnnstudio.core.data, cnnstudio.core.train;"
            "cnnstudio.cli.build_parser();"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'torch', 'matplotlib'));"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
