"""Where a new block goes (pure Python): never on top of another. A block inserted into a
chain takes its place and pushes what comes after it one step along the flow: down on a
top-to-bottom canvas, right on a left-to-right one. Growing a block (showing a composite's
inner layers) moves what is below it down by as much, and back when it shrinks."""
from __future__ import annotations

from .layout import flow_step

NODE_W, NODE_H = 216.0, 72.0  # a collapsed block (items.WIDTH, items.BASE_HEIGHT)
GAP = 16.0  # the least room between two blocks


def _rect(pos, size=(NODE_W, NODE_H)) -> tuple:
    return (pos[0], pos[1], pos[0] + size[0], pos[1] + size[1])


def _hits(a, b, gap: float = GAP) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


class _Taken:
    """Where the placed blocks are, by cells as large as a block and its gap: a block at (x, y)
    can only touch those in its own cell and the eight around it, so asking costs the same
    at 50 blocks or 5,000 (building it is one pass)."""

    W, H = NODE_W + GAP, NODE_H + GAP  # closer than this in x and in y: the two touch

    def __init__(self, graph, ignore=()):
        skip, cells, w, h = set(ignore), {}, self.W, self.H
        for nid, n in graph.nodes.items():
            p = n.pos
            if p is not None and nid not in skip:
                cells.setdefault((int(p[0] // w), int(p[1] // h)), []).append(p)
        self.cells = cells

    def hits(self, x: float, y: float) -> bool:
        """Whether a block at (x, y) would touch one (what `_hits` of their rectangles says)."""
        w, h, cells = self.W, self.H, self.cells
        i, j = int(x // w), int(y // h)
        for a in (i - 1, i, i + 1):
            for b in (j - 1, j, j + 1):
                for p in cells.get((a, b), ()):
                    if abs(p[0] - x) < w and abs(p[1] - y) < h:
                        return True
        return False


def free_spot(graph, pos, ignore=(), direction: str = "TB") -> tuple[float, float]:
    """`pos`, or the first place after it along the flow where a block touches nothing."""
    taken = _Taken(graph, ignore)
    dx, dy = flow_step(direction)
    x, y = float(pos[0]), float(pos[1])
    for _ in range(500):
        if not taken.hits(x, y):
            break
        x, y = x + dx / 2, y + dy / 2
    return x, y


def free_offset(graph, positions: list, start=(40.0, 40.0), direction: str = "TB") -> tuple[float, float]:
    """An offset for a group of new blocks (a paste) that puts none on top of a block: the
    group moves beside where it came from (right, or below on a left-to-right canvas), then
    along the flow until it is clear."""
    if not positions:
        return start
    taken = _Taken(graph)
    if direction == "LR":
        top = min(p[1] for p in positions)
        bottom = max(p[1] for p in positions) + NODE_H
        dx, dy, step = float(start[0]), bottom - top + 3 * GAP, (flow_step(direction)[0] / 2, 0.0)
    else:
        left = min(p[0] for p in positions)
        right = max(p[0] for p in positions) + NODE_W
        dx, dy, step = right - left + 3 * GAP, float(start[1]), (0.0, flow_step(direction)[1] / 2)
    for _ in range(500):
        if not any(taken.hits(p[0] + dx, p[1] + dy) for p in positions):
            break
        dx, dy = dx + step[0], dy + step[1]
    return dx, dy


def push_down(graph, pos, ignore=(), direction: str = "TB") -> dict[str, tuple[float, float]]:
    """New positions for the blocks a block placed at `pos` would sit on, and every block
    after those in the same column (row, left to right): each moves one step along the flow,
    keeping its place in the chain."""
    new = _rect(pos)
    skip = set(ignore)
    placed = {nid: n.pos for nid, n in graph.nodes.items() if n.pos is not None and nid not in skip}
    hit = [nid for nid, p in placed.items() if _hits(new, _rect(p))]
    if not hit:
        return {}
    dx, dy = flow_step(direction)
    if direction == "LR":
        left = min(placed[n][0] for n in hit)
        band = (new[1] - NODE_H / 2, new[3] + NODE_H / 2)
        return {nid: (p[0] + dx, p[1]) for nid, p in placed.items()
                if p[0] >= left and band[0] < p[1] + NODE_H / 2 < band[1]}
    top = min(placed[n][1] for n in hit)
    column = (new[0] - NODE_W / 2, new[2] + NODE_W / 2)
    return {nid: (p[0], p[1] + dy) for nid, p in placed.items()
            if p[1] >= top and column[0] < p[0] + NODE_W / 2 < column[1]}


def make_room_below(graph, node_id: str, old_height: float, new_height: float) -> dict:
    """New positions for the blocks below `node_id` when it grows from `old_height` to
    `new_height`: every block whose top is below its old bottom and which is in its column,
    or in the column of a block that moves, goes down by the growth (so they keep their
    distances and nothing overlaps)."""
    grow = new_height - old_height
    x, y = graph.nodes[node_id].pos
    bottom = y + old_height
    below = {nid: n.pos for nid, n in graph.nodes.items()
             if nid != node_id and n.pos is not None and n.pos[1] >= bottom}
    spans, moving = [(x, x + NODE_W)], set()
    while True:  # the columns that move widen as blocks join them
        more = [nid for nid, p in below.items() if nid not in moving
                and any(p[0] < r and l < p[0] + NODE_W for l, r in spans)]
        if not more:
            break
        moving.update(more)
        spans += [(below[n][0], below[n][0] + NODE_W) for n in more]
    return {nid: (below[nid][0], below[nid][1] + grow) for nid in moving}
