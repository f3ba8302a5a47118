"""What the canvas draws for a block: NodeItem with its ports and chips (wires: wires.py).

Items are passive views: they show what the scene tells them and never edit the graph;
the scene turns gestures on them into commands.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from ..theme import ERROR, WARNING, CanvasColors, category_color

WIDTH = 216.0
BASE_HEIGHT = 72.0
INNER_LINE = 16.0
PORT_R = 6.0
LOD_TEXT = 0.3  # below this scale the canvas draws its overview (overview.py) instead of the items


def _fonts():
    title = QFont()
    title.setPointSizeF(9.5)
    title.setBold(True)
    body = QFont()
    body.setPointSizeF(8.5)
    return title, body


_PORT_RECT = QRectF(-PORT_R - 3, -PORT_R - 3, 2 * PORT_R + 6, 2 * PORT_R + 6)


class PortItem(QGraphicsItem):
    """A connection point: "in" on a block's top edge, "out" on its bottom edge (left and
    right edges on a left-to-right canvas)."""

    def __init__(self, node: "NodeItem", kind: str):
        super().__init__(node)
        self.node, self.kind = node, kind
        self.hover = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CrossCursor)
        self.setZValue(2)
        self.setToolTip("Drag to an input port to connect" if kind == "out" else
                        "Drag from an output port to here to connect")

    def boundingRect(self):
        return _PORT_RECT

    def shape(self):
        p = QPainterPath()
        p.addEllipse(self.boundingRect())
        return p

    def paint(self, painter, option, widget=None):
        c = self.node.colors
        painter.setPen(QPen(c.node_border if not self.hover else c.selected, 1.5))
        painter.setBrush(c.selected if self.hover else c.node)
        r = PORT_R + (1.5 if self.hover else 0)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, e):
        self.hover = True
        self.update()

    def hoverLeaveEvent(self, e):
        self.hover = False
        self.update()

    def scene_center(self) -> QPointF:
        return self.mapToScene(QPointF(0, 0))


class ChipItem(QGraphicsItem):
    """A small clickable label on a block: the quick fix, or expand/collapse."""

    def __init__(self, node: "NodeItem", kind: str):
        super().__init__(node)
        self.node, self.kind, self.text = node, kind, ""
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.PointingHandCursor)
        self.setZValue(3)
        self._w = 0.0

    def set_text(self, text: str, tip: str) -> None:
        self.prepareGeometryChange()
        self.text = text
        self.setToolTip(tip)
        self._w = QFontMetricsF(_fonts()[1]).horizontalAdvance(text) + 12

    def boundingRect(self):
        return QRectF(-self._w, 0, self._w, 17)

    def color(self) -> QColor:
        """A fix chip in its problem's colour (red for an error, amber for a warning)."""
        if self.kind != "fix":
            return self.node.colors.muted
        return ERROR if self.node.state == "error" else WARNING

    def paint(self, painter, option, widget=None):
        c = self.node.colors
        color = self.color()
        painter.setPen(QPen(color, 1))
        painter.setBrush(QColor(color.red(), color.green(), color.blue(), 40))
        painter.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        painter.setFont(_fonts()[1])
        painter.setPen(color if self.kind == "fix" else c.text)
        painter.drawText(self.boundingRect(), Qt.AlignCenter, self.text)

    def mousePressEvent(self, e):
        e.accept()

    def mouseReleaseEvent(self, e):
        if self.boundingRect().contains(e.pos()):
            self.node.chip_clicked(self.kind)


TITLE_BOTTOM = 24.0  # the block's title row (type and name) ends here


