"""Confusion matrix, per-class precision and recall, and the samples in one cell."""
from __future__ import annotations

import numpy as np


def confusion_matrix(labels, pred, n_classes: int) -> np.ndarray:
    """K×K counts: row = true class, column = predicted class."""
    cm = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(cm, (np.asarray(labels, int), np.asarray(pred, int)), 1)
    return cm


def precision_recall(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per class: precision = right / predicted as that class, recall = right / truly
    that class. NaN where the class was never predicted (precision) or never present."""
    diag = np.diag(cm).astype(float)
    predicted, actual = cm.sum(0).astype(float), cm.sum(1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(predicted > 0, diag / predicted, np.nan), np.where(actual > 0, diag / actual, np.nan)


def cell_samples(labels, pred, conf, true_class: int, pred_class: int) -> np.ndarray:
    """Indices of samples of `true_class` predicted as `pred_class`, most confident first."""
    labels, pred, conf = np.asarray(labels), np.asarray(pred), np.asarray(conf)
    idx = np.flatnonzero((labels == true_class) & (pred == pred_class))
    return idx[np.argsort(-conf[idx], kind="stable")]


def most_confused(cm: np.ndarray, n: int = 5) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells: [(true, predicted, count)], biggest first."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off, axis=None, kind="stable")[:n]
    return [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(flat, cm.shape)) if off[i, j] > 0]
