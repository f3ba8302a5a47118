"""Training: a Qt-free engine shared by the window (in a worker process) and the command line.

Importing this package is cheap; torch loads with the engine (`from .engine import Trainer`).
Runs are read back with `load_run(run_dir)` (runs.py); docs/run-format.md is the contract.
"""
from .config import ConfigError, TrainConfig, parse_config


def __getattr__(name):
    if name in ("Trainer", "Control", "Context"):
        from . import engine
        return getattr(engine, name)
    if name in ("load_run", "list_runs", "Run", "runs_folder", "new_run_dir"):
        from . import runs
        return getattr(runs, name)
    if name == "TrainError":
        from .errors import TrainError
        return TrainError
    raise AttributeError(name)


__all__ = ["ConfigError", "TrainConfig", "parse_config", "Trainer", "Control", "Context", "load_run",
           "list_runs", "Run", "runs_folder", "new_run_dir", "TrainError"]