class NodeItem(QGraphicsItem):
    def __init__(self, scene, node_id: str, node_type: str, category: str, inputs: int, colors: CanvasColors):
        super().__init__()
        self.canvas, self.node_id, self.block_type, self.category = scene, node_id, node_type, category
        self.title = node_type  # a user block shows its own name
        self.colors = colors
        self.accent = category_color(category)
        self.edges: list = []  # its EdgeItems (wires.py)
        self._texts = ("", "", "")  # key params, shape, parameter count
        self.key = self.params_ref = None  # what the texts were made from (unchanged: skipped)
        self.state = None  # None, "error" or "warning"
        self.inner: list[str] = []
        self.frozen = False  # transfer learning: drawn with a lock
        self.expanded = False
        self.height = BASE_HEIGHT
        self.pushed: dict = {}  # blocks moved down to make room for its inner layers: id → (pos, dy)
        self.at = None  # the graph position it was placed at
        # no geometry notifications (and no itemChange): the scene moves wires along itself,
        # which keeps building thousands of blocks free of Python callbacks
        self.setFlags(QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsFocusable)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.in_port = PortItem(self, "in") if inputs != 0 else None
        self.out_port = PortItem(self, "out")
        self.fix_chip = ChipItem(self, "fix")
        self.fix_chip.setVisible(False)
        self.fix = None
        self.expand_chip = None
        if category == "Composite":
            self.expand_chip = ChipItem(self, "expand")
            self.expand_chip.set_text("▸ layers", "Show the layers inside this block")
            self.expand_chip.setPos(WIDTH - 8, BASE_HEIGHT - 22)
        self.place_ports()

    def set_frozen(self, frozen: bool) -> None:
        if frozen != self.frozen:
            self.frozen = frozen
            self.update()

    def _paint_lock(self, painter, x: float, y: float, color) -> None:
        """A small padlock: the block's parameters are frozen (not trained)."""
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(Qt.NoBrush)
        painter.drawArc(QRectF(x + 2, y, 7, 8), 0, 180 * 16)
        painter.drawLine(QPointF(x + 2, y + 4), QPointF(x + 2, y + 6))
        painter.drawLine(QPointF(x + 9, y + 4), QPointF(x + 9, y + 6))
        painter.setPen(Qt.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(x, y + 6, 11, 8), 1.5, 1.5)

    # --- content ----------------------------------------------------------------------
    def set_content(self, key: str, shape: str, count: str, state, tooltip: str, fix, inner: list[str]) -> bool:
        """Show new texts; returns whether anything changed (so unchanged nodes cost nothing)."""
        fix_label = fix.label if fix else None
        old = (self._texts, self.state, self.toolTip(), self.fix.label if self.fix else None, self.inner)
        if old == ((key, shape, count), state, tooltip, fix_label, inner):
            return False
        if state != self.state:
            self.state = state
            self.canvas.overview.node_changed(self)
        self._texts, self.inner = (key, shape, count), inner
        self.setToolTip(tooltip)
        self.fix = fix
        if fix:
            self.fix_chip.set_text("Fix", f"Quick fix: {fix.label}")
            self.fix_chip.setPos(WIDTH - 8, 4)
        self.fix_chip.setVisible(fix is not None)
        self.fix_chip.update()
        self._resize()
        self.update()
        return True

    @property
    def texts(self) -> tuple:
        """(key params, shape, parameter count), written first if an edit of many blocks left
        them for when this one is next drawn (scene_sync.py)."""
        if self.node_id in self.canvas._later:
            self.canvas.bring_up_to_date([self.node_id])
        return self._texts

    def move_to(self, pos) -> None:
        self.at = pos
        self.setPos(QPointF(*pos))
        self.update_wires()

    def update_wires(self) -> None:
        """After a move: the wires follow, and the zoomed-out overview."""
        self.canvas.block_changed(self)  # before its wires route: they avoid it where it is now
        for e in self.edges:
            e.update_path()
        self.canvas.overview.node_changed(self)

    def _resize(self):
        h = BASE_HEIGHT + (len(self.inner) * INNER_LINE + 6 if self.expanded and self.inner else 0)
        if h != self.height:
            self.prepareGeometryChange()
            old, self.height = self.height, h
            self.place_ports()
            self.update_wires()
            self.canvas.block_resized(self, old)

    def place_ports(self):
        """On the top and bottom edges, or the left and right ones when data flows right."""
        if self.canvas.direction == "LR":
            if self.in_port:
                self.in_port.setPos(0, self.height / 2)
            self.out_port.setPos(WIDTH, self.height / 2)
            return
        if self.in_port:
            self.in_port.setPos(WIDTH / 2, 0)
        self.out_port.setPos(WIDTH / 2, self.height)

    def set_expanded(self, on: bool) -> None:
        self.expanded = on
        if self.expand_chip:
            self.expand_chip.set_text("▾ layers" if on else "▸ layers",
                                      "Hide the inner layers" if on else "Show the layers inside this block")
        self._resize()
        self.update()

    def chip_clicked(self, kind: str) -> None:
        if kind == "fix":
            self.canvas.apply_fix(self.node_id)
        else:
            self.set_expanded(not self.expanded)

    # --- geometry and painting ----------------------------------------------------------
    def boundingRect(self):
        return QRectF(-2, -2, WIDTH + 4, self.height + 4)

    def shape(self):
        p = QPainterPath()
        p.addRoundedRect(QRectF(0, 0, WIDTH, self.height), 8, 8)
        return p

    def paint(self, painter, option, widget=None):
        c = self.colors
        rect = QRectF(0, 0, WIDTH, self.height)
        border = c.node_border
        width = 1.2
        if self.state == "error":
            border, width = ERROR, 2.2
        elif self.state == "warning":
            border, width = WARNING, 1.8
        if self.isSelected():
            border, width = (c.selected if self.state != "error" else ERROR), 2.6
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        fill = c.node
        if self.state == "error":
            fill = QColor(ERROR.red(), ERROR.green(), ERROR.blue(), 40 if c.dark else 22)
            painter.setBrush(c.node)
            painter.setPen(Qt.NoPen)
            painter.drawRoundedRect(rect, 8, 8)
        painter.setBrush(fill)
        painter.setPen(QPen(border, width))
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(Qt.NoPen)
        painter.setBrush(self.accent)
        painter.drawRoundedRect(QRectF(0, 0, 6, self.height), 3, 3)
        title_font, body_font = _fonts()
        key, shape, count = self.texts
        if self.frozen:
            self._paint_lock(painter, 14, 8, c.muted)
        (title_rect, title), (id_rect, node_id) = self.title_row()
        painter.setFont(title_font)
        painter.setPen(c.text)
        painter.drawText(title_rect, Qt.AlignLeft | Qt.AlignVCenter, title)
        painter.setFont(body_font)
        painter.setPen(c.muted)
        painter.drawText(id_rect, Qt.AlignRight | Qt.AlignVCenter, node_id)
        key_room = (id_rect.left() - 6 if id_rect.top() > 20 else WIDTH - 8) - 14  # the id may sit on this row
        painter.drawText(QRectF(14, 25, key_room, 16), Qt.AlignLeft | Qt.AlignVCenter, key or " ")
        # the output-shape badge and the parameter count
        fm = QFontMetricsF(body_font)
        badge_w = fm.horizontalAdvance(shape) + 12
        badge = QRectF(12, 46, badge_w, 18)
        painter.setBrush(ERROR if self.state == "error" else c.badge)
        painter.drawRoundedRect(badge, 5, 5)
        painter.setPen(QColor("white") if self.state == "error" else c.text)
        painter.drawText(badge, Qt.AlignCenter, shape)
        painter.setPen(c.muted)
        if not (self.expand_chip and self.expand_chip.isVisible()):
            painter.drawText(QRectF(badge.right() + 6, 46, WIDTH - badge.right() - 16, 18),
                             Qt.AlignRight | Qt.AlignVCenter, count)
        if self.expanded and self.inner:
            painter.setPen(QPen(c.node_border, 1))
            painter.drawLine(QPointF(12, BASE_HEIGHT), QPointF(WIDTH - 12, BASE_HEIGHT))
            painter.setPen(c.text)
            for i, line in enumerate(self.inner):
                painter.drawText(QRectF(16, BASE_HEIGHT + 3 + i * INNER_LINE, WIDTH - 24, INNER_LINE),
                                 Qt.AlignLeft | Qt.AlignVCenter, line)

    def title_row(self) -> tuple[tuple[QRectF, str], tuple[QRectF, str]]:
        """Where the title (type, or a made block's name) and the id go, never one over the other
        ("ConvReluPool" over "convrelupool1"): both on the title row when they fit; else the id
        on the row below, right of the parameters, when it fits there; else both shortened."""
        title_font, body_font = _fonts()
        ft, fb = QFontMetricsF(title_font), QFontMetricsF(body_font)
        left = 30 if self.frozen else 14
        right = WIDTH - 10 - (self.fix_chip.boundingRect().width() + 4 if self.fix_chip.isVisible() else 0)
        room, gap = right - left, 6
        title_w, id_w = ft.horizontalAdvance(self.title), fb.horizontalAdvance(self.node_id)
        if title_w + gap + id_w <= room:
            return (QRectF(left, 6, room - gap - id_w, 18), self.title), (QRectF(right - id_w, 6, id_w, 18), self.node_id)
        key_w = fb.horizontalAdvance(self.texts[0] or "")
        if key_w + gap + id_w <= WIDTH - 8 - 14 and title_w <= room:
            return (QRectF(left, 6, room, 18), self.title), (QRectF(WIDTH - 8 - id_w, 25, id_w, 16), self.node_id)
        id_w = min(id_w, max(room - gap - title_w, room * 0.4))
        title_w = room - gap - id_w
        return ((QRectF(left, 6, title_w, 18), ft.elidedText(self.title, Qt.ElideRight, title_w)),
                (QRectF(right - id_w, 6, id_w, 18), fb.elidedText(self.node_id, Qt.ElideMiddle, id_w)))

    def mouseDoubleClickEvent(self, e):
        if e.pos().y() < TITLE_BOTTOM:  # the title row: rename, as F2 does
            self.canvas.request_rename(self.node_id)
            e.accept()
            return
        if self.block_type == "Custom":  # a block of the user's own: open it (its ▸ layers chip lists them)
            nid, session = self.node_id, self.canvas.session
            QTimer.singleShot(0, lambda: session.enter(nid))  # after this event: entering replaces the items
            e.accept()
            return
        if self.expand_chip:
            self.set_expanded(not self.expanded)
        super().mouseDoubleClickEvent(e)

    def contextMenuEvent(self, e):
        self.canvas.node_context_menu(self, e.screenPos())
