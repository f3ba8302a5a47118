"""The editing canvas: scene (graph mirror + gestures), items, view (zoom, drops, keys)."""
from .view import CanvasView

__all__ = ["CanvasView"]
