"""The inspection docks the main window hosts: `create_docks(session, parent)`.

Importing this module loads only Qt; torch is never imported in the window: the model lives in
the inspection process (client.py), started when the first run is opened.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from .confusion_panel import ConfusionPanel
from .features_panel import FeatureMapsPanel
from .filters_panel import FiltersPanel
from .predictions_panel import PredictionsPanel
from .state import InspectState
from .timeline_panel import TimelinePanel

PANELS = (("Filters", "inspect.filters", FiltersPanel),
          ("Feature maps", "inspect.features", FeatureMapsPanel),
          ("Predictions", "inspect.predictions", PredictionsPanel),
          ("Confusion matrix", "inspect.confusion", ConfusionPanel),
          ("Epoch timeline", "inspect.timeline", TimelinePanel))


def create_docks(session, parent=None, backend: str | None = None) -> list[QDockWidget]:
    """One dock per panel, all sharing one InspectState that follows session.run_changed
    (the run to inspect) and session.selection_changed (the node whose maps to show).
    backend: where the model runs, "process" (the default) or "thread" (see client.py)."""
    state = InspectState(session, parent, backend)
    docks = []
    for title, name, cls in PANELS:
        dock = QDockWidget(title, parent)
        dock.setObjectName(name)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        panel = cls(state, dock)
        dock.setWidget(panel)
        dock.visibilityChanged.connect(lambda on, p=panel: state.set_in_view(p, on))
        dock.inspect_state = state  # for the window and tests
        docks.append(dock)
    return docks
