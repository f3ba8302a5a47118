"""What a name given to `cnnstudio open` (or a file dropped on the window) is: a project, a model
to import (a file or a zoo name), a weights file alone, or neither. Pure names: no torch."""
from __future__ import annotations

from pathlib import Path

MODEL_FILES = (".onnx", ".pt2")  # files that hold a network and its weights
WEIGHTS_FILES = (".safetensors", ".pth", ".pt", ".bin")  # weights alone: the model must be named too
DROPPABLE = (".cnnproj", *MODEL_FILES, ".safetensors", ".pth")  # what the window accepts from a file manager


def kind(source) -> str:
    """"project" (.cnnproj), "model" (a file or name an import reads), "weights" (an existing
    weights file alone) or "unknown"."""
    text = str(source)
    suffix = Path(text).suffix.lower()
    if suffix == ".cnnproj":
        return "project"
    if suffix in MODEL_FILES:
        return "model"
    if suffix in WEIGHTS_FILES and Path(text).exists():
        return "weights"
    if text.startswith(("torchvision:", "timm:")) or (":" in text and not Path(text).exists()):
        return "model"
    return "unknown"


def droppable(path: str) -> bool:
    return path.lower().endswith(DROPPABLE)
