"""Import and export dialogs (File → Import model…, File → Export…)."""
