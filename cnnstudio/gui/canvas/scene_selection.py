"""The scene's selection, kept in step both ways with the session's (which the other
panels follow), and selected blocks drawn above the rest.

A mixin of GraphScene (scene.py).
"""
from __future__ import annotations

from .items import NodeItem
from .wires import EdgeItem


class SceneSelection:
    # --- selection -----------------------------------------------------------------------
    def _selection_to_session(self) -> None:
        if self._syncing:
            return
        items = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        self._raise_selected(items)
        ids = [i.node_id for i in items]
        if len(ids) > 1:  # in the graph's order
            rank = {n: k for k, n in enumerate(self.session.graph.nodes)}
            ids.sort(key=rank.__getitem__)
        self.session.select(ids)
        self.overview.refresh()

    def _select_from_session(self, ids) -> None:
        was = self._syncing
        self._syncing = True
        try:
            want = set(ids)
            have = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
            for nid in have ^ want:  # only what differs: selection is cheap in a big network
                item = self.nodes.get(nid)
                if item is not None:
                    item.setSelected(nid in want)
            self._raise_selected([self.nodes[n] for n in want if n in self.nodes])
        finally:
            self._syncing = was
        self.overview.refresh()  # zoomed out, the selection is drawn there

    def _raise_selected(self, items) -> None:
        """Selected blocks draw above the rest."""
        for item in self._raised - set(items):
            item.setZValue(0)
        for item in items:
            item.setZValue(1)
        self._raised = set(items)

    def selected_edges(self) -> list[tuple]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]
