"""Multi-label metrics: per class precision, recall and F1 at a threshold the user sets,
average precision over all thresholds, and their mean (mAP). numpy only."""
from __future__ import annotations

import numpy as np


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


def multilabel_metrics(probs: np.ndarray, targets: np.ndarray, classes, threshold: float = 0.5) -> dict:
    """probs, targets: N×K. A class is predicted when its probability ≥ threshold."""
    probs, truth = np.asarray(probs, float), np.asarray(targets) > 0.5
    pred = probs >= threshold
    rows = []
    for k, name in enumerate(classes):
        tp = int((pred[:, k] & truth[:, k]).sum())
        fp = int((pred[:, k] & ~truth[:, k]).sum())
        fn = int((~pred[:, k] & truth[:, k]).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"class": str(name), "precision": precision, "recall": recall, "f1": f1,
                     "ap": average_precision(probs[:, k], truth[:, k]), "support": int(truth[:, k].sum())})
    aps = [r["ap"] for r in rows if not np.isnan(r["ap"])]
    return {"threshold": threshold, "per_class": rows, "mAP": float(np.mean(aps)) if aps else float("nan"),
            "macro_f1": float(np.mean([r["f1"] for r in rows])) if rows else 0.0,
            "exact_match": float((pred == truth).all(1).mean()) if len(truth) else 0.0}
