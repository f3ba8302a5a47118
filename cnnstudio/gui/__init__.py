"""PySide6 layer. Views read the core; user actions become core commands."""
