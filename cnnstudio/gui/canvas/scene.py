"""The graph as a QGraphicsScene: mirrors the session's graph and analysis, and turns
gestures (wire drags, moves, quick fixes) into undoable commands.

The work is shared out by what it does: scene_sync.py mirrors the graph into items,
scene_selection.py keeps the selection in step with the session's, scene_drag.py handles
wire drags and moves; this module holds the scene's state, the geometry of blocks and
wires, and the commands other widgets ask of the scene.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsScene, QMenu

from ..theme import CanvasColors
from .edits import add_block, append_after, connect
from .items import WIDTH, NodeItem
from .layout import direction_of
from .placement import make_room_below
from .routing import SpatialHash
from .wires import EdgeItem
from .notes import NotesLayer
from .overview import Overview
from .scene_drag import SceneDrag
from .scene_selection import SceneSelection
from .scene_sync import SceneSync


class GraphScene(SceneSync, SceneSelection, SceneDrag, QGraphicsScene):
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
        self._later: set = set()  # blocks whose texts are to be written when next drawn or read
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
        command, nid = add_block(self.session.graph, type_, pos, wire.edge if wire else None, self.direction)
        self.session.push(command)
        self.session.select([nid])
        return nid

    def append_block(self, type_: str, after: str) -> str:
        command, nid = append_after(self.session.graph, type_, after, self.direction)
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
        command, why = connect(self.session.graph, source, target)
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

