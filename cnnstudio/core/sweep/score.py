"""What a study's trials are scored by: the task's validation score (accuracy; mAP for a
multi-label run; IoU for boxes), named and defined as core/train/metrics.py names it for runs.

The objective's key in a study's settings stays "accuracy" (studies on disk hold it); it means
"the task's validation score". `--objective score` is the same objective."""
from __future__ import annotations

import json
from pathlib import Path

from ..train.metrics import DEFINITIONS, NAMES, fmt, headline, score_key

OBJECTIVE = "accuracy"  # the settings' key for the score
ALIASES = {"score": OBJECTIVE}
UNKNOWN = "score"  # its name when the task is not known (no project, no finished trial)


def metric_of(history_rows) -> str | None:
    """"accuracy", "mAP" or "iou": the score a run's history holds (as runs pick their best)."""
    key = score_key(history_rows)
    return key.partition("_")[2] if key else None


def value(row: dict):
    """An epoch's validation score, or None."""
    key = score_key([row])
    return row[key] if key else None


def project_metric(dataset) -> str:
    """The score a project's trials will be judged by, from its dataset section alone (no data
    loaded): as the dataset's task will be when it loads (core/data: multi-label shapes and
    ChestMNIST are multi-label; "task": "box" localizes)."""
    from ..data.medmnist import SUBSETS
    spec = dataset if isinstance(dataset, dict) else {}
    subset = spec.get("subset", "pathmnist")
    multilabel = spec.get("id") == "multi_shapes" or (
        spec.get("id") == "medmnist" and isinstance(subset, str) and SUBSETS.get(subset, (None, 0, 0, False))[3])
    return headline("multilabel" if multilabel else "box" if spec.get("task") == "box" else "classify")


def study_metric(rows: list[dict]) -> str | None:
    """The score the study's trials were judged by: recorded with each finished trial; a study
    from before that record is read from a trial's run (its task), once."""
    for r in rows:
        if r.get("metric"):
            return r["metric"]
    for r in rows:
        if r["state"] == "complete" and r.get("run"):
            try:
                task = json.loads((Path(r["run"]) / "run.json").read_text()).get("task")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(task, str):
                return headline(task)
    return None


def name(metric: str | None) -> str:
    """"accuracy", "mAP", "IoU"; "score" while unknown."""
    return NAMES.get(metric, UNKNOWN) if metric else UNKNOWN


def heading(metric: str | None) -> str:
    """The name at the start of a title: "Accuracy", "mAP", "IoU", "Score"."""
    n = name(metric)
    return n[0].upper() + n[1:] if n.islower() else n


def definition(metric: str | None) -> str:
    """"mAP: mean average precision: …" for a tooltip or the report; unknown: what each task uses."""
    if metric in ("accuracy", "iou", "mAP"):
        return f"{name(metric)} (validation, the trial's best epoch): {DEFINITIONS[metric]}"
    return ("the trial's best validation score: accuracy for classification, mAP for multi-label runs, "
            "IoU for boxes (known once a trial has finished).")


def text(metric: str | None, v) -> str:
    """A score as every view prints it: IoU to 3 places, the others in %."""
    return fmt(str(metric), v)


def objective_name(objective: str, metric: str | None) -> str:
    """An objective as a user reads it: the score by its name, a cost as itself."""
    return name(metric) if objective == OBJECTIVE else objective


def objective_text(objective: str, metric: str | None, v) -> str:
    if v is None:
        return ""
    if objective == OBJECTIVE:
        return text(metric, v)
    return f"{v:.3g} ms" if objective == "latency" else f"{v:,.0f}"
