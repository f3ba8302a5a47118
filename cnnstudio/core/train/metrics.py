"""The metrics a run is judged by, defined once: their names, what they mean, and (for
multi-label runs) how they are computed. Training, `cnnstudio evaluate`, the report and the
window all read them from here. numpy only.

Single-label runs keep "accuracy"; localization runs "IoU". A multi-label run (a yes/no per
class) is judged by mAP, mean F1 and exact match, each defined in DEFINITIONS. Runs trained
before these existed recorded the share of yes/no decisions right as "accuracy": it is read
and shown as "label accuracy"."""
from __future__ import annotations

import numpy as np

THRESHOLD = 0.5  # training's decision threshold: a class is predicted at probability ≥ 0.5
NAMES = {"accuracy": "accuracy", "iou": "IoU", "top5": "top-5 accuracy", "loss": "loss",
         "mAP": "mAP", "mean_f1": "mean F1", "exact_match": "exact match"}
DEFINITIONS = {
    "accuracy": "the share of validation images whose predicted class is the true one.",
    "iou": "intersection over union of the predicted and the true box, averaged over the validation images "
           "(1 is a perfect box).",
    "mAP": "mean average precision: per class, the area under its precision–recall curve (its samples ranked "
           "by probability), averaged over the classes; it needs no threshold.",
    "mean_f1": "per class, F1 = 2·precision·recall / (precision + recall) at the threshold, averaged over the "
               "classes (macro F1).",
    "exact_match": "the share of samples with every label right at the threshold (each class predicted exactly "
                   "when it is present).",
    "label accuracy": "(runs trained before mAP was recorded) the share of all yes/no decisions right at 0.5.",
}
MULTILABEL = ("mAP", "mean_f1", "exact_match")  # in the order they are shown; the first decides "best"


def headline(task: str) -> str:
    """The metric that names a run's quality and picks its best epoch."""
    return {"box": "iou", "multilabel": "mAP"}.get(task, "accuracy")


def score_key(rows, prefix: str = "val") -> str | None:
    """The headline key the history rows hold: mAP for multi-label runs, else IoU, else accuracy
    (an older multi-label run's history has only accuracy)."""
    for what in ("mAP", "iou", "accuracy"):
        if any(f"{prefix}_{what}" in r for r in rows):
            return f"{prefix}_{what}"
    return None


def label(key: str, task: str = "") -> str:
    """"val_mean_f1" → "validation mean F1"; an old multi-label run's "accuracy" → "label accuracy"."""
    split, _, what = key.partition("_") if key.startswith(("val_", "train_")) else ("", "", key)
    name = "label accuracy" if task == "multilabel" and what == "accuracy" else NAMES.get(what, what.replace("_", " "))
    return f"{'validation' if split == 'val' else split} {name}".strip()


def fmt(key: str, value: float) -> str:
    """A history value as the views print it: losses and rates as numbers, IoU to 3 places, scores in %."""
    if not isinstance(value, (int, float)) or value != value:
        return "—"
    if key.endswith(("loss", "lr", "seconds", "images_per_s")):
        return f"{value:.4g}"
    return f"{value:.3f}" if key.endswith("iou") else f"{value:.1%}"


def epoch_scores(row: dict, split: str = "validation") -> list[str]:
    """An epoch's validation scores in words: ["validation accuracy 97.50%"], ["validation IoU 0.812"],
    or for a multi-label run ["validation mAP 81.2%", "validation mean F1 70.0%", "validation exact match 41.0%"].
    `split` is how "validation" is written (the CLI's "val")."""
    if "val_mAP" in row:
        keys = [f"val_{k}" for k in MULTILABEL]
    else:
        keys = [k for k in (score_key([row]),) if k]
    out = []
    for k in keys:
        v = row.get(k)
        if isinstance(v, (int, float)):
            name = label(k).replace("validation", split)
            out.append(f"{name} {v:.3f}" if k.endswith("iou") else f"{name} {v:.2%}")
    return out


def summary_text(m: dict) -> str:
    """"mAP 68.3%, mean F1 51.9%, exact match 9.7%": the figures of multilabel_metrics() as every view shows them."""
    return ", ".join(f"{NAMES[k]} " + ("—" if m[k] != m[k] else f"{m[k]:.1%}") for k in MULTILABEL)


def definition_lines(threshold: float = THRESHOLD) -> list[str]:
    """One line per multi-label metric, "name: meaning", for tooltips, the report and --help."""
    return [f"{NAMES[k]}: {DEFINITIONS[k]}".replace("the threshold", f"the threshold {threshold:g}") for k in MULTILABEL]


def f1_from_counts(tp, fp, fn) -> np.ndarray:
    """Per class F1 = 2·TP / (2·TP + FP + FN), the harmonic mean of precision and recall; 0 when TP is 0."""
    tp, fp, fn = (np.asarray(v, float) for v in (tp, fp, fn))
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)


def average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Area under the precision–recall curve as a step function: the mean of the precision
    at each true item, ranked by score (ties share one threshold). NaN with no true item."""
    scores, targets = np.asarray(scores, float), np.asarray(targets) > 0.5
    positives = targets.sum()
    if positives == 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], targets[order]
    tp, seen = np.cumsum(t), np.arange(1, len(t) + 1)
    last = np.r_[s[1:] != s[:-1], True]  # the end of each run of equal scores: one threshold
    precision, gained = tp[last] / seen[last], np.diff(np.r_[0, tp[last]])
    return float((precision * gained).sum() / positives)


def mean_ap(scores: np.ndarray, targets: np.ndarray) -> float:
    """mAP over the classes (columns) that have a true sample; NaN when none has."""
    aps = [average_precision(scores[:, k], targets[:, k]) for k in range(np.shape(scores)[1])]
    aps = [a for a in aps if not np.isnan(a)]
    return float(np.mean(aps)) if aps else float("nan")


def multilabel_metrics(probs: np.ndarray, targets: np.ndarray, classes, threshold: float = THRESHOLD) -> dict:
    """probs, targets: N×K. A class is predicted when its probability ≥ threshold.
    → {"threshold", "mAP", "mean_f1", "exact_match", "per_class": [{class, precision, recall, f1, ap, support}]}"""
    probs, truth = np.asarray(probs, float), np.asarray(targets) > 0.5
    pred = probs >= threshold
    tp, fp, fn = (pred & truth).sum(0), (pred & ~truth).sum(0), (~pred & truth).sum(0)
    f1 = f1_from_counts(tp, fp, fn)
    rows = []
    for k, name in enumerate(classes):
        rows.append({"class": str(name), "precision": tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else 0.0,
                     "recall": tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else 0.0, "f1": float(f1[k]),
                     "ap": average_precision(probs[:, k], truth[:, k]), "support": int(truth[:, k].sum())})
        rows[-1]["precision"], rows[-1]["recall"] = float(rows[-1]["precision"]), float(rows[-1]["recall"])
    return {"threshold": threshold, "mAP": mean_ap(probs, truth),
            "mean_f1": float(f1.mean()) if len(rows) else 0.0,
            "exact_match": float((pred == truth).all(1).mean()) if len(truth) else 0.0, "per_class": rows}
