"""CNN Studio's Qt layer: the editor window, its canvas and docks (PySide6)."""
