"""Model outputs over a set of samples → probabilities, predicted class, confidence, top-k,
and the gallery's filters and sort orders."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.boxes import to_corners


@dataclass
class Predictions:
    labels: np.ndarray  # N true classes (int); for the box task, N×4 true boxes
    probs: np.ndarray | None  # N×K class probabilities (None for the box task)
    pred: np.ndarray  # N predicted classes (box task: zeros)
    conf: np.ndarray  # N confidence of the predicted class (box task: IoU with the truth)
    boxes: np.ndarray | None = None  # N×4 predicted boxes (centre x, centre y, w, h) in [0, 1]
    targets: np.ndarray | None = None  # multi-label: N×K true 0/1 (labels: the first true class)
    threshold: float = 0.5  # multi-label: a class is predicted at this probability or above

    @property
    def correct(self) -> np.ndarray:
        if self.boxes is not None:
            return self.conf >= 0.5  # box "hit": IoU ≥ 0.5
        if self.targets is not None:  # every class right, present or absent
            return ((self.probs >= self.threshold) == (self.targets > 0.5)).all(1)
        return self.pred == self.labels

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean()) if len(self.conf) else 0.0


def raw_outputs(net, images, batch_size: int = 64) -> np.ndarray:
    """The net's outputs for N×C×H×W images, evaluated in batches without gradients."""
    return evaluate(net, images, None, batch_size)[0]


def evaluate(net, images, hidden: str | None, batch_size: int = 64):
    """(N×K outputs, N×D flattened outputs of node `hidden` or None), from one forward per
    batch. Small batches keep the peak memory of a big network low."""
    import torch

    was_training = net.training
    net.eval()
    device = next((p.device for p in net.parameters()), torch.device("cpu"))
    outs, feats = [], []
    try:
        with torch.no_grad():
            for i in range(0, len(images), batch_size):
                x = torch.as_tensor(np.asarray(images[i:i + batch_size], dtype=np.float32)).to(device)
                if hidden is None:
                    y = net(x)
                else:
                    y, kept = net(x, keep=(hidden,))
                    feats.append(kept[hidden].reshape(len(x), -1).float().cpu().numpy())
                outs.append(y.float().cpu().numpy().reshape(len(x), -1))
    finally:
        net.train(was_training)
    raw = np.concatenate(outs) if outs else np.zeros((0, 1), np.float32)
    if hidden is None:
        return raw, None
    return raw, (np.concatenate(feats) if feats else np.zeros((0, 0), np.float32))


def to_probs(raw: np.ndarray, activation: str = "none") -> np.ndarray:
    """Outputs → N×K class probabilities. One output is a binary classifier (probability
    of class 1, after a sigmoid unless the net already applies one); several are logits
    (softmax, unless the last layer already applies softmax)."""
    raw = np.asarray(raw, dtype=np.float64)
    if raw.shape[1] == 1:
        p = raw[:, 0] if activation == "sigmoid" else 1 / (1 + np.exp(-raw[:, 0]))
        return np.stack([1 - p, p], 1)
    if activation == "softmax":
        return raw
    z = np.exp(raw - raw.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise intersection over union of N×4 boxes (centre x, centre y, width, height)."""
    a, b = to_corners(np.asarray(a, float)), to_corners(np.asarray(b, float))
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = iw * ih
    area = lambda r: np.clip(r[:, 2] - r[:, 0], 0, None) * np.clip(r[:, 3] - r[:, 1], 0, None)
    union = area(a) + area(b) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def predict(net, images, labels, task: str = "classify", activation: str = "none",
            threshold: float = 0.5, batch_size: int = 64) -> Predictions:
    """Evaluate the net on the samples. task "box": outputs are boxes (centre x, centre y, width, height)
    in [0, 1] and `labels` the true boxes; anything else is classification."""
    return from_outputs(raw_outputs(net, images, batch_size), labels, task, activation, threshold)


def from_outputs(raw: np.ndarray, labels, task: str = "classify", activation: str = "none",
                 threshold: float = 0.5) -> Predictions:
    labels = np.asarray(labels)
    if task == "box":
        boxes = raw[:, :4]
        iou = box_iou(boxes, labels)
        return Predictions(labels, None, np.zeros(len(raw), int), iou, boxes)
    if task == "multilabel":  # a sigmoid per class; the "prediction" shown first is the likeliest
        probs = raw if activation == "sigmoid" else 1 / (1 + np.exp(-raw.astype(np.float64)))
        pred = probs.argmax(1)
        return Predictions(labels.argmax(1).astype(int), probs, pred, probs[np.arange(len(pred)), pred],
                           targets=labels, threshold=threshold)
    probs = to_probs(raw, activation)
    pred = probs.argmax(1)
    return Predictions(labels.astype(int), probs, pred, probs[np.arange(len(pred)), pred])


def top_k(probs_row: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """[(class, probability)] of the k most likely classes, most likely first."""
    order = np.argsort(-probs_row, kind="stable")[:k]
    return [(int(c), float(probs_row[c])) for c in order]


def select(p: Predictions, cls: int | None = None, mistakes: bool = False,
           sort: str = "confidence") -> np.ndarray:
    """Sample indices for the gallery. cls: only samples whose true class is cls;
    mistakes: only wrong predictions; sort: "confidence" (most confident first),
    "uncertain" (least confident first) or "index"."""
    keep = np.ones(len(p.conf), bool)
    if cls is not None and p.targets is not None:  # multi-label: every sample that shows cls
        keep &= p.targets[:, cls] > 0.5
    elif cls is not None and p.boxes is None:
        keep &= p.labels == cls
    if mistakes:
        keep &= ~p.correct
    idx = np.flatnonzero(keep)
    if sort == "confidence":
        idx = idx[np.argsort(-p.conf[idx], kind="stable")]
    elif sort == "uncertain":
        idx = idx[np.argsort(p.conf[idx], kind="stable")]
    return idx
