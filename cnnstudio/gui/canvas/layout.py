"""Automatic layered layout (pure Python): data flows top to bottom, one row per depth.

Rows come from the longest path from the inputs; within a row nodes are ordered by the
mean column of their sources (barycentre), which keeps residual shortcuts beside their
main path instead of crossing it.
"""
from __future__ import annotations

COLUMN = 240.0  # horizontal distance between nodes in a row
ROW = 132.0  # vertical distance between rows


def layered_layout(graph, node_ids=None, origin=(0.0, 0.0), aspect: float = 1.6) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for `node_ids` (default: all), laid out among themselves.

    A long network is wrapped into side-by-side bands of rows, like lines of text, so it
    fills a screen of the given `aspect` (width / height) instead of one thin column."""
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
    band_width = (hi - lo + 1) * COLUMN + COLUMN / 2
    n_rows = max(row.values()) + 1
    best = min(range(1, n_rows + 1), key=lambda b: abs(b * band_width / (-(-n_rows // b) * ROW) - aspect))
    per_band = -(-n_rows // best)
    return {n: (ox + (column[n] - lo) * COLUMN + (row[n] // per_band) * band_width,
                oy + (row[n] % per_band) * ROW) for n in order}
