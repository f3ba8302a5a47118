"""What the run optimises and measures: the task follows the dataset and the head.

softmax (or no activation) + classes → cross-entropy on logits; sigmoid with one output and
two classes → binary cross-entropy on logits; multi-label (a sigmoid per class) → binary
cross-entropy per class; boxes → Smooth-L1 (or MSE). Label smoothing moves classification
targets towards uniform (ε/K per class; ε/2 for yes/no targets). A final softmax or
sigmoid is removed from the training forward pass and fused into the loss (log-sum-exp), which
is what keeps the loss finite for confident predictions; the saved model still has it.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .head import FUSABLE, Head, find_head, head_problem, resolve_task  # noqa: F401 - re-exported


def strip_final_activation(net: nn.Module, head: Head, task: str) -> str | None:
    """Make `net` output logits by removing a final softmax/sigmoid (fused into the loss).
    Returns the removed activation's name."""
    if task == "box" or head.activation not in FUSABLE:
        return None
    name = net.node_names[head.node]
    if head.standalone:
        net._modules[name] = nn.Identity()
    elif name in net.activations:
        del net.activations[name]
    return head.activation


class Objective:
    """Loss and on-device metric sums for one task; `finish()` turns sums into numbers."""

    def __init__(self, task: str, n_classes: int, box_loss: str = "smooth_l1", label_smoothing: float = 0.0):
        self.task, self.n_classes, self.box_loss = task, n_classes, box_loss
        self.smooth = label_smoothing
        self.topk = 5 if task == "classify" and n_classes > 5 else 0

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = out.float()
        if self.task == "classify":
            return F.cross_entropy(out, y, label_smoothing=self.smooth)
        if self.task in ("binary", "multilabel"):
            target = y.float() * (1 - self.smooth) + self.smooth / 2
            return F.binary_cross_entropy_with_logits(out.view(-1) if self.task == "binary" else out, target)
        if self.box_loss == "mse":
            return F.mse_loss(out, y)
        return F.smooth_l1_loss(out, y, beta=0.05)

    def new_sums(self, device) -> "Tally":
        # loss·n, n, correct (or IoU sum, or exact matches), top-5 correct; multi-label: then TP, FP, FN per class
        extra = 3 * self.n_classes if self.task == "multilabel" else 0
        return Tally(torch.zeros(4 + extra, device=device))

    @torch.no_grad()
    def accumulate(self, tally: "Tally", out: torch.Tensor, y: torch.Tensor, loss: torch.Tensor,
                   top5: bool = True) -> None:
        sums, n = tally.sums, y.shape[0]
        out = out.float()
        if self.task == "classify":
            hit = (out.argmax(1) == y).sum()
            top5 = (out.topk(self.topk, 1).indices == y[:, None]).any(1).sum() if self.topk and top5 else hit
        elif self.task == "binary":
            hit = ((out.view(-1) > 0).long() == y).sum()
            top5 = hit
        elif self.task == "multilabel":  # logits: probability ≥ 0.5 is logit ≥ 0 (metrics.THRESHOLD)
            pred, truth = out >= 0, y > 0.5
            hit = (pred == truth).all(1).sum()  # exact matches
            top5 = torch.zeros((), device=out.device)
            k = self.n_classes
            sums[4:4 + k].add_((pred & truth).sum(0))
            sums[4 + k:4 + 2 * k].add_((pred & ~truth).sum(0))
            sums[4 + 2 * k:].add_((~pred & truth).sum(0))
            tally.scores.append((out.detach(), y))  # mAP ranks every sample; detached: not the batch's graph
        else:
            hit = box_iou(out, y).sum()
            top5 = hit
        sums[0].add_(loss.detach().float() * n)
        sums[1].add_(n)
        sums[2].add_(hit.float())
        sums[3].add_(top5.float())

    def finish(self, tally: "Tally", prefix: str, dist=None) -> dict:
        """The epoch's numbers from every process's sums (`dist`: the run's Distributed, or None)."""
        sums = dist.sum_(tally.sums) if dist is not None else tally.sums
        s = sums.tolist()
        n = max(s[1], 1.0)
        d = {f"{prefix}_loss": s[0] / n}
        if self.task == "multilabel":
            d.update(self._multilabel(tally, s, prefix, dist))
        elif self.task == "box":
            d[f"{prefix}_iou"] = s[2] / n
        else:
            d[f"{prefix}_accuracy"] = s[2] / n
            if self.topk and prefix == "val":  # top-5 is measured on validation only
                d[f"{prefix}_top5"] = s[3] / n
        return d


    def _multilabel(self, tally, s, prefix, dist) -> dict:
        import numpy as np
        from .metrics import f1_from_counts, mean_ap
        k = self.n_classes
        f1 = f1_from_counts(s[4:4 + k], s[4 + k:4 + 2 * k], s[4 + 2 * k:])
        scores, truth = tally.gathered(dist)
        return {f"{prefix}_mAP": mean_ap(scores, truth), f"{prefix}_mean_f1": float(np.mean(f1)),
                f"{prefix}_exact_match": s[2] / max(s[1], 1.0)}


class Tally:
    """One epoch's sums on the device, and (multi-label) the scores and targets mAP ranks."""

    def __init__(self, sums: torch.Tensor):
        self.sums, self.scores = sums, []

    def __getitem__(self, i):
        return self.sums[i]

    def gathered(self, dist=None):
        """(N×K scores, N×K targets) as numpy, every process's samples together."""
        import numpy as np
        mine = (torch.cat([o.float() for o, _ in self.scores]).cpu().numpy(),
                torch.cat([y for _, y in self.scores]).cpu().numpy()) if self.scores else None
        parts = dist.merge({dist.rank: mine}).values() if dist is not None and dist.active else [mine]
        parts = [p for p in parts if p is not None]
        if not parts:
            return np.zeros((0, 0)), np.zeros((0, 0))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of matching rows of two N×4 (centre x, centre y, width, height) box tensors."""
    from ..data.boxes import to_corners
    a, b = to_corners(a), to_corners(b)
    a = torch.stack([torch.minimum(a[:, 0], a[:, 2]), torch.minimum(a[:, 1], a[:, 3]),
                     torch.maximum(a[:, 0], a[:, 2]), torch.maximum(a[:, 1], a[:, 3])], 1)
    iw = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp_min(0)
    ih = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp_min(0)
    inter = iw * ih
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return inter / union.clamp_min(1e-9)
