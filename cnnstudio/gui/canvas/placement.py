"""Where a new block goes (pure Python): never on top of another. A block inserted into a
chain takes its place and pushes what is below it down one row."""
from __future__ import annotations

from .layout import ROW

NODE_W, NODE_H = 216.0, 72.0  # a collapsed block (items.WIDTH, items.BASE_HEIGHT)
GAP = 16.0  # the least room between two blocks


def _rect(pos) -> tuple:
    return (pos[0], pos[1], pos[0] + NODE_W, pos[1] + NODE_H)


def _hits(a, b, gap: float = GAP) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _others(graph, ignore) -> list[tuple]:
    skip = set(ignore)
    return [_rect(n.pos) for nid, n in graph.nodes.items() if n.pos is not None and nid not in skip]


def free_spot(graph, pos, ignore=()) -> tuple[float, float]:
    """`pos`, or the first place below it where a block touches nothing."""
    others = _others(graph, ignore)
    x, y = float(pos[0]), float(pos[1])
    for _ in range(500):
        if not any(_hits(_rect((x, y)), r) for r in others):
            break
        y += ROW / 2
    return x, y


def free_offset(graph, positions: list, start=(40.0, 40.0)) -> tuple[float, float]:
    """An offset for a group of new blocks (a paste) that puts none on top of a block: the
    group moves right of where it came from, then down until it is clear."""
    others = _others(graph, ())
    if not positions:
        return start
    left = min(p[0] for p in positions)
    right = max(p[0] for p in positions) + NODE_W
    dx, dy = right - left + 3 * GAP, float(start[1])
    for _ in range(500):
        if not any(_hits(_rect((p[0] + dx, p[1] + dy)), r) for p in positions for r in others):
            break
        dy += ROW / 2
    return dx, dy


def push_down(graph, pos, ignore=()) -> dict[str, tuple[float, float]]:
    """New positions for the blocks a block placed at `pos` would sit on, and every block
    below those in the same column: each moves down one row, keeping its place in the chain."""
    new = _rect(pos)
    skip = set(ignore)
    placed = {nid: n.pos for nid, n in graph.nodes.items() if n.pos is not None and nid not in skip}
    hit = [nid for nid, p in placed.items() if _hits(new, _rect(p))]
    if not hit:
        return {}
    top = min(placed[n][1] for n in hit)
    column = (new[0] - NODE_W / 2, new[2] + NODE_W / 2)
    return {nid: (p[0], p[1] + ROW) for nid, p in placed.items()
            if p[1] >= top and column[0] < p[0] + NODE_W / 2 < column[1]}
