"""The canvas widget: zoom and pan, the right-click menus, the background grid and the
empty-canvas hint; drops from the palette (and of project files) are in view_drops.py,
the keyboard (Delete, Ctrl+C/V/D/A, arrows nudge, F fits) in view_keys.py."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsView, QMenu, QWidget

from .items import LOD_TEXT, NodeItem
from .make_block import add_block_actions
from .minimap import Minimap
from .notes import NoteItem
from .overlay import BAR, CanvasOverlay
from .scene import GraphScene
from .view_drops import ViewDrops
from .view_keys import ViewKeys

GRID = 24.0


class CanvasView(ViewKeys, ViewDrops, QGraphicsView):
    files_dropped = Signal(list)  # local paths of dropped .cnnproj files

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.graph_scene = GraphScene(session, self)
        self.setScene(self.graph_scene)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(300, 200)
        self.setSceneRect(QRectF(-3000, -3000, 6000, 6000))
        self.centerOn(300, 200)
        self._pan_from = None
        self._refit = False  # fitted and not moved since: a resize (the dock layout settling) fits again
        self._band_from = None  # zoomed out: where a rubber band started, in the scene
        self._grid = None
        self._paste_count = 0
        self.setViewportMargins(0, 0, 0, BAR)  # the bar below the drawing area
        self.overlay = CanvasOverlay(self)  # zoom buttons with the percentage, find-a-block, the map's switch
        self.minimap = Minimap(self)
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(lambda *_: self.place_corner())
            bar.sliderPressed.connect(self.hold_view)
        session.project_replaced.connect(lambda: self.fit(animate=False))
        self._scope_path: list = []
        session.scope_changed.connect(self._scope_changed)
        self._was_empty = True
        session.analysis_changed.connect(self._empty_changed)

    def _scope_changed(self) -> None:
        """Into or out of a block of the user's own: its graph fitted at once (after the scene,
        which rebuilt first). An undo that rebuilds the same inner graph keeps the view."""
        path = list(self.session.scope.path) if self.session.scope else []
        if path != self._scope_path:
            self._scope_path = path
            self.fit(animate=False)

    def setSceneRect(self, rect) -> None:
        super().setSceneRect(rect)
        # the scene's too: left to itself it re-measures every item after each change
        self.graph_scene.setSceneRect(rect)

    def paintEvent(self, e):
        self.graph_scene.overview.set_active(self.zoom < LOD_TEXT)  # before the items are drawn
        self.graph_scene.refresh_in_view()
        super().paintEvent(e)

    def _grow_scene_rect(self) -> None:
        """A scene rect that only grows, with room around the blocks: adding a block never
        makes the view jump, and there is space to drop the next one."""
        nodes, changed = self.session.graph.nodes, self.session.analysis.placed  # added or moved
        some = nodes.values() if changed is None else [nodes[n] for n in changed if n in nodes]
        pos = [n.pos for n in some if n.pos is not None]
        want = QRectF(-3000, -3000, 6000, 6000)
        if pos:  # from the model: cheaper than asking the scene for every item's bounds
            xs, ys = [p[0] for p in pos], [p[1] for p in pos]
            want = want.united(QRectF(min(xs) - 3000, min(ys) - 3000, max(xs) - min(xs) + 6300,
                                      max(ys) - min(ys) + 6300))
        rect = self.sceneRect()
        if not rect.contains(want):  # with as much again to spare: re-indexing 5,000 blocks is ≈45 ms
            self.setSceneRect(rect.united(want.adjusted(-3000, -3000, 3000, 3000)))

    def _empty_changed(self) -> None:
        self._grow_scene_rect()
        empty = not self.session.graph.nodes
        if empty != self._was_empty:  # the empty-canvas hint appears or goes
            self._was_empty = empty
            self.viewport().update()
        self.place_corner()  # the minimap shows once the network outgrows the view

    def changeEvent(self, e):
        super().changeEvent(e)
        if e.type() == QEvent.PaletteChange:  # the system switched light/dark
            colors = self.graph_scene.colors
            colors.refresh()
            self.graph_scene.setBackgroundBrush(colors.background)
            self._grid = None
            for item in self.graph_scene.items():
                item.update()

    # --- zoom and pan ----------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        self.hold_view()
        z = self.zoom
        target = min(3.0, max(0.08, z * factor))
        self.scale(target / z, target / z)
        self.overlay.show_zoom(self.zoom)
        self.place_corner()

    def wheelEvent(self, e):
        delta = e.angleDelta().y() or e.angleDelta().x()
        if delta:
            self.set_zoom(1.0015 ** delta)
        e.accept()

    def fit(self, animate: bool = True) -> None:
        # the blocks' and notes' extent, kept up to date as they change: asking every item is slow
        # at thousands of blocks, and a fitted view fits again at each resize. Wires and ports
        # stay within the 40 px margin.
        rect = self.graph_scene.bounds()
        if rect.isEmpty():
            self.resetTransform()
            self.setSceneRect(QRectF(-3000, -3000, 6000, 6000))
            self.centerOn(300, 200)
            self.overlay.show_zoom(self.zoom)
            return
        self.setSceneRect(rect.adjusted(-3000, -3000, 3000, 3000))
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.KeepAspectRatio)
        if self.zoom > 1.0:  # small networks: readable, not blown up
            self.set_zoom(1.0 / self.zoom)
            self.centerOn(rect.center())
        self.overlay.show_zoom(self.zoom)
        self.place_corner()
        self._refit = True

    def hold_view(self) -> None:
        """The user zoomed, panned or clicked: a later resize keeps the view where they put it."""
        self._refit = False

    def centerOn(self, *where) -> None:  # moved on purpose (find a block, the map, a test): keep it there
        self.hold_view()
        super().centerOn(*where)

    def resetTransform(self) -> None:
        self.hold_view()
        super().resetTransform()

    def viewportEvent(self, e):
        handled = super().viewportEvent(e)
        if e.type() == QEvent.Resize:  # the corner widgets follow the viewport's own size
            if self._refit:  # e.g. a workspace's docks laid out after its fit: the network fills the new size
                self.fit(animate=False)
            self.place_corner()
        return handled

    def place_corner(self, peek: bool = False) -> None:
        """The bar below the drawing area; the minimap in a corner of the drawing area where it
        covers no block and no wire label (bottom right, bottom left, top right, top left), only
        when part of the network is out of view and not on a narrow canvas. With no corner free
        it waits, unless `peek` (the pointer on the bar's Map button) shows it bottom right."""
        vp, mini = self.viewport(), self.minimap
        small = vp.width() < 520 or vp.height() < 380  # a narrow canvas (Inspect) keeps its room
        # an empty canvas has nothing to map: no switch for it until the first block
        self.overlay.map_button.setVisible(not small and bool(self.session.graph.nodes))
        self.overlay.place()
        if small or not self.session.graph.nodes or self._all_in_view():
            spot = None  # nothing out of view to find
        elif peek or mini.underMouse():
            spot = self._corners()[0]
        elif not self.overlay.map_button.isChecked():
            spot = None
        else:
            spot = next((c for c in self._corners() if not self._covers(c) and not self._taken(c)), None)
        if spot is not None:
            mini.move(spot.topLeft() + vp.geometry().topLeft())
            mini.raise_()
        mini.setVisible(spot is not None)

    def _corners(self) -> list[QRect]:
        """The minimap's four places, in viewport coordinates (8 px in from the edges)."""
        w, h, vw, vh, m = self.minimap.width(), self.minimap.height(), self.viewport().width(), self.viewport().height(), 8
        return [QRect(x, y, w, h) for x, y in ((vw - w - m, vh - h - m), (m, vh - h - m), (vw - w - m, m), (m, m))]

    def _taken(self, rect: QRect) -> bool:
        """Whether another widget floats there (inside a block of your own: the breadcrumb)."""
        vp = self.viewport()
        at = rect.translated(vp.geometry().topLeft())
        floating = [w for w in self.findChildren(QWidget, options=Qt.FindDirectChildrenOnly)
                    if w.isVisible() and w is not self.minimap and w is not vp and vp.geometry().contains(w.geometry())]
        return any(w.geometry().intersects(at) for w in floating)

    def _covers(self, rect: QRect) -> bool:
        """Whether a block or a wire's label lies (partly) under this part of the viewport."""
        r = self.mapToScene(rect).boundingRect()
        box = (r.left(), r.top(), r.right(), r.bottom())
        scene = self.graph_scene
        if scene.blocks.near(box):
            return True
        for edge in scene.wire_places.near(box):
            w = scene.wires.get(edge)
            if w is not None and w.label and w.label_rect().intersects(r):
                return True
        return False

    def _all_in_view(self) -> bool:
        b = self.graph_scene.bounds()
        return b.isEmpty() or self.mapToScene(self.viewport().rect()).boundingRect().contains(b)

    # --- transfer learning: freezing blocks from their context menu ---------------------------
    def node_menu(self, node_id: str) -> QMenu:
        """The right-click menu of a block (its actions push undoable commands)."""
        from ...core.graph.commands import SetFrozen
        from ...core.train.transfer import freeze_before
        graph = self.session.graph
        menu = QMenu(self)
        frozen = graph.nodes[node_id].frozen
        before = freeze_before(graph, node_id)
        a = menu.addAction("Freeze everything before this block",
                           lambda: self.session.push(freeze_before(self.session.graph, node_id)))
        a.setEnabled(before is not None)
        a.setStatusTip("Transfer learning: train only this block and what follows it")
        menu.addAction("Unfreeze this block" if frozen else "Freeze this block",
                       lambda: self.session.push(SetFrozen(self.session.graph, [node_id], not frozen)))
        locked = [n for n, node in graph.nodes.items() if node.frozen]
        if locked:
            menu.addAction(f"Unfreeze all ({len(locked)} blocks)",
                           lambda: self.session.push(SetFrozen(self.session.graph, locked, False)))
        add_block_actions(menu, self.window(), node_id)
        return menu

    def canvas_menu(self, scene_pos) -> QMenu:
        """The right-click menu of the empty canvas."""
        menu = QMenu(self)
        if self.session.scope is None:  # notes belong to the network, not inside a block
            menu.addAction("Add note here…", lambda: self.graph_scene.notes.add((round(scene_pos.x()), round(scene_pos.y()))))
        if self.session.selection:
            add_block_actions(menu, self.window())
        return menu

    def contextMenuEvent(self, e):
        item = self.itemAt(e.pos())
        while item is not None and not isinstance(item, (NodeItem, NoteItem)):
            item = item.parentItem()
        if isinstance(item, NoteItem):
            self.graph_scene.notes.menu(item.note_id, self).exec(e.globalPos())
        elif item is None:
            self.canvas_menu(self.mapToScene(e.pos())).exec(e.globalPos())
        else:
            self.node_menu(item.node_id).exec(e.globalPos())

    def mousePressEvent(self, e):
        self.hold_view()
        if e.button() == Qt.MiddleButton:
            self._pan_from = e.position()
            self.setCursor(Qt.ClosedHandCursor)
            e.accept()
            return
        overview = self.graph_scene.overview
        if overview.active and e.button() == Qt.LeftButton:
            item = overview.node_at(self.mapToScene(e.position().toPoint()))
            if item is not None:  # zoomed out: a click selects the box under it
                self.session.select([item.node_id])
                e.accept()
                return
            self._band_from = self.mapToScene(e.position().toPoint())
        super().mousePressEvent(e)

    def mouseMoveEvent(self, e):
        if self._pan_from is not None:
            d = e.position() - self._pan_from
            self._pan_from = e.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
            e.accept()
            return
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e):
        if e.button() == Qt.MiddleButton and self._pan_from is not None:
            self._pan_from = None
            self.unsetCursor()
            e.accept()
            return
        start, self._band_from = self._band_from, None
        super().mouseReleaseEvent(e)
        if start is not None and self.graph_scene.overview.active:  # zoomed out: boxes in the band
            band = QRectF(start, self.mapToScene(e.position().toPoint())).normalized()
            order = {n: i for i, n in enumerate(self.session.graph.nodes)}
            ids = sorted((i.node_id for i in self.graph_scene.overview.nodes_in(band)), key=order.get)
            self.session.select(ids)

    def drawBackground(self, painter, rect: QRectF):
        colors = self.graph_scene.colors
        if self.zoom < 0.45:  # dots would be noise when zoomed out
            painter.fillRect(rect, colors.background)
            self.graph_scene.overview.paint(painter)  # blocks too small for text: see overview.py
            return
        if self._grid is None:  # one tile, repeated by the painter: no per-dot work
            self._grid = QPixmap(int(GRID), int(GRID))
            self._grid.fill(colors.background)
            p = QPainter(self._grid)
            p.setPen(QPen(colors.grid, 2))
            p.drawPoint(0, 0)
            p.end()
        painter.fillRect(rect, QBrush(self._grid))

    def drawForeground(self, painter, rect: QRectF):
        if self.session.graph.nodes:
            return
        painter.save()
        painter.resetTransform()  # draw in viewport pixels, whatever the zoom
        painter.setPen(self.graph_scene.colors.muted)
        f = painter.font()
        f.setPointSizeF(12)
        painter.setFont(f)
        # wrapped within a margin: the Inspect workspace's canvas is a narrow column
        painter.drawText(self.viewport().rect().adjusted(16, 0, -16, 0), Qt.AlignCenter | Qt.TextWordWrap,
                         "Drag blocks here from the Blocks palette — start with Input.\n"
                         "Then drag from a block's bottom port to the next block's top port to wire them.")
        painter.restore()


    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene.nodes.get(node_id)
        if isinstance(item, NodeItem):
            self.hold_view()
            self.ensureVisible(item, 60, 60)
