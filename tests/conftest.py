"""Shared test set-up: Qt runs offscreen, so GUI tests need no display, and nothing the
suite does touches the user's real home, config, data or recovery folders."""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

# One private home for the whole run, set before Qt or the app read any of these: the
# recovery journal, settings and downloads all go under it, and it is removed at exit.
_HOME = tempfile.TemporaryDirectory(prefix="cnnstudio-test-home-")
for _var, _sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                   ("XDG_CACHE_HOME", ".cache"), ("CNNSTUDIO_CONFIG_DIR", ".config/cnnstudio"),
                   ("CNNSTUDIO_DATA", ".local/share/cnnstudio/datasets")):
    os.environ[_var] = str(Path(_HOME.name) / _sub)
    Path(os.environ[_var]).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("TORCH_HOME", str(Path(_HOME.name) / ".cache" / "torch"))
# The inspection panels' model runs on a thread of the test process (which has torch anyway)
# instead of a spawned process; the tests of the process itself ask for it by name.
os.environ.setdefault("CNNSTUDIO_INSPECT_BACKEND", "thread")
