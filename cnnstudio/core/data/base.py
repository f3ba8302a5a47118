"""The in-memory dataset every loader produces: splits of normalised float tensors.

Loaders hand `build_dataset` raw uint8 images (N×C×H×W), volumes (N×C×D×H×W) or float
signals (N×C×L); it applies the project's options (class subset, count, and for images
channels and resize), splits off validation with a fixed seed, and normalises with the
training split's per-channel mean and std. Imports torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F


GENERATED = ("shapes", "signals", "volumes", "multi_shapes")  # made to the requested classes and count


class DatasetError(ValueError):
    """A dataset that cannot be loaded; the message says why and what to do."""


@dataclass
class Split:
    images: torch.Tensor  # float N×C×H×W (N×C×L signals, N×C×D×H×W volumes), normalised as the model sees it
    labels: torch.Tensor  # long N (classes), float N×K (multi-label 0/1) or float N×4 (boxes: cx, cy, w, h in 0..1)
    classes: torch.Tensor | None = None  # long N: the class of each box (box task only)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def batches(self, order: torch.Tensor, steps: int, size: int, shard=lambda idx: idx):
        """(images, labels) for `steps` batches of `size` taken in `order`; `shard` picks this
        process's part of each batch (data-parallel training)."""
        for b in range(steps):
            idx = shard(order[b * size:(b + 1) * size])
            yield self.images[idx], self.labels[idx]

    def head(self, n: int):
        return self.images[:n], self.labels[:n]

    def chunks(self, rows: range, size: int):
        """(images, labels) in order, `size` at a time, over `rows` (for validation)."""
        for i in range(rows.start, rows.stop, size):
            j = min(i + size, rows.stop)
            yield self.images[i:j], self.labels[i:j]

    def to(self, device, memory_format=None) -> "Split":
        images = self.images.to(device)
        if memory_format is not None:
            images = images.contiguous(memory_format=memory_format)
        cls = self.classes.to(device) if self.classes is not None else None
        return Split(images, self.labels.to(device), cls)


@dataclass
class Dataset:
    id: str
    name: str
    classes: list
    task: str  # "classify" | "binary" | "multilabel" | "box"
    shape: list  # [C, H, W], [C, L] or [C, D, H, W]
    train: Split
    val: Split
    test: Split
    mean: list = field(default_factory=list)
    std: list = field(default_factory=list)
    spec: dict = field(default_factory=dict)

    def to(self, device, memory_format=None) -> "Dataset":
        """The same dataset with every split on `device` (kept there for the whole run)."""
        return Dataset(self.id, self.name, self.classes, self.task, self.shape,
                       self.train.to(device, memory_format), self.val.to(device, memory_format),
                       self.test.to(device, memory_format), self.mean, self.std, self.spec)

    def to_display(self, images) -> np.ndarray:
        """Model inputs (normalised) → uint8 N×H×W×C pictures for showing: images as they
        are, a volume's middle depth slice, a signal drawn as a line plot."""
        return to_display(images, self.mean, self.std, len(self.shape))

    def class_counts(self, split: str = "train") -> list[int]:
        s = getattr(self, split)
        labels = s.classes if s.classes is not None else s.labels
        if self.task == "multilabel":  # images that show each class
            return labels.sum(0).round().long().cpu().tolist()
        return torch.bincount(labels.long().cpu(), minlength=len(self.classes)).tolist()

    def sample_grid(self, n: int = 64, split: str = "train", pad: int = 2) -> np.ndarray:
        """A mosaic of the first `n` images (uint8 H×W×3) for the preview."""
        part = getattr(self, split)
        imgs = self.to_display(part.head(n)[0])
        if imgs.shape[-1] == 1:
            imgs = np.repeat(imgs, 3, axis=-1)
        if self.task == "box":  # outline each box, so the preview shows the localization target
            imgs = imgs.copy()
            h, w = imgs.shape[1:3]
            from .boxes import to_corners
            for img, b in zip(imgs, to_corners(part.labels[:n].cpu()).tolist()):
                x0, x1 = (min(w - 1, max(0, int(round(v * w - 0.5)))) for v in (b[0], b[2]))
                y0, y1 = (min(h - 1, max(0, int(round(v * h - 0.5)))) for v in (b[1], b[3]))
                img[y0:y1 + 1, [x0, x1]] = (255, 220, 0)
                img[[y0, y1], x0:x1 + 1] = (255, 220, 0)
        k, h, w = imgs.shape[0], imgs.shape[1], imgs.shape[2]
        cols = max(1, int(np.ceil(np.sqrt(k))))
        rows = max(1, int(np.ceil(k / cols)))
        grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 40, np.uint8)
        for i in range(k):
            r, c = divmod(i, cols)
            grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = imgs[i]
        return grid

    def describe(self) -> dict:
        return {"id": self.id, "name": self.name, "task": self.task, "shape": list(self.shape),
                "classes": list(self.classes), "train": len(self.train), "val": len(self.val),
                "test": len(self.test)}


def to_display(images, mean, std, rank: int) -> np.ndarray:
    """See Dataset.to_display; `rank` is the length of one sample's shape (2, 3 or 4)."""
    from .display import display_samples
    return display_samples(torch.as_tensor(images).detach().float().cpu().numpy(), mean, std, rank)


