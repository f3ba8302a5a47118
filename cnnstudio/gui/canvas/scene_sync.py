"""The scene's item sync: after every edit the scene diffs the graph against its items,
makes, moves or removes only the blocks and wires the analysis names as changed, and
updates only the texts whose inputs changed, those out of view when they are next drawn;
that keeps a 5,000-block network responsive.

A mixin of GraphScene (scene.py): it uses the scene's session, nodes, wires, overview,
notes, blocks and wire_places, and keeps `_syncing` set while it changes items.
"""
from __future__ import annotations

from ...core.blocks import CATALOGUE, inner_layers
from ...core.blocks.custom import TYPE as USER_TYPE
from ...core.blocks.custom import label as user_label
from ...core.blocks.torch_module import TYPE as TORCH_MODULE
from ...core.blocks.torch_module import short_class
from ..text import fmt_count, fmt_shape, key_params
from .edits import place_missing
from .items import LOD_TEXT, NodeItem
from .layout import direction_of
from .wires import EdgeItem


BATCH = 150  # more changed blocks than this: those out of view are written when next drawn


class SceneSync:
    # --- mirroring the model ------------------------------------------------------------
    def rebuild(self) -> None:
        self._syncing = True
        try:
            self.clear()  # one call in C for every item, however many
            self.overview.clear()
            self.blocks.clear()
            self.wire_places.clear()
            self.direction = direction_of(self.session.project)
            self.notes.clear()
            self.nodes.clear()
            self.wires.clear()
            self._later.clear()
            self._raised = set()
        finally:
            self._syncing = False
        self.sync(everything=True)

    def sync(self, everything: bool = False) -> None:
        """Mirror the latest analysis: only the blocks and wires it names as changed, or
        everything after an open, a whole re-check or when asked (the items were cleared)."""
        g, a = self.session.graph, self.session.analysis
        changed = a.changed
        self._syncing = True
        try:
            direction = direction_of(self.session.project)
            if direction != self.direction:  # ports move to the other sides, wires follow
                self.direction = direction
                for item in self.nodes.values():
                    item.place_ports()
                changed = None
            if changed is None or everything:
                self._sync_all(g, a)
            else:
                self._sync_some(g, a, changed, a.rewired or (), changed if a.placed is None else a.placed)
            self.notes.sync()
            self.overview.refresh()
        finally:
            self._syncing = False

    def _sync_all(self, g, a) -> None:
        place_missing(g, direction=self.direction)
        for nid in [n for n in self.nodes if n not in g.nodes]:
            self._remove_node_item(nid)
        for edge in [e for e in self.wires if e not in g.edges]:
            self._remove_wire(edge)
        fresh = [item for nid, node in g.nodes.items() if (item := self._item_at_place(nid, node))]
        for item in fresh:  # placed first, then into the scene in one go: no index updates per block
            self.addItem(item)
        for e in g.edges:
            if e not in self.wires:
                self._add_wire(e)
        self._refresh(g, a, list(g.nodes))
        self._select_from_session(self.session.selection)

    def _item_at_place(self, nid, node):
        """Move the block's item to the node's place, making it first if it has none (or one
        of another type); returns the new item, not yet in the scene, or None."""
        item = self.nodes.get(nid)
        fresh = None
        if item is None or item.block_type != node.type:
            item = fresh = self._new_node_item(nid, node)
        if item.at != node.pos:
            item.move_to(node.pos)
        return fresh

    def _sync_some(self, g, a, changed, rewired, placed) -> None:
        """`placed`: the blocks added, removed or moved, whose items may need making or moving."""
        place_missing(g, placed, self.direction)
        for nid in placed:
            node = g.nodes.get(nid)
            item = self.nodes.get(nid)
            if node is None:
                if item is not None:
                    self._remove_node_item(nid)
                continue
            fresh = self._item_at_place(nid, node)
            if fresh:
                self.addItem(fresh)
        for e in rewired:
            if e in g.edges:
                if e not in self.wires:
                    self._add_wire(e)
            else:
                self._remove_wire(e)
        self._refresh(g, a, changed)
        self._select_from_session(self.session.selection)

    # --- texts: at once when few or in view, the others when they are next drawn ----------
    def _refresh(self, g, a, nids) -> None:
        """Texts, problems and wire labels of these blocks. An Input-size edit changes all of
        a 5,000-block network: the blocks in view show it now; the others take their colour
        at once (the overview and the minimap show it) and are written when next drawn or read."""
        nids = [n for n in nids if n in self.nodes]
        if len(nids) > BATCH:
            visible = self._visible_ids()
            self._mark_stale(g, a, [n for n in nids if n not in visible])
            nids = [n for n in nids if n in visible]
        self._later.difference_update(nids)
        self._refresh_now(g, a, nids)

    def _mark_stale(self, g, a, nids) -> None:
        later, nodes = self._later, self.nodes
        for nid in nids:
            item, node = nodes[nid], g.nodes[nid]
            problems = a.problems_for(nid)
            if item.expanded:  # its inner layers set its height, which places the blocks below
                self._update_node(item, node, a, problems)
                continue
            state = "error" if any(p.severity == "error" for p in problems) else ("warning" if problems else None)
            if state != item.state:
                item.state = state
                self.overview.node_changed(item)
            later.add(nid)

    def bring_up_to_date(self, nids) -> None:
        """Write the texts of these blocks (and their wires' labels) that an edit left for later."""
        self._later.difference_update(nids)
        self._refresh_now(self.session.graph, self.session.analysis, nids)

    def refresh_in_view(self) -> None:
        """Before the canvas draws: the blocks it is about to show, and the ends of the wires
        it shows, are brought up to date."""
        if self._later:
            ids = self._later.intersection(self._visible_ids())
            if ids:
                self.bring_up_to_date(list(ids))

    def _refresh_now(self, g, a, nids) -> None:
        wires = {}
        for nid in nids:
            item, node = self.nodes.get(nid), g.nodes.get(nid)
            if item is None or node is None:
                continue
            self._update_node(item, node, a, a.problems_for(nid))
            for w in item.edges:  # labels: the source's shape, the problems pinned to a wire
                wires[w.edge] = w
        self._label_wires(a, wires)

    def _visible_ids(self) -> set:
        """The blocks in a view that draws texts, and the two ends of each wire in it."""
        if self.overview.active:
            return set()  # zoomed out: no text is drawn
        ids = set()
        for v in self.views():
            if v.transform().m11() < LOD_TEXT:
                continue  # a view that small draws no text (the minimap)
            for item in self.items(v.mapToScene(v.viewport().rect()).boundingRect()):
                if isinstance(item, NodeItem):
                    ids.add(item.node_id)
                elif isinstance(item, EdgeItem):
                    ids.update(item.edge)
        return ids

    def _new_node_item(self, nid, node) -> NodeItem:
        old = self.nodes.get(nid)
        if old is not None:  # the type changed: a new block under the same id
            self._remove_node_item(nid)
        spec = CATALOGUE[node.type]
        item = NodeItem(self, nid, node.type, spec.category, spec.inputs, self.colors)
        if self.overview.active:
            item.setVisible(False)
        self.nodes[nid] = item
        return item

    def _remove_node_item(self, nid) -> None:
        item = self.nodes.pop(nid)
        for e in list(item.edges):
            self._remove_wire(e.edge)
        self.overview.removed(item)
        self.removeItem(item)
        old = self.blocks.rects.get(nid)
        self.blocks.remove(nid)
        if old is not None:
            self._reroute_near(old)

    def _add_wire(self, e) -> None:
        w = EdgeItem(self.nodes[e[0]], self.nodes[e[1]], self.colors)
        if self.overview.active:
            w.setVisible(False)
        self.wires[e] = w
        self.addItem(w)

    def _label_wires(self, a, wires: dict) -> None:
        shapes = {}
        for e, w in wires.items():
            if e[0] not in shapes:
                info = a.info.get(e[0])
                shapes[e[0]] = fmt_shape(info.shape) if info and info.shape else ""
            p = next((p for p in a.problems_for(e[1]) if p.edge and tuple(p.edge) == e), None)
            w.set_label(shapes[e[0]], p is not None, p.message if p else f"{e[0]} → {e[1]}")

    def _update_node(self, item: NodeItem, node, a, problems) -> None:
        info = a.info.get(node.id)
        # skip blocks whose inputs to the texts did not change (most of them, after one edit)
        # (commands replace a node's params dict on every change, so identity tells "unchanged";
        # the item holds a reference, so the id cannot be reused)
        key = (info and info.in_shapes and tuple(info.in_shapes), info and info.out and (info.out.shape, info.out.params),
               tuple((p.severity, p.message) for p in problems), node.frozen)
        if item.key == key and item.params_ref is node.params:
            return
        item.set_frozen(node.frozen)
        item.key, item.params_ref = key, node.params
        if node.type == USER_TYPE:
            item.title = user_label(node.params)
        elif node.type == TORCH_MODULE:  # a PyTorch-module block shows what it holds: "timm.SelectiveKernel"
            item.title = short_class(node.params)
        errors = [p for p in problems if p.severity == "error"]
        state = "error" if errors else ("warning" if problems else None)
        shape = fmt_shape(info.shape) if info and info.shape else ("error" if errors else "?")
        count = f"{fmt_count(info.out.params)} params" if info and info.out and info.out.params else ""
        spec = CATALOGUE[node.type]
        tip = [f"<b>{node.type}</b> {node.id}: {spec.help}"]
        if node.frozen:
            tip.append("🔒 Frozen: its parameters are not trained (BatchNorm keeps its statistics).")
        tip += [("✖ " if p.severity == "error" else "⚠ ") + p.message
                + (f"<br><i>Quick fix: {p.fix.label}</i>" if p.fix else "") for p in problems]
        fix = next((p.fix for p in errors + problems if p.fix), None)
        inner = inner_layers(node.type, node.params, info.in_shapes[0] if info and info.in_shapes else None) \
            if spec.category == "Composite" else []
        item.set_content(key_params(node), shape, count, state, "<br>".join(tip), fix, inner)

    def _remove_wire(self, edge) -> None:
        w = self.wires.pop(edge, None)
        if w is not None:
            self.overview.removed(w)
            w.detach()
            self.removeItem(w)
