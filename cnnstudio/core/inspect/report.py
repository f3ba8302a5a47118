"""One self-contained HTML file about a run: architecture, curves, filters, feature maps,
sample predictions with Grad-CAM, confusion matrix. Images are embedded as base64 PNG, so
the file opens anywhere, offline, on its own. Imports torch and matplotlib (CLI only)."""
from __future__ import annotations

import base64
import math
import html
import io
import time

import numpy as np

from ..analysis.cost import human_count, totals
from .confusion import confusion_matrix, precision_recall
from .mosaic import as_rgb, cam_overlay, upscale

SECTIONS = ("summary", "architecture", "curves", "filters", "feature-maps", "predictions", "confusion")
CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse}td,th{padding:3px 8px;border:1px solid #ddd;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}img.px{image-rendering:pixelated}
.grid{display:flex;flex-wrap:wrap;gap:10px}.card{font-size:12px;text-align:center;width:132px}
.ok{color:#1b7f3b}.bad{color:#c62828}.muted{color:#777}figure{margin:0 0 1em}"""


def png(img: np.ndarray) -> str:
    """uint8 image → data: URL of a PNG."""
    from PIL import Image
    buf = io.BytesIO()
    # without optimize=True (it tried every filter and level, for a few % of size), and zlib's
    # level 3, not 6: a LeNet-5 report's 35 pictures took half the time for 12 % more bytes
    Image.fromarray(np.ascontiguousarray(img)).save(buf, format="PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(img, alt: str, width: int | None = None) -> str:
    """An <img>; small pictures are shown at twice their size (crisp, pixelated)."""
    width = width or (2 * img.shape[1] if img.shape[1] < 200 else None)
    w = f' width="{width}"' if width else ""
    return f'<img class="px" src="{png(img)}" alt="{html.escape(alt)}"{w}>'


def _architecture(insp) -> str:
    a, g = insp.analysis, insp.graph
    rows = []
    for nid in a.order:
        node, info = g.nodes[nid], a.info[nid]
        spec = node.spec
        # key parameters, and any other that differs from its default: enough to rebuild the layer
        keys = ", ".join(f"{p.name}={node.params.get(p.name)}" for p in spec.params
                         if (p.key and p.name != "activation") or node.params.get(p.name) != p.default)
        out = info.out
        shape = "×".join(map(str, out.shape)) if out else "?"
        rows.append(f'<tr><td class="l">{html.escape(nid)}</td><td class="l">{node.type}</td>'
                    f'<td class="l">{html.escape(keys)}</td><td>{shape}</td>'
                    f'<td>{out.params if out else 0:,}</td><td>{human_count(out.macs) if out else 0}</td></tr>')
    t = totals(a)
    return ('<table><tr><th class="l">layer</th><th class="l">type</th><th class="l">settings</th>'
            '<th>output</th><th>parameters</th><th>MACs</th></tr>' + "".join(rows) +
            f'<tr><th class="l" colspan="4">total</th><th>{t["total_params"]:,}</th>'
            f'<th>{human_count(t["macs"])}</th></tr></table>')


def curves_svg(metrics: list) -> str | None:
    """Loss and accuracy (IoU; multi-label: mAP) per epoch, train and validation, as a data: URL of an SVG.
    Drawn directly: importing matplotlib for two small plots cost the report ≈2 s."""
    if not metrics:
        return None
    epochs = [m.get("epoch", i + 1) for i, m in enumerate(metrics)]
    from ..train.metrics import NAMES, score_key
    key = score_key(metrics) or score_key(metrics, "train") or "val_accuracy"
    score = key.partition("_")[2]
    W, H, pad = 420, 260, 44
    parts = []
    for k, what in enumerate(("loss", score)):
        x0 = k * (W + 20)
        series = {split: [(e, m.get(f"{split}_{what}")) for e, m in zip(epochs, metrics)] for split in ("train", "val")}
        ys = [y for pts in series.values() for _, y in pts if isinstance(y, (int, float)) and math.isfinite(y)]
        lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5, hi + 0.5
        e0, e1 = min(epochs), max(max(epochs), min(epochs) + 1)
        px = lambda e: x0 + pad + (e - e0) / (e1 - e0) * (W - pad - 10)  # noqa: E731
        py = lambda y: 24 + (hi - y) / (hi - lo) * (H - 24 - pad)  # noqa: E731
        parts.append(f'<text x="{x0 + W / 2}" y="16" text-anchor="middle" font-size="13">{NAMES.get(what, what)}</text>'
                     f'<rect x="{x0 + pad}" y="24" width="{W - pad - 10}" height="{H - 24 - pad}" fill="none" stroke="#bbb"/>'
                     f'<text x="{x0 + pad - 4}" y="{py(hi) + 4:.1f}" text-anchor="end" font-size="10">{hi:.3g}</text>'
                     f'<text x="{x0 + pad - 4}" y="{py(lo) + 4:.1f}" text-anchor="end" font-size="10">{lo:.3g}</text>'
                     f'<text x="{px(e0):.1f}" y="{H - pad + 14}" text-anchor="middle" font-size="10">{e0}</text>'
                     f'<text x="{px(e1):.1f}" y="{H - pad + 14}" text-anchor="middle" font-size="10">{e1}</text>'
                     f'<text x="{x0 + W / 2}" y="{H - 8}" text-anchor="middle" font-size="11">epoch</text>')
        for (split, pts), color, dash in zip(series.items(), ("#1f77b4", "#ff7f0e"), ("", ' stroke-dasharray="5 3"')):
            ok = [(e, y) for e, y in pts if isinstance(y, (int, float)) and math.isfinite(y)]
            if not ok:
                continue
            line = " ".join(f"{px(e):.1f},{py(y):.1f}" for e, y in ok)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
                         + "".join(f'<circle cx="{px(e):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}"/>' for e, y in ok)
                         + f'<text x="{x0 + W - 14}" y="{38 + 14 * (split == "val")}" text-anchor="end" '
                           f'font-size="11" fill="{color}">{split}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W + 20}" height="{H}" font-family="sans-serif">'
           + "".join(parts) + "</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _filters(insp) -> str:
    from ..build.taps import conv_layers
    from .filters import filter_mosaic
    layers = conv_layers(insp.net)
    if not layers:
        return '<p class="muted">This network has no convolution layer.</p>'
    parts = []
    for k, layer in enumerate(layers[:3]):
        m = filter_mosaic(layer.weight) if k == 0 else filter_mosaic(layer.weight, max_filters=16, max_inputs=8)
        parts.append(f"<figure>{_img(m.image, layer.label)}<figcaption>{html.escape(layer.label)}: "
                     f"{html.escape(m.caption)}, each filter scaled to its own range.</figcaption></figure>")
    if len(layers) > 3:
        parts.append(f'<p class="muted">{len(layers) - 3} more convolution layers are in the app.</p>')
    return "".join(parts) + _units(insp, layers)


def _units(insp, layers, channels: int = 4) -> str:
    """What the first units of the last plain conv layer look for (Zeiler & Fergus)."""
    from .units import unit_pictures
    plain = [l for l in layers if l.label == l.node]
    if not plain or not len(insp.images):
        return ""
    layer = plain[-1]
    parts = [f"<h3>What the units of {html.escape(layer.node)} look for</h3>"]
    shown = list(range(min(channels, layer.weight.shape[0])))
    for c, (img, caption) in zip(shown, unit_pictures(insp, layer.node, shown)):  # found together: one pass
        parts.append(f"<figure>{_img(img, f'{layer.node} channel {c}', min(img.shape[1], 900))}"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    return "".join(parts)


def _feature_maps(insp, index: int) -> str:
    from ..build.taps import activations
    from .features import feature_mosaic
    acts = activations(insp.net, insp.images[index])
    disp = insp.to_display(insp.images[index:index + 1])[0]
    disp = upscale(disp, max(1, min(3, 384 // max(disp.shape[:2]))))
    what = {2: "", 4: " (middle depth slice)"}.get(insp.images.ndim - 1, "")
    parts = [f"<p>Test sample {index}{what}:</p>{_img(disp.squeeze(), 'input')}"]
    for nid, a in acts.items():
        if insp.graph.nodes[nid].type == "Input" or a.ndim < 2:
            continue
        m = feature_mosaic(a, max_maps=32, target=32)
        parts.append(f"<figure>{_img(m.image, nid)}<figcaption>{html.escape(nid)} "
                     f"[{'×'.join(map(str, a.shape))}]: {html.escape(m.caption)}</figcaption></figure>")
    return "".join(parts)


def _predictions(insp, n: int = 24) -> str:
    from .gradcam import grad_cams
    from .mosaic import draw_box
    p = insp.predictions
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(p.conf), size=min(n, len(p.conf)), replace=False))
    disp = insp.to_display(insp.images[idx])
    heats = [None] * len(idx)
    if p.boxes is None:
        try:
            heats = [h for h, _, _ in grad_cams(insp.net, insp.images[idx], None, None, insp.activation)]
        except ValueError:  # no spatial layer: the samples alone
            pass
    cards = []
    for i, d, heat in zip(idx, disp, heats):
        d = as_rgb(d)
        s = max(1, 96 // max(d.shape[:2]))
        if p.boxes is not None:
            h, w = d.shape[:2]
            scale = np.array([w - 1, h - 1, w - 1, h - 1])
            img = draw_box(draw_box(d, p.labels[i] * scale, (40, 200, 60)), p.boxes[i] * scale, (230, 40, 40))
            text = f"IoU {p.conf[i]:.2f}"
        else:
            img = d if heat is None else np.concatenate([d, np.full((d.shape[0], 2, 3), 255, np.uint8),
                                                         cam_overlay(d, heat)], 1)
            if p.targets is not None:
                names = lambda rows: ", ".join(insp.class_name(int(c)) for c in np.flatnonzero(rows)) or "none"
                text = (f"true {html.escape(names(p.targets[i] > 0.5))}<br>predicted "
                        f"{html.escape(names(p.probs[i] >= p.threshold))}")
            else:
                text = (f"true {html.escape(insp.class_name(int(p.labels[i])))}<br>predicted "
                        f"{html.escape(insp.class_name(int(p.pred[i])))} ({p.conf[i]:.0%})")
        cls = "ok" if p.correct[i] else "bad"
        cards.append(f'<div class="card">{_img(upscale(img, s), f"sample {i}", 128)}'
                     f'<div class="{cls}">#{i}: {text}</div></div>')
    if p.targets is not None:
        from ..train.metrics import summary_text
        score = f"at threshold {p.threshold:g}: <b>{summary_text(insp.multilabel_metrics())}</b> (defined below)"
    else:
        score = f"{'IoU ≥ 0.5' if p.boxes is not None else 'accuracy'} <b>{p.accuracy:.1%}</b>"
    note = ("green: true box, red: predicted" if p.boxes is not None else
            "each sample beside its Grad-CAM map (red: where the evidence for the predicted class lies)")
    return (f"<p>{len(p.conf)} test samples, {score}. "
            f"{len(idx)} random samples; {note}.</p><div class=\"grid\">{''.join(cards)}</div>")


def _confusion(insp) -> str:
    p = insp.predictions
    if p.boxes is not None:
        return '<p class="muted">A localization run predicts boxes, not classes: no confusion matrix.</p>'
    if p.targets is not None:
        return _per_class(insp, p)
    k = max(len(insp.classes), p.probs.shape[1])
    cm = confusion_matrix(p.labels, p.pred, k)
    prec, rec = precision_recall(cm)
    names = [html.escape(insp.class_name(c)) for c in range(k)]
    share = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    pct = lambda v: "—" if np.isnan(v) else f"{v:.0%}"
    rows = ['<tr><th class="l">true ↓ / predicted →</th>' + "".join(f"<th>{n}</th>" for n in names) + "<th>recall</th></tr>"]
    for i in range(k):
        cells = "".join(f'<td style="background:rgba(60,100,200,{share[i, j]:.2f});'
                        f'color:{"#fff" if share[i, j] > 0.5 else "#222"}">{cm[i, j] or ""}</td>' for j in range(k))
        rows.append(f'<tr><th class="l">{names[i]}</th>{cells}<td>{pct(rec[i])}</td></tr>')
    rows.append('<tr><th class="l">precision</th>' + "".join(f"<td>{pct(v)}</td>" for v in prec) + "<td></td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _per_class(insp, p) -> str:
    """Multi-label: each class's precision, recall and F1 at the threshold, its average precision,
    the means (mean F1, mAP), and what each figure means."""
    from ..train.metrics import definition_lines, summary_text
    m = insp.multilabel_metrics()
    pct = lambda v: "—" if np.isnan(v) else f"{v:.1%}"  # noqa: E731
    rows = "".join(f'<tr><td class="l">{html.escape(r["class"])}</td><td>{pct(r["precision"])}</td>'
                   f'<td>{pct(r["recall"])}</td><td>{pct(r["f1"])}</td><td>{pct(r["ap"])}</td><td>{r["support"]}</td></tr>'
                   for r in m["per_class"])
    rows += (f'<tr><th class="l">mean</th><td></td><td></td><th>{pct(m["mean_f1"])}</th><th>{pct(m["mAP"])}</th>'
             "<td></td></tr>")
    defs = "".join(f"<li>{html.escape(line)}</li>" for line in definition_lines(p.threshold))
    return (f"<p>Multi-label: each class is its own yes/no at probability ≥ {p.threshold:g}. {len(p.conf)} test "
            f"samples: <b>{summary_text(m)}</b>.</p><table><tr><th class='l'>class</th><th>precision</th>"
            f"<th>recall</th><th>F1</th><th>AP</th><th>samples</th></tr>{rows}</table><ul class='muted'>{defs}</ul>")


def _label(metric: str, task: str = "") -> str:
    """val_accuracy → validation accuracy; val_iou → validation IoU; val_mean_f1 → validation mean F1."""
    from ..train.metrics import label
    return label(metric, task)


def build_report(insp, info: dict | None = None) -> str:
    """The HTML text of the report for an Inspection (see source.py)."""
    from ..train.metrics import fmt
    info = info if info is not None else insp.info
    best = info.get("best") or {}
    # the epoch whose weights the report shows: the best one when it is known
    m = next((r for r in insp.metrics if r.get("epoch") == best.get("epoch")), insp.metrics[-1] if insp.metrics else {})
    facts = [("Project", insp.name), ("Dataset", (info.get("dataset") or {}).get("id", "") if isinstance(info.get("dataset"), dict) else info.get("dataset", "")),
             ("Task", insp.task), ("Classes", ", ".join(map(str, insp.classes[:20])) + (" …" if len(insp.classes) > 20 else "")),
             ("Status", info.get("status", "")), ("Epochs", str(len(insp.metrics))),
             ("Best", f"{_label(best.get('metric', ''), insp.task)} {fmt(best.get('metric', ''), best.get('value'))} "
                      f"(epoch {best.get('epoch')})"
              if best.get("value") is not None else ""),
             ("Device", str(info.get("device", ""))), ("Run folder", str(insp.run_dir or ""))]
    facts += [(f"{_label(k, insp.task)} (epoch {m.get('epoch')})", fmt(k, v)) for k, v in m.items()
              if k.startswith("val_") and isinstance(v, (int, float))]
    summary = "<table>" + "".join(f'<tr><th class="l">{html.escape(k)}</th><td class="l">{html.escape(str(v))}</td></tr>'
                                   for k, v in facts if v not in ("", None)) + "</table>"
    curves = curves_svg(insp.metrics)
    body = {
        "summary": summary,
        "architecture": _architecture(insp),
        "curves": f'<img src="{curves}" alt="training curves">' if curves else '<p class="muted">No epoch finished yet.</p>',
        "filters": _filters(insp),
        "feature-maps": _feature_maps(insp, 0),
        "predictions": _predictions(insp),
        "confusion": _confusion(insp),
    }
    titles = {"summary": "Summary", "architecture": "Architecture", "curves": "Training curves", "filters": "Filters",
              "feature-maps": "Feature maps", "predictions": "Sample predictions",
              "confusion": "Per-class metrics" if insp.task == "multilabel" else "Confusion matrix"}
    sections = "".join(f'<section id="{s}"><h2>{titles[s]}</h2>{body[s]}</section>' for s in SECTIONS)
    title = html.escape(f"{insp.name} — CNN Studio report")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{CSS}</style></head><body><h1>{html.escape(insp.name)}</h1>"
            f'<p class="muted">CNN Studio report, {time.strftime("%Y-%m-%d %H:%M")}</p>{sections}</body></html>\n')
