"""Automatic layered layout (pure Python): data flows top to bottom (or left to right), one
row (column) per depth.

Rows come from the longest path from the inputs; within a row nodes are ordered by the
mean column of their sources (barycentre), which keeps residual shortcuts beside their
main path instead of crossing it. The direction is the project's `layout.direction`.
"""
from __future__ import annotations

from ...core.graph.commands import Command, Macro, MoveNodes

COLUMN = 240.0  # horizontal distance between nodes in a row
ROW = 132.0  # vertical distance between rows
DEPTH_LR = 340.0  # left to right: distance between columns (room for a wire's shape label)
ACROSS_LR = 112.0  # left to right: vertical distance between blocks of one column
DIRECTIONS = {"TB": "Top to bottom", "LR": "Left to right"}


def direction_of(project) -> str:
    """"TB" (data flows down, the default) or "LR" (data flows right)."""
    d = project.layout.get("direction", "TB")
    return d if d in DIRECTIONS else "TB"


def flow_step(direction: str) -> tuple[float, float]:
    """How far the next block in a chain goes: (dx, dy)."""
    return (DEPTH_LR, 0.0) if direction == "LR" else (0.0, ROW)


class SetDirection(Command):
    """The project's layout direction (saved in `layout.direction`)."""

    def __init__(self, project, direction: str):
        self.project, self.old, self.new = project, direction_of(project), direction
        self.label = f"Lay out {DIRECTIONS[direction].lower()}"

    def _set(self, d):
        if d == "TB":
            self.project.layout.pop("direction", None)  # the default: files stay as they were
        else:
            self.project.layout["direction"] = d

    def do(self, g):
        self._set(self.new)

    def undo(self, g):
        self._set(self.old)


def set_direction(project, direction: str) -> Command | None:
    """One undo step: the new direction, and the network laid out in it."""
    if direction == direction_of(project):
        return None
    graph = project.graph
    steps = [SetDirection(project, direction)]
    moves = {n: p for n, p in layered_layout(graph, direction=direction).items() if graph.nodes[n].pos != p}
    if moves:
        steps.insert(0, MoveNodes(graph, moves))
    return Macro(steps[-1].label, steps)


def layered_layout(graph, node_ids=None, origin=(0.0, 0.0), aspect: float = 1.6,
                   direction: str = "TB") -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for `node_ids` (default: all), laid out among themselves.

    A long network is wrapped into side-by-side bands of rows, like lines of text, so it
    fills a screen of the given `aspect` (width / height) instead of one thin column (left
    to right: bands one under another)."""
    ids = list(graph.nodes) if node_ids is None else [n for n in graph.nodes if n in set(node_ids)]
    keep = set(ids)
    order, stuck = graph.topological_order()
    order = [n for n in order if n in keep] + [n for n in ids if n in stuck]
    preds = {n: [] for n in ids}
    for s, t in graph.edges:
        if s in keep and t in keep:
            preds[t].append(s)
    row: dict[str, int] = {}
    for n in order:
        row[n] = 1 + max((row[s] for s in preds[n] if s in row), default=-1)
    rows: dict[int, list[str]] = {}
    for n in order:
        rows.setdefault(row[n], []).append(n)
    column: dict[str, float] = {}
    for r in sorted(rows):
        members = rows[r]
        first = {n: i for i, n in enumerate(members)}

        def bary(n):
            cols = [column[s] for s in preds[n] if s in column]
            return sum(cols) / len(cols) if cols else float(first[n])
        members.sort(key=lambda n: (bary(n), first[n]))
        wanted = [bary(n) for n in members]
        # spread around the wanted centre, keeping one column between neighbours
        centre = sum(wanted) / len(wanted)
        start = centre - (len(members) - 1) / 2
        for i, n in enumerate(members):
            column[n] = start + i
    ox, oy = origin
    if not column:
        return {}
    lo, hi = min(column.values()), max(column.values())
    n_rows = max(row.values()) + 1
    if direction == "LR":  # depth runs right, bands stack downwards
        band_height = (hi - lo + 1) * ACROSS_LR + ACROSS_LR / 2
        best = min(range(1, n_rows + 1),
                   key=lambda b: abs(-(-n_rows // b) * DEPTH_LR / (b * band_height) - aspect))
        per_band = -(-n_rows // best)
        return {n: (ox + (row[n] % per_band) * DEPTH_LR,
                    oy + (column[n] - lo) * ACROSS_LR + (row[n] // per_band) * band_height) for n in order}
    band_width = (hi - lo + 1) * COLUMN + COLUMN / 2
    best = min(range(1, n_rows + 1), key=lambda b: abs(b * band_width / (-(-n_rows // b) * ROW) - aspect))
    per_band = -(-n_rows // best)
    return {n: (ox + (column[n] - lo) * COLUMN + (row[n] // per_band) * band_width,
                oy + (row[n] % per_band) * ROW) for n in order}
