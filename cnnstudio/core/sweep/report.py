"""A study's HTML report: what was varied, the best trials, every trial in a table, the score
(accuracy, mAP or IoU, defined) against cost with the Pareto front, parallel coordinates and
the parameters' importances."""
from __future__ import annotations

import html
import time

from . import plots
from . import results as R
from . import score as S

CSS = ("body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222}"
       "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
       "th.l,td.l{text-align:left}.muted{color:#777}section{margin:28px 0}")


def cost_axis(settings: dict) -> str:
    """The cost the scatter plots: the study's first cost objective, else the parameter count."""
    return next((o for o in settings["objectives"] if o != S.OBJECTIVE), "params")


def build_study_report(study, settings: dict) -> str:
    table = R.rows(study, settings)
    names = list(settings["space"])
    best = R.best_rows(table, settings)
    metric = S.study_metric(table)
    objectives = [S.objective_name(o, metric) for o in settings["objectives"]]
    space = "".join(f'<tr><th class="l">{html.escape(k)}</th><td class="l">{html.escape(_spec(v))}</td></tr>'
                    for k, v in settings["space"].items())
    facts = (f"<p>{html.escape(R.summary(table))}; sampler {settings['sampler']}, pruner {settings['prune']}, "
             f"objectives {', '.join(objectives)}.</p><p>{html.escape(S.definition(metric))}</p><table>{space}</table>")
    best_html = "".join(f"<p>Trial {r['trial']}: {html.escape(_values(r['values'], metric))} — "
                        f"{html.escape(R.params_text(r['params']))}<br><span class='muted'>{html.escape(str(r['run']))}"
                        "</span></p>" for r in best) or "<p class='muted'>No complete trial yet.</p>"
    sizes = [c for c in ("params", "macs") if c not in settings["objectives"]]  # unless an objective already
    head = ["trial", "state", *names, *objectives, *[{"macs": "MACs"}.get(c, c) for c in sizes], "epochs", "note"]
    body = []
    for r in table:
        cells = [r["trial"], r["state"] + (" (rerun)" if r["rerun"] else ""),
                 *[R.short(r["params"].get(n, "")) for n in names],
                 *[S.objective_text(o, metric, r["values"].get(o)) for o in settings["objectives"]],
                 *[f"{R.cost_of(r, c):,}" if R.cost_of(r, c) is not None else "" for c in sizes],
                 r["epochs"] or "", r["reason"] or ""]
        body.append("<tr>" + "".join(f'<td{" class=l" if i == len(cells) - 1 else ""}>{html.escape(str(c))}</td>'
                                     for i, c in enumerate(cells)) + "</tr>")
    trials = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>" + "".join(body) + "</table>"
    svg, _ = plots.scatter(table, cost_axis(settings))
    sections = [("Study", facts), ("Best", best_html), (f"{S.heading(metric)} against cost", svg),
                ("Parallel coordinates", plots.parallel(table, names)),
                ("Importance of each parameter", plots.importance_bars(R.importances(study, settings))),
                ("Trials", trials)]
    title = html.escape(f"{settings['study']} — CNN Studio experiment")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{CSS}</style>'
            f"</head><body><h1>{html.escape(settings['study'])}</h1><p class='muted'>CNN Studio experiment report, "
            f"{time.strftime('%Y-%m-%d %H:%M')}</p>"
            + "".join(f"<section><h2>{t}</h2>{b}</section>" for t, b in sections) + "</body></html>\n")


def _spec(doc) -> str:
    if isinstance(doc, list):
        return "{" + ", ".join(map(str, doc)) + "}"
    return f"{doc['low']} … {doc['high']}" + (" (log)" if doc.get("log") else "")


def _values(values: dict, metric) -> str:
    return ", ".join(f"{S.objective_name(k, metric)} {S.objective_text(k, metric, v)}" for k, v in values.items())
