"""A study's trials as plain rows (the table, `--json`, the report and the window read the
same), the score-against-cost Pareto front, and the parameters' importances (Optuna's)."""
from __future__ import annotations

import math

from .score import OBJECTIVE

STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}
COSTS = ("params", "macs", "latency")


def rows(study, settings: dict) -> list[dict]:
    """One dict per trial: trial, state, params, values {objective: v}, score (its best
    validation score) and metric (what that is: score.py), params/macs counts, epochs, run,
    reason. A failed trial that was rerun says so (`rerun`)."""
    trials = study.get_trials(deepcopy=False)
    rerun = {n for t in trials for n in t.system_attrs.get("retry_history", [])}
    out = []
    for t in trials:
        u = t.user_attrs
        values = dict(zip(settings["objectives"], t.values)) if t.values else {}
        reason = u.get("reason") if t.state.name in ("PRUNED", "FAIL") else None
        out.append({"trial": t.number, "state": STATES.get(t.state.name, t.state.name.lower()),
                    "params": dict(t.params), "values": values,
                    "score": values.get(OBJECTIVE), "metric": u.get("metric"),
                    "n_params": u.get("params"), "macs": u.get("macs"), "latency": values.get("latency", u.get("latency")),
                    "epochs": u.get("epochs", max(t.intermediate_values, default=0)),
                    "run": u.get("run"), "reason": reason, "rerun": t.number in rerun})
    return out


def cost_of(row: dict, cost: str):
    return row["n_params"] if cost == "params" else row.get(cost)


def pareto(points: list[tuple]) -> list[tuple]:
    """The points (score, cost, ...) no other point beats on both (higher score, lower cost), by
    cost ascending."""
    front, best = [], -math.inf
    for p in sorted(points, key=lambda p: (p[1], -p[0])):
        if p[0] > best:
            front.append(p)
            best = p[0]
    return front


def best_rows(table: list[dict], settings: dict) -> list[dict]:
    """The best trial (one objective) or the Pareto-best ones (several)."""
    done = [r for r in table if r["state"] == "complete" and r["values"]]
    if not done:
        return []
    signs = [1 if o == OBJECTIVE else -1 for o in settings["objectives"]]
    key = lambda r: [s * r["values"][o] for s, o in zip(signs, settings["objectives"])]  # noqa: E731
    if len(signs) == 1:
        return [max(done, key=key)]
    return [r for r in done if not any(all(a >= b for a, b in zip(key(o), key(r))) and key(o) != key(r) for o in done)]


def importances(study, settings: dict) -> dict:
    """{parameter: importance} for the first objective (Optuna's fANOVA), {} until there are
    two complete trials that differ."""
    import optuna
    from optuna.trial import TrialState
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if len(complete) < 2 or len({tuple(sorted(t.params.items(), key=str)) for t in complete}) < 2:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)  # the direction does not matter to it
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator, target=lambda t: t.values[0]))
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}


def summary(table: list[dict]) -> str:
    n = {s: sum(r["state"] == s for r in table if not r["rerun"])
         for s in ("complete", "pruned", "failed", "running", "waiting")}
    text = f"{sum(n.values())} trials: {n['complete']} complete, {n['pruned']} pruned, {n['failed']} failed"
    return text + (f", {n['running']} running" if n["running"] else "") + \
        (f", {n['waiting']} to run again on resume" if n["waiting"] else "")


def params_text(params: dict) -> str:
    return ", ".join(f"{k}={short(v)}" for k, v in params.items())


def short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
