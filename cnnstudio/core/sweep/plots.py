"""A study's pictures as SVG text, for the report and the window alike: the score (accuracy,
mAP or IoU: score.py) against a cost with the Pareto front, parallel coordinates, and the parameters' importances. Drawn
directly (the run report does the same: matplotlib cost it ≈2 s to import)."""
from __future__ import annotations

import html
import math

from . import score as S
from .results import cost_of, pareto

W, H, PAD = 520, 320, 52
STATE_COLORS = {"complete": "#1f77b4", "pruned": "#bbbbbb", "failed": "#d62728"}
FRONT = "#ff7f0e"
SCORE_AXIS = object()  # the score's axis (a parameter may be called anything)
COST_LABEL = {"params": "parameters", "macs": "MACs", "latency": "latency (ms per image)"}


def _svg(body: str, w: int = W, h: int = H) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="sans-serif" font-size="11">{body}</svg>')


def _fmt(v) -> str:
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.3g}"
    v = int(v)
    return f"{v / 1e6:.3g}M" if abs(v) >= 1e6 else f"{v / 1e3:.3g}k" if abs(v) >= 1e4 else str(v)


def scatter(rows: list[dict], cost: str = "params") -> tuple[str, list[tuple]]:
    """The score (up) against `cost` (right, log scale when it spans 10×), each trial a dot, the
    Pareto front joined. → (svg, [(trial, x, y) in SVG units]) so a view can hit-test a click."""
    metric = S.study_metric(rows)
    pts = [(r["score"], cost_of(r, cost), r["trial"]) for r in rows
           if r["state"] == "complete" and r["score"] is not None and cost_of(r, cost) is not None]
    body = [f'<rect x="{PAD}" y="16" width="{W - PAD - 12}" height="{H - 16 - PAD}" fill="none" stroke="#bbb"/>',
            f'<text x="{(W + PAD) / 2}" y="{H - 12}" text-anchor="middle">{COST_LABEL[cost]}</text>',
            f'<text x="14" y="{H / 2 - 20}" text-anchor="middle" transform="rotate(-90 14 {H / 2 - 20})">{html.escape(S.name(metric))}</text>']
    if not pts:
        body.append(f'<text x="{(W + PAD) / 2}" y="{H / 2}" text-anchor="middle" fill="gray">no finished trial yet</text>')
        return _svg("".join(body)), []
    accs, costs = [p[0] for p in pts], [p[1] for p in pts]
    a0, a1 = min(accs), max(accs)
    if a1 - a0 < 1e-9:
        a0, a1 = a0 - 0.05, a1 + 0.05
    c0, c1 = min(costs), max(costs)
    log = c0 > 0 and c1 / c0 >= 10
    f = (lambda c: math.log10(c)) if log else (lambda c: c)  # noqa: E731
    lo, hi = f(c0), f(c1)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    px = lambda c: PAD + 10 + (f(c) - lo) / (hi - lo) * (W - PAD - 34)  # noqa: E731
    py = lambda a: 26 + (a1 - a) / (a1 - a0) * (H - 36 - PAD)  # noqa: E731
    body += [f'<text x="{PAD - 4}" y="{py(a1) + 4:.1f}" text-anchor="end">{S.text(metric, a1)}</text>',
             f'<text x="{PAD - 4}" y="{py(a0) + 4:.1f}" text-anchor="end">{S.text(metric, a0)}</text>',
             f'<text x="{px(c0):.1f}" y="{H - PAD + 14}" text-anchor="middle">{_fmt(c0)}</text>',
             f'<text x="{px(c1):.1f}" y="{H - PAD + 14}" text-anchor="middle">{_fmt(c1)}</text>']
    front = pareto(pts)
    if len(front) > 1:
        line = " ".join(f"{px(c):.1f},{py(a):.1f}" for a, c, _ in front)
        body.append(f'<polyline points="{line}" fill="none" stroke="{FRONT}" stroke-width="2"/>')
    on_front = {p[2] for p in front}
    hits = []
    for a, c, n in sorted(pts, key=lambda p: p[2] in on_front):  # the front's dots on top of any twin
        x, y = px(c), py(a)
        hits.append((n, x, y))
        color = FRONT if n in on_front else STATE_COLORS["complete"]
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{color}" fill-opacity="0.85"><title>trial {n}: '
                    f'{S.name(metric)} {S.text(metric, a)}, {_fmt(c)} {html.escape(COST_LABEL[cost])}</title></circle>')
    body.append(f'<text x="{W - 16}" y="{H - PAD - 6}" text-anchor="end" fill="{FRONT}">— Pareto front</text>')
    return _svg("".join(body)), hits


