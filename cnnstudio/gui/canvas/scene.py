"""The graph as a QGraphicsScene: mirrors the session's graph and analysis, and turns
gestures (wire drags, moves, quick fixes) into undoable commands.

After every edit the scene diffs the graph against its items, so only blocks whose
text changed are repainted; that keeps a 500-block network responsive.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QMenu

from ...core.blocks import CATALOGUE, inner_layers
from ...core.blocks.custom import TYPE as USER_TYPE
from ...core.blocks.custom import label as user_label
from ...core.graph.commands import Macro, MoveNodes
from ..text import fmt_count, fmt_shape, key_params
from ..theme import CanvasColors
from . import edits
from .items import LOD_TEXT, WIDTH, NodeItem, PortItem
from .layout import direction_of
from .placement import make_room_below
from .routing import SpatialHash
from .wires import EdgeItem, wire_path
from .notes import NotesLayer
from .overview import Overview


BATCH = 150  # blocks whose texts are updated in one go (≈3 ms between events)


class GraphScene(QGraphicsScene):
    message = Signal(str)  # a short note for the status bar (e.g. why a wire was refused)
    rename_requested = Signal()  # the title of the one selected block was double-clicked

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.colors = CanvasColors()
        self.setBackgroundBrush(self.colors.background)
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[tuple, EdgeItem] = {}
        self._syncing = False
        self._drag_wire = None  # (start port, temporary path item)
        self._press_positions: dict[str, tuple] = {}
        self._raised: set = set()
        self._later: set = set()  # blocks whose texts are still to be brought up to date
        self._later_timer = QTimer(self, singleShot=True, interval=0)
        self._later_timer.timeout.connect(self._refresh_later)
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        self.direction = direction_of(session.project)  # "TB" or "LR": ports, wires, placement
        self.blocks = SpatialHash()  # every block's rectangle: what wires go round
        self.wire_places = SpatialHash()  # every wire's extent: which to re-route when a block moves
        self.overview = Overview(self)
        self.notes = NotesLayer(self)
        session.project_replaced.connect(self.rebuild)
        session.scope_changed.connect(self.rebuild)
        session.analysis_changed.connect(self.sync)
        session.selection_changed.connect(self._select_from_session)
        self.selectionChanged.connect(self._selection_to_session)
        self.rebuild()

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
        edits.place_missing(g, direction=self.direction)
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
        edits.place_missing(g, placed, self.direction)
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

    # --- texts: at once when few or in view, the rest in batches between events ----------
    def _refresh(self, g, a, nids) -> None:
        """Texts, problems and wire labels of these blocks. An Input-size edit changes all of
        a 5,000-block network: the blocks in view show it now, the others a moment later."""
        nids = [n for n in nids if n in self.nodes]
        if len(nids) > BATCH:
            visible = self._visible_ids()
            self._later.update(n for n in nids if n not in visible)
            nids = [n for n in nids if n in visible]
            self._later_timer.start()
        self._later.difference_update(nids)
        self._refresh_now(g, a, nids)

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

    def _refresh_later(self) -> None:
        batch = [self._later.pop() for _ in range(min(BATCH, len(self._later)))]
        self._refresh_now(self.session.graph, self.session.analysis, batch)
        if self._later:
            self._later_timer.start()
        self.overview.refresh()

    def _visible_ids(self) -> set:
        if self.overview.active:
            return set()  # zoomed out: no text is drawn
        ids = set()
        for v in self.views():
            if v.transform().m11() < LOD_TEXT:
                continue  # a view that small draws no text (the minimap)
            for item in self.items(v.mapToScene(v.viewport().rect()).boundingRect()):
                if isinstance(item, NodeItem):
                    ids.add(item.node_id)
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

    # --- geometry: wires round the blocks, room for a block that grows ---------------------------
    def block_changed(self, item: NodeItem) -> None:
        """A block moved or changed size: the wires near its old or new place find their way
        again (a wire's own blocks' wires were already updated by the block)."""
        rect = (item.pos().x(), item.pos().y(), item.pos().x() + WIDTH, item.pos().y() + item.height)
        old = self.blocks.rects.get(item.node_id)
        if old == rect or item.node_id not in self.nodes:
            return
        self.blocks.put(item.node_id, rect)
        for r in (old, rect) if old else (rect,):
            self._reroute_near(r, skip=item.edges)

    def bounds(self) -> QRectF:
        """Where the network and its notes are (empty when there is nothing)."""
        rect = self.overview.bounds()
        for note in self.notes.items.values():
            rect = rect.united(note.sceneBoundingRect())
        return rect

    def _reroute_near(self, rect, skip=()) -> None:
        for edge in self.wire_places.near(rect):
            w = self.wires.get(edge)
            if w is not None and w not in skip:
                w.update_path()

    def block_resized(self, item: NodeItem, old_height: float) -> None:
        """A composite shows or hides its inner layers: the blocks below it move down by as
        much as it grew, and back up when it shrinks. Like the first placement of a block,
        this is view state, not an edit: no undo step."""
        g, nid = self.session.graph, item.node_id
        node = g.nodes.get(nid)
        if node is None or node.pos is None:
            return
        grow = item.height - old_height
        moves = {}
        if grow > 0:
            moves = make_room_below(g, nid, old_height, item.height)
            for n, p in moves.items():
                item.pushed[n] = (p, item.pushed.get(n, (p, 0.0))[1] + grow)
        else:  # back up, those the user has not moved since (at most as far as they went down)
            for n, (p, dy) in list(item.pushed.items()):
                del item.pushed[n]
                if n in g.nodes and g.nodes[n].pos == p:
                    up = min(-grow, dy)
                    moves[n] = (p[0], p[1] - up)
                    if dy > up:
                        item.pushed[n] = (moves[n], dy - up)
        was = {n: g.nodes[n].pos for n in moves}
        for n, p in moves.items():
            g.nodes[n].pos = p
            if n in self.nodes:
                self.nodes[n].move_to(p)
        for other in self.nodes.values():  # others' records follow the blocks they had pushed
            for n, (p, dy) in list(other.pushed.items()):
                if other is not item and n in moves and p == was[n]:
                    other.pushed[n] = (moves[n], dy)
        self.overview.refresh()

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

    # --- commands from gestures -----------------------------------------------------------
    def apply_fix(self, node_id: str, problem=None) -> bool:
        a = self.session.analysis
        problems = [problem] if problem else [p for p in a.problems_for(node_id) if p.fix]
        problems.sort(key=lambda p: p.severity != "error")
        if not problems or not problems[0].fix:
            return False
        p = problems[0]
        self.session.apply_fix(p)
        self.message.emit(f"Applied: {p.fix.label}")
        return True

    def drop_block(self, type_: str, scene_pos: QPointF) -> str:
        """A block dropped at `scene_pos` (its centre lands there); onto a wire, it is inserted."""
        wire = self.wire_at(scene_pos)
        from .items import BASE_HEIGHT, WIDTH
        pos = (round(scene_pos.x() - WIDTH / 2), round(scene_pos.y() - BASE_HEIGHT / 2))
        command, nid = edits.add_block(self.session.graph, type_, pos, wire.edge if wire else None, self.direction)
        self.session.push(command)
        self.session.select([nid])
        return nid

    def append_block(self, type_: str, after: str) -> str:
        command, nid = edits.append_after(self.session.graph, type_, after, self.direction)
        self.session.push(command)
        self.session.select([nid])
        return nid

    def wire_at(self, scene_pos: QPointF):
        for item in self.items(scene_pos):
            if isinstance(item, EdgeItem):
                return item
            if isinstance(item, NodeItem):
                return None
        return None

    def connect_nodes(self, source: str, target: str) -> bool:
        command, why = edits.connect(self.session.graph, source, target)
        if command is None:
            self.message.emit(why)
            return False
        self.session.push(command)
        return True

    def request_rename(self, node_id: str) -> None:
        self.session.select([node_id])
        self.rename_requested.emit()

    def node_context_menu(self, item: NodeItem, screen_pos) -> None:
        if not item.isSelected():
            self.session.select([item.node_id])
        menu = QMenu()
        for p in self.session.analysis.problems_for(item.node_id):
            if p.fix:
                menu.addAction(f"Fix: {p.fix.label}", lambda p=p: self.apply_fix(item.node_id, p))
        if item.expand_chip:
            menu.addAction("Hide inner layers" if item.expanded else "Show inner layers",
                           lambda: item.set_expanded(not item.expanded))
        menu.addAction("Delete", lambda: self.views()[0].delete_selection())
        menu.exec(screen_pos)

    # --- mouse: wire drags and moves ------------------------------------------------------
    def mousePressEvent(self, e):
        item = self.itemAt(e.scenePos(), self.views()[0].transform()) if self.views() else None
        if e.button() == Qt.LeftButton and isinstance(item, PortItem):
            path = QGraphicsPathItem()
            path.setPen(QPen(self.colors.selected, 2, Qt.DashLine))
            path.setZValue(10)
            self.addItem(path)
            self._drag_wire = (item, path)
            e.accept()
            return
        super().mousePressEvent(e)
        self._press_positions = {i.node_id: (i.pos().x(), i.pos().y())
                                 for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, e):
        if self._drag_wire:
            port, path_item = self._drag_wire
            a, b = port.scene_center(), e.scenePos()
            if port.kind == "in":
                a, b = b, a
            path_item.setPath(wire_path(a, b, self.direction))
            return
        super().mouseMoveEvent(e)
        for nid in self._press_positions:  # blocks being dragged take their wires along
            item = self.nodes.get(nid)
            if item is not None:
                item.update_wires()
        if self._press_positions:
            self.overview.refresh()

    def mouseReleaseEvent(self, e):
        if self._drag_wire:
            port, path_item = self._drag_wire
            self._drag_wire = None
            self.removeItem(path_item)
            target = self._node_at(e.scenePos())
            if target is not None and target is not port.node:
                if port.kind == "out":
                    self.connect_nodes(port.node.node_id, target.node_id)
                else:
                    self.connect_nodes(target.node_id, port.node.node_id)
            return
        super().mouseReleaseEvent(e)
        self._commit_move(e.scenePos())

    def _node_at(self, scene_pos):
        for item in self.items(scene_pos):
            if isinstance(item, PortItem):
                return item.node
            if isinstance(item, NodeItem):
                return item
        return None

    def _commit_move(self, at=None) -> None:
        moved = {}
        for nid, old in self._press_positions.items():
            item = self.nodes.get(nid)
            if item is not None and (item.pos().x(), item.pos().y()) != old:
                moved[nid] = (round(item.pos().x()), round(item.pos().y()))
        self._press_positions = {}
        if len(moved) == 1 and at is not None and self.notes.moved() is None:  # one unwired block let go over a wire: insert it
            (nid,) = moved
            wire = next((w for w in self.items(at) if isinstance(w, EdgeItem) and nid not in w.edge), None)
            command = edits.move_onto_wire(self.session.graph, nid, wire.edge, self.direction) if wire else None
            if command is not None:
                self.session.push(command)
                return
        notes = self.notes.moved()
        blocks = MoveNodes(self.session.graph, moved) if moved else None
        if blocks and notes:  # dragged together: one step
            self.session.push(Macro(f"{blocks.label} and {notes.label.lower()}", [blocks, notes]))
        elif blocks or notes:
            self.session.push(blocks or notes)
