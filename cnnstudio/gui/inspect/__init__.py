"""Inspection docks: filters, feature maps, predictions, confusion matrix, timeline.
Nothing here imports torch or matplotlib at import time."""