def parallel(rows: list[dict], names: list[str]) -> str:
    """One vertical axis per varied parameter and one for the score; each complete trial a line
    across them, darker the better."""
    done = [r for r in rows if r["state"] == "complete" and r["score"] is not None]
    metric = S.study_metric(rows)
    axes = list(names) + [SCORE_AXIS]
    w = max(W, 110 * len(axes))
    xs = [70 + i * (w - 140) / max(len(axes) - 1, 1) for i in range(len(axes))]
    top, bottom = 30, H - 40
    body = []
    scales = []
    for name, x in zip(axes, xs):
        vals = [r["score"] if name is SCORE_AXIS else r["params"].get(name) for r in done]
        nums = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if nums and len(nums) == len(vals):
            lo, hi = min(nums), max(nums)
            span = (hi - lo) or 1.0
            scales.append(lambda v, lo=lo, span=span: bottom - (v - lo) / span * (bottom - top))
            ticks = [(lo, bottom), (hi, top)] if hi != lo else [(lo, (top + bottom) / 2)]
        else:
            cats = list(dict.fromkeys(map(str, vals)))
            pos = {c: bottom - (i + 0.5) / len(cats) * (bottom - top) for i, c in enumerate(cats)}
            scales.append(lambda v, pos=pos: pos[str(v)])
            ticks = [(c, y) for c, y in pos.items()]
        title = S.name(metric) if name is SCORE_AXIS else name
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#888"/>'
                    f'<text x="{x:.1f}" y="{H - 18}" text-anchor="middle">{html.escape(title)}</text>')
        for v, y in ticks:
            label = S.text(metric, v) if name is SCORE_AXIS and isinstance(v, float) else \
                _fmt(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
            body.append(f'<text x="{x + 4:.1f}" y="{y + 4:.1f}" fill="#555">{html.escape(label[:12])}</text>')
    if done:
        accs = [r["score"] for r in done]
        lo, span = min(accs), (max(accs) - min(accs)) or 1.0
        for r in sorted(done, key=lambda r: r["score"]):
            k = (r["score"] - lo) / span
            ys = [s(r["score"] if a is SCORE_AXIS else r["params"].get(a)) for a, s in zip(axes, scales)]
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
            body.append(f'<polyline points="{line}" fill="none" stroke="rgb({int(165 - 135 * k)},{int(175 - 85 * k)},'
                        f'{int(210 - 30 * k)})" stroke-width="{1 + 1.5 * k:.1f}"><title>trial {r["trial"]}</title></polyline>')
    return _svg("".join(body), w)


def importance_bars(imp: dict) -> str:
    """Horizontal bars, most important first."""
    if not imp:
        return _svg(f'<text x="{W / 2}" y="40" text-anchor="middle" fill="gray">importances need two or more '
                    "complete trials that differ</text>", W, 70)
    items = sorted(imp.items(), key=lambda kv: -kv[1])
    h = 30 + 26 * len(items)
    left, width = 170, W - 170 - 60
    body = []
    for i, (name, v) in enumerate(items):
        y = 20 + 26 * i
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{html.escape(name[:26])}</text>'
                    f'<rect x="{left}" y="{y}" width="{max(1.0, v * width):.1f}" height="18" fill="#1f77b4"/>'
                    f'<text x="{left + v * width + 4:.1f}" y="{y + 13}">{v:.2f}</text>')
    return _svg("".join(body), W, h)
