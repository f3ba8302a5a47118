"""Where a wire runs (pure Python): orthogonal, and never through a block that is not its
source or target, wherever the user has dragged the blocks.

The usual wire (out of the source, across in the gap, into the target) is tried first; only
when a block is in its way does an A* search run, on the sparse grid of lines just outside
the blocks near the wire (a visibility grid: every useful turn lies on one of those lines).
Rectangles are (left, top, right, bottom) tuples. Everything is worked out for data flowing
down; a left-to-right canvas is the same problem with x and y swapped.
"""
from __future__ import annotations

import heapq

STUB = 16.0  # straight out of a port before the first turn
MARGIN = 8.0  # the least room between a wire and a block it passes (under STUB: a stub's end is free)
BEND = 40.0  # a turn costs as much as this much length: fewer turns, calmer wires
REACH = 160.0  # how far beyond the two ends a detour may look for blocks to pass
CELL = 256.0  # the spatial hash's cell
BESIDE = 124.0  # from a port's line to beside its block (half a block's width and a stub)


class SpatialHash:
    """Rectangles by key, found by the area they touch without looking at every one."""

    def __init__(self):
        self.rects: dict = {}
        self._cells: dict = {}

    def _span(self, r):
        return (range(int(r[0] // CELL), int(r[2] // CELL) + 1), range(int(r[1] // CELL), int(r[3] // CELL) + 1))

    def put(self, key, rect) -> None:
        old = self.rects.get(key)
        if old == rect:
            return
        if old is not None:
            self.remove(key)
        self.rects[key] = rect
        xs, ys = self._span(rect)
        for i in xs:
            for j in ys:
                self._cells.setdefault((i, j), set()).add(key)

    def remove(self, key) -> None:
        rect = self.rects.pop(key, None)
        if rect is None:
            return
        xs, ys = self._span(rect)
        for i in xs:
            for j in ys:
                cell = self._cells.get((i, j))
                if cell is not None:
                    cell.discard(key)
                    if not cell:
                        del self._cells[(i, j)]

    def clear(self) -> None:
        self.rects.clear()
        self._cells.clear()

    def near(self, rect) -> dict:
        """{key: rect} of the rectangles that intersect `rect`."""
        xs, ys = self._span(rect)
        keys = set()
        for i in xs:
            for j in ys:
                keys |= self._cells.get((i, j), set())
        out = {}
        for k in keys:
            r = self.rects[k]
            if r[0] < rect[2] and rect[0] < r[2] and r[1] < rect[3] and rect[1] < r[3]:
                out[k] = r
        return out


def _swap(p):
    return (p[1], p[0])


def _swap_rect(r):
    return (r[1], r[0], r[3], r[2])


def route(a, b, blocks: SpatialHash, skip=(), direction: str = "TB") -> list[tuple]:
    """The corner points of a wire from output port `a` to input port `b` (x, y tuples), passing
    no block in `blocks` but those keyed in `skip` (its own source and target)."""
    if direction == "LR":
        inner = _Blocks(blocks, skip, swap=True)
        return [_swap(p) for p in _route_down(_swap(a), _swap(b), inner)]
    return _route_down(a, b, _Blocks(blocks, skip, swap=False))


class _Blocks:
    """The blocks a wire must avoid, seen in the frame where data flows down."""

    def __init__(self, blocks, skip, swap):
        self.blocks, self.skip, self.swap = blocks, set(skip), swap

    def near(self, r) -> list:
        if self.swap:
            found = self.blocks.near(_swap_rect(r))
            return [_swap_rect(v) for k, v in found.items() if k not in self.skip]
        return [v for k, v in self.blocks.near(r).items() if k not in self.skip]


def _bounds(points, grow=0.0):
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs) - grow, min(ys) - grow, max(xs) + grow, max(ys) + grow)


def _clear(points, blocks: _Blocks) -> bool:
    """No segment of the polyline passes through a block's body."""
    for p, q in zip(points, points[1:]):
        seg = _bounds((p, q))
        for r in blocks.near((seg[0] - 1, seg[1] - 1, seg[2] + 1, seg[3] + 1)):
            if seg[0] < r[2] and r[0] < seg[2] and seg[1] < r[3] and r[1] < seg[3]:
                return False
    return True


def _route_down(a, b, blocks: _Blocks) -> list[tuple]:
    if abs(a[0] - b[0]) < 0.5 and b[1] >= a[1]:
        simple = [a, b]
    elif b[1] - a[1] >= 2 * STUB:
        mid = (a[1] + b[1]) / 2
        simple = [a, (a[0], mid), (b[0], mid), b]
    else:
        simple = None
    if simple is not None and _clear(simple, blocks):
        return simple
    a1, b1 = (a[0], a[1] + STUB), (b[0], b[1] - STUB)
    # back up to a block further up (the next band of a wrapped layout): round through the gap
    gx = (a[0] + b[0]) / 2 if abs(a[0] - b[0]) >= 4 * STUB else max(a[0], b[0]) + BESIDE
    detour = [a, a1, (gx, a1[1]), (gx, b1[1]), b1, b]
    if b[1] < a[1] + 2 * STUB and _clear(detour, blocks):
        return _simplify(detour)
    for reach in (REACH, 4 * REACH):
        inner = _search(a1, b1, blocks.near(_bounds((a1, b1), reach)), _bounds((a1, b1), reach))
        if inner is not None:
            return _simplify([a] + inner + [b])
    return simple or [a, a1, (b1[0], a1[1]), b1, b]  # walled in: the plain wire, not none


def _search(start, goal, rects, area):
    """A* over the grid of lines MARGIN outside each block; turns cost BEND."""
    grown = [(r[0] - MARGIN, r[1] - MARGIN, r[2] + MARGIN, r[3] + MARGIN) for r in rects]
    xs = sorted({start[0], goal[0], area[0], area[2], *(v for r in grown for v in (r[0], r[2]))})
    ys = sorted({start[1], goal[1], area[1], area[3], *(v for r in grown for v in (r[1], r[3]))})
    xi, yi = {v: i for i, v in enumerate(xs)}, {v: j for j, v in enumerate(ys)}
    # what the blocks forbid, by grid index: points inside, and steps across an inside
    inside, no_h, no_v = set(), set(), set()
    for left, top, right, bottom in grown:
        i0, i1, j0, j1 = xi[left], xi[right], yi[top], yi[bottom]
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                if i0 < i < i1 and j0 < j < j1:
                    inside.add((i, j))
                if i < i1 and j0 < j < j1:
                    no_h.add((i, j))  # the step (i, j) → (i + 1, j)
                if j < j1 and i0 < i < i1:
                    no_v.add((i, j))  # the step (i, j) → (i, j + 1)
    s, g = (xi[start[0]], yi[start[1]]), (xi[goal[0]], yi[goal[1]])
    if s in inside or g in inside:
        return None
    gx, gy = goal

    def h(i, j):
        return abs(xs[i] - gx) + abs(ys[j] - gy)
    # a state is (point, heading); leaving the source's stub heads down (1), arriving at the
    # target's stub must head down too, so the last step into the port is straight
    best = {(s, 1): 0.0}
    came = {}
    heap = [(h(*s), 0.0, s, 1)]
    steps = ((1, 0, 0), (-1, 0, 2), (0, 1, 1), (0, -1, 3))  # di, dj, heading
    while heap:
        f, cost, p, head = heapq.heappop(heap)
        if cost > best.get((p, head), float("inf")):
            continue
        if p == g:
            if head != 3:  # arriving upward would double back into the target's stub
                return _walk(came, (p, head), xs, ys)
            continue
        i, j = p
        for di, dj, nh in steps:
            if (nh - head) % 4 == 2:
                continue  # no U-turn on the spot (nor back up the source's stub)
            q = (i + di, j + dj)
            if not (0 <= q[0] < len(xs) and 0 <= q[1] < len(ys)) or q in inside:
                continue
            if (di and (min(i, q[0]), j) in no_h) or (dj and (i, min(j, q[1])) in no_v):
                continue
            c = cost + abs(xs[q[0]] - xs[i]) + abs(ys[q[1]] - ys[j]) + (BEND if nh != head else 0.0)
            if c < best.get((q, nh), float("inf")):
                best[(q, nh)] = c
                came[(q, nh)] = (p, head)
                heapq.heappush(heap, (c + h(*q), c, q, nh))
    return None


def _walk(came, state, xs, ys) -> list:
    points = []
    while state is not None:
        (i, j), _ = state
        points.append((xs[i], ys[j]))
        state = came.get(state)
    return points[::-1]


def _simplify(points) -> list:
    """Without repeated points and without corners that are not turns."""
    out = []
    for p in points:
        if out and abs(out[-1][0] - p[0]) < 1e-6 and abs(out[-1][1] - p[1]) < 1e-6:
            continue
        if len(out) >= 2:
            o, q = out[-2], out[-1]
            if (abs(o[0] - q[0]) < 1e-6 and abs(q[0] - p[0]) < 1e-6) or (abs(o[1] - q[1]) < 1e-6 and abs(q[1] - p[1]) < 1e-6):
                out[-1] = p
                continue
        out.append(p)
    return out
