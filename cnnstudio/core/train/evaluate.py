"""Evaluating trained runs on the test split: test-time augmentation (flips, AlexNet's ten
crops) averaged per run, and an ensemble of runs averaged together. Imports torch."""
from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import MULTILABEL, multilabel_metrics

TTA = {"none": "none", "flip": "flip", "tencrop": "ten crops"}


def views(x: torch.Tensor, tta: str) -> list[torch.Tensor]:
    """The inputs a test-time augmentation averages over, each the shape of `x` (N×C×…).
    flip: as is and mirrored left–right. tencrop (AlexNet): the input padded by an eighth of
    its size (reflected), cropped back at the four corners and the centre, each also mirrored.
    For signals the five crops are five shifts; for volumes the corners are in height×width."""
    if tta == "none":
        return [x]
    if tta == "flip":
        return [x, x.flip(-1)]
    if tta != "tencrop":
        raise ValueError(f"unknown test-time augmentation {tta!r}; choose from {', '.join(TTA)}")
    dims = 1 if x.dim() == 3 else 2  # cropped dimensions: the last one (signals) or two
    size = x.shape[-dims:]
    m = max(1, min(size) // 8)
    pad = (m, m) * dims
    mode = "reflect" if min(size) > m else "replicate"
    if x.dim() == 5:  # 3-D padding of the last two dimensions: fold the depth into the channels
        n, c, d, h, w = x.shape
        padded = F.pad(x.reshape(n, c * d, h, w), pad, mode=mode).reshape(n, c, d, h + 2 * m, w + 2 * m)
    else:
        padded = F.pad(x, pad, mode=mode)
    if dims == 1:
        starts = [(s,) for s in (0, m // 2, m, m + (m + 1) // 2, 2 * m)]
    else:
        starts = [(0, 0), (0, 2 * m), (2 * m, 0), (2 * m, 2 * m), (m, m)]
    crops = []
    for st in starts:
        index = [slice(None)] * (x.dim() - dims) + [slice(s, s + n) for s, n in zip(st, size)]
        crops.append(padded[tuple(index)])
    return crops + [c.flip(-1) for c in crops]


def probabilities(raw: torch.Tensor, task: str, activation: str) -> torch.Tensor:
    """Outputs → per-class probabilities (a head's own softmax/sigmoid is not applied twice)."""
    raw = raw.float()
    if task == "multilabel":
        return raw if activation == "sigmoid" else torch.sigmoid(raw)
    if raw.shape[1] == 1:  # binary: probability of class 1
        p = raw[:, 0] if activation == "sigmoid" else torch.sigmoid(raw[:, 0])
        return torch.stack([1 - p, p], 1)
    return raw if activation == "softmax" else torch.softmax(raw, 1)


@torch.no_grad()
def run_probabilities(net, images: torch.Tensor, task: str, activation: str, tta: str = "none",
                      batch_size: int = 256) -> np.ndarray:
    """N×K probabilities of one network, averaged over the test-time views."""
    net.eval()
    out = []
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size]
        vs = views(x, tta)
        out.append(sum(probabilities(net(v), task, activation) for v in vs) / len(vs))
    return torch.cat(out).numpy() if out else np.zeros((0, 1), np.float32)


def score(probs: np.ndarray, labels: np.ndarray, task: str, classes, threshold: float) -> dict:
    if task == "multilabel":
        m = multilabel_metrics(probs, labels, classes, threshold)
        return {k: m[k] for k in MULTILABEL + ("per_class",)}
    return {"accuracy": float((probs.argmax(1) == labels).mean()) if len(labels) else 0.0}


class EvaluateError(ValueError):
    """Runs that cannot be evaluated (together); the message says why."""


def evaluate_runs(run_dirs, tta: str = "none", threshold: float = 0.5, which: str = "best") -> dict:
    """Each run on the test split (the validation split when there is none), with TTA, and
    with two or more runs their ensemble: the mean of their probabilities."""
    from .head import find_head
    from ..analysis import analyze
    from .runs import load_run

    runs = []
    for d in run_dirs:
        try:
            runs.append(load_run(d))
        except (OSError, ValueError) as e:
            raise EvaluateError(str(e)) from None
    key = lambda r: (json.dumps(r.project.dataset, sort_keys=True), r.info.get("task"))
    if len({key(r) for r in runs}) > 1:
        raise EvaluateError("These runs were trained on different datasets or tasks; an ensemble averages "
                            "predictions for the same test samples: choose runs of one dataset.")
    task = runs[0].info.get("task", "classify")
    if task == "box":
        raise EvaluateError("Box regression runs have no class probabilities to average; evaluate classifiers.")
    ds = runs[0].dataset()
    split = ds.test if len(ds.test) else ds.val
    images, labels = split.images, split.labels.numpy()
    results, all_probs = [], []
    for r in runs:
        net = r.model(which=which)
        head = find_head(r.project.graph, analyze(r.project.graph))
        probs = run_probabilities(net, images, task, head.activation if head else "none", tta)
        all_probs.append(probs)
        results.append({"run": r.path.name, "path": str(r.path), "project": r.project.name,
                        **score(probs, labels, task, ds.classes, threshold)})
    out = {"dataset": ds.name, "split": "test" if len(ds.test) else "validation", "samples": len(labels),
           "task": task, "tta": tta, "threshold": threshold, "classes": list(ds.classes), "runs": results,
           "probs": all_probs, "labels": labels}
    if len(runs) > 1:
        mean = np.mean(all_probs, 0)
        out["ensemble"] = {"runs": len(runs), **score(mean, labels, task, ds.classes, threshold)}
        out["ensemble_probs"] = mean
    return out
