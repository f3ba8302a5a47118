"""Opening a model as an unsaved project, as a model viewer does (`cnnstudio open model.onnx`, a
file dropped on the window): the import that makes one a Project whose weights stay in memory
until the project is first saved. Which names are models is core/project/sources.py's (no torch
there: the command line asks at every start).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..project.sources import MODEL_FILES


def carries_weights(source: str, weights: str = "none") -> bool:
    """Whether an import of `source` brings trained weights worth saving beside the project."""
    return weights != "none" or str(source).lower().endswith(MODEL_FILES)


def weights_name(project_path) -> str:
    """The weights file a project saved at `project_path` keeps beside it."""
    return Path(project_path).with_suffix(".safetensors").name


@dataclass
class Opened:
    project: object  # the Project, never saved yet
    weights: dict | None  # compiled-model names → tensors, to write beside the project on its first save
    max_abs_difference: float | None
    notes: list = field(default_factory=list)


def open_model(source: str, weights: str = "none", shape=None, cancel=None) -> Opened:
    """Import `source` (the same import as `cnnstudio import`, checked against the source) into an
    unsaved Project. Raises InteropError with one line in the user's terms."""
    from .importer import imported_project
    from .usercode import import_checked
    imported, diff = import_checked(str(source), weights, shape, progress=False, cancel=cancel)
    keep = carries_weights(source, weights)
    project = imported_project(imported, weights_name(f"{imported.name}.cnnproj") if keep else None)
    return Opened(project, dict(imported.weights) if keep else None, diff, list(imported.notes))