def _as_size(v, what="resize") -> tuple[int, int] | None:
    if v in (None, 0, False):
        return None
    if isinstance(v, int) and not isinstance(v, bool) and v > 0:
        return v, v
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, int) and x > 0 for x in v):
        return int(v[0]), int(v[1])
    raise DatasetError(f'dataset "{what}" must be a size in pixels like 32 or [32, 32], not {v!r}.')


def _convert(x: torch.Tensor, spec: dict) -> torch.Tensor:
    """uint8 N×C×H×W → float 0..1, with the requested channels and size. Signals and
    volumes are taken as they are (float signals unscaled, uint8 volumes to 0..1)."""
    if x.dim() != 4:
        if spec.get("resize") or spec.get("channels"):
            raise DatasetError('dataset "resize" and "channels" work on images; this dataset is '
                               f"{'a signal' if x.dim() == 3 else 'a volume'} set (set its own size options).")
        return x.float() if x.is_floating_point() else x.float().div_(255)
    channels = spec.get("channels")
    size = _as_size(spec.get("resize"))
    out = []
    for i in range(0, x.shape[0], 4096):  # chunks keep peak memory low for big sets
        b = x[i:i + 4096].float().div_(255)
        if channels == 3 and b.shape[1] == 1:
            b = b.expand(-1, 3, -1, -1)
        elif channels == 1 and b.shape[1] == 3:
            b = (b * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        elif channels not in (None, 1, 3):
            raise DatasetError(f'dataset "channels" must be 1 or 3, not {channels!r}.')
        if size and tuple(b.shape[-2:]) != size:
            b = F.interpolate(b, size=size, mode="bilinear", antialias=True, align_corners=False)
        out.append(b.contiguous())
    return torch.cat(out) if out else x.float()


def _subset_classes(classes, xs, ys, wanted):
    missing = [c for c in wanted if c not in classes]
    if missing:
        raise DatasetError(f"dataset classes {missing} do not exist; the classes are: {', '.join(map(str, classes))}.")
    idx = [classes.index(c) for c in wanted]
    remap = torch.full((len(classes),), -1, dtype=torch.long)
    remap[idx] = torch.arange(len(idx))
    out = []
    for x, y in zip(xs, ys):
        keep = remap[y] >= 0
        out.append((x[keep], remap[y[keep]]))
    return list(wanted), out


def build_dataset(id_: str, name: str, classes: list, train, test, spec: dict,
                  task: str = "classify") -> Dataset:
    """train/test: (uint8 images N×C×H×W, labels) pairs; for boxes labels is (boxes, classes)."""
    spec = dict(spec)
    (xtr, ytr), (xte, yte) = train, test
    seed = int(spec.get("split_seed", 0))
    gen = torch.Generator().manual_seed(seed)
    box = task == "box"
    if task == "classify" and spec.get("classes") and id_ not in GENERATED:
        classes, ((xtr, ytr), (xte, yte)) = _subset_classes(classes, [xtr, xte], [ytr, yte], spec["classes"])
    perm = torch.randperm(xtr.shape[0], generator=gen)
    count = spec.get("count")
    if count and id_ not in GENERATED:
        perm = perm[:int(count)]
    vf = float(spec.get("val_fraction", 0.1))
    if not 0 <= vf < 1:
        raise DatasetError(f'dataset "val_fraction" must be between 0 and 0.9, not {vf}.')
    n_val = int(round(len(perm) * vf))
    if len(perm) - n_val < 1:
        raise DatasetError(f"{name} has only {len(perm)} training images: too few to train.")
    vi, ti = perm[:n_val], perm[n_val:]
    pick = (lambda y, i: (y[0][i], y[1][i])) if box else (lambda y, i: y[i])
    xtr_f, xval_f, xte_f = _convert(xtr[ti], spec), _convert(xtr[vi], spec), _convert(xte, spec)
    dims = [0, *range(2, xtr_f.dim())]  # all but the channels
    mean = xtr_f.mean(dims)
    std = xtr_f.std(dims).clamp_min(1e-3)
    view = (1, -1) + (1,) * (xtr_f.dim() - 2)
    for t in (xtr_f, xval_f, xte_f):
        t.sub_(mean.view(view)).div_(std.view(view))

    def split(x, y):
        if box:
            return Split(x, y[0].float(), y[1].long())
        return Split(x, y.float() if task == "multilabel" else y.long())

    ds = Dataset(id_, name, list(classes), task, list(xtr_f.shape[1:]),
                 split(xtr_f, pick(ytr, ti)), split(xval_f, pick(ytr, vi)), split(xte_f, yte),
                 mean.tolist(), std.tolist(), spec)
    if task == "classify" and len(ds.train) and not box:
        if int(ds.train.labels.max()) >= len(ds.classes) or int(ds.train.labels.min()) < 0:
            raise DatasetError(f"{name}: labels outside 0..{len(ds.classes) - 1}.")
    return ds


def holdout(n: int, fraction: float, seed: int):
    """Indices for (rest, test): a seeded shuffle, so sorted files still split fairly."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 1))
    k = int(round(n * fraction))
    return perm[k:], perm[:k]
