"""Models in and out: torchvision, ONNX and Python factories onto the canvas; ONNX,
TorchScript and ExportedProgram out. Imports torch: keep it off the GUI's start-up path."""
from __future__ import annotations

from .errors import InteropError
from .imported import Imported
from .importer import import_model, parse_shape, verify

__all__ = ["InteropError", "Imported", "import_model", "parse_shape", "verify"]
