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

    def new_sums(self, device) -> torch.Tensor:
        return torch.zeros(4, device=device)  # loss·n, n, correct (or IoU sum), top-5 correct

    @torch.no_grad()
    def accumulate(self, sums: torch.Tensor, out: torch.Tensor, y: torch.Tensor, loss: torch.Tensor,
                   top5: bool = True) -> None:
        n = y.shape[0]
        out = out.float()
        if self.task == "classify":
            hit = (out.argmax(1) == y).sum()
            top5 = (out.topk(self.topk, 1).indices == y[:, None]).any(1).sum() if self.topk and top5 else hit
        elif self.task == "binary":
            hit = ((out.view(-1) > 0).long() == y).sum()
            top5 = hit
        elif self.task == "multilabel":  # the share of yes/no decisions right, at probability 0.5
            hit = ((out > 0) == (y > 0.5)).float().mean(1).sum()
            top5 = hit
        else:
            hit = box_iou(out, y).sum()
            top5 = hit
        sums[0].add_(loss.detach().float() * n)
        sums[1].add_(n)
        sums[2].add_(hit.float())
        sums[3].add_(top5.float())

    def finish(self, sums: torch.Tensor, prefix: str) -> dict:
        s = sums.tolist()
        n = max(s[1], 1.0)
        d = {f"{prefix}_loss": s[0] / n}
        if self.task == "box":
            d[f"{prefix}_iou"] = s[2] / n
        else:
            d[f"{prefix}_accuracy"] = s[2] / n
            if self.topk and prefix == "val":  # top-5 is measured on validation only
                d[f"{prefix}_top5"] = s[3] / n
        return d


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
