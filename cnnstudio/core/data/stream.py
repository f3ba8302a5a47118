"""Image folders streamed from disk: for datasets too big to hold in memory (see budget.py).

The result is an ordinary `Dataset` whose splits are `StreamSplit`s: they hold file indices, not
images, and give the engine the same batches in the same order as the in-memory path (the same
split, decode, resize and normalisation). Images are decoded in `torch.utils.data.DataLoader`
worker processes, with pinned memory and prefetching on CUDA; to a GPU they travel as uint8 (a
quarter of float32) and are normalised there on whole batches, while for the CPU the workers
normalise them too. Augmentation stays on whole batches on the device. A file that cannot be read is skipped and recorded in `skipped` (path → reason); a
batch simply has one image fewer.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .base import Dataset, DatasetError, _as_size
from .image_files import list_folder

STATS_IMAGES = 2048  # training images the normalisation's mean and std are measured on


def decode(path, size: tuple[int, int], mode: str, max_pixels=None) -> np.ndarray:
    """One image file → uint8 C×H×W, as the in-memory image-folder loader reads it (a JPEG at least
    twice the size asked for is first decoded at a reduced scale, which is much faster; its
    pixels may then differ slightly from the in-memory path's)."""
    from PIL import Image

    from .image_files import open_image
    with open_image(path, max_pixels) as im:
        im.draft(mode, (size[1], size[0]))  # JPEG: decode at a reduced scale when much bigger
        a = np.array(im.convert(mode).resize((size[1], size[0]), Image.BILINEAR), np.uint8)
    return a[None] if a.ndim == 2 else np.ascontiguousarray(a.transpose(2, 0, 1))


class FolderImages(torch.utils.data.Dataset):
    """Index → (uint8 image, label, index); an unreadable file gives (None, reason, index)."""

    def __init__(self, root: Path, files: list[str], labels: list[int], size, mode: str):
        from PIL import Image
        self.root, self.files, self.labels, self.size, self.mode = root, files, labels, size, mode
        self.max_pixels = Image.MAX_IMAGE_PIXELS  # this process's limit, also in the loader's workers

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        try:
            return (torch.from_numpy(decode(self.root / self.files[i], self.size, self.mode, self.max_pixels)),
                    self.labels[i], i)
        except Exception as e:  # noqa: BLE001 - PIL raises many kinds for a damaged file: skip it, say why
            from .image_files import reason
            return None, reason(e), i


class Normalise:
    """uint8 batch → float 0..1, resized, normalised: as the in-memory path stores its images."""

    def __init__(self, mean, std, resize):
        self.mean, self.std, self.size = mean, std, _as_size(resize)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().div_(255)
        if self.size and tuple(x.shape[-2:]) != self.size and x.shape[0]:
            x = F.interpolate(x, size=self.size, mode="bilinear", antialias=True, align_corners=False)
        if self.mean is not None:
            view = (1, x.shape[1], 1, 1)
            x = (x - torch.tensor(self.mean, device=x.device).view(view)) / torch.tensor(self.std, device=x.device).view(view)
        return x


class Collate:
    """Stack the readable images of a batch; list the unreadable ones. With `normalise` (training
    on the CPU) the worker also normalises, leaving the training process only the training."""

    def __init__(self, shape, normalise=None):
        self.shape, self.normalise = tuple(shape), normalise

    def __call__(self, items):
        good = [it for it in items if it[0] is not None]
        x = torch.stack([it[0] for it in good]) if good else torch.empty((0, *self.shape), dtype=torch.uint8)
        y = torch.tensor([it[1] for it in good], dtype=torch.long)
        return (self.normalise(x) if self.normalise else x), y, [(it[2], it[1]) for it in items if it[0] is None]


class StreamSplit:
    def __init__(self, images: FolderImages, index: torch.Tensor, spec: dict, skipped: dict, workers: int,
                 mean=None, std=None, device="cpu", memory_format=None):
        self.images_on_disk, self.index, self.spec, self.skipped = images, index, spec, skipped
        self.workers, self.mean, self.std = workers, mean, std
        self.device, self.memory_format = torch.device(device), memory_format
        self.labels = torch.tensor([images.labels[i] for i in index.tolist()], dtype=torch.long)
        self.classes = None

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def to(self, device, memory_format=None) -> "StreamSplit":
        return StreamSplit(self.images_on_disk, self.index, self.spec, self.skipped, self.workers, self.mean,
                           self.std, device, memory_format)

    # --- batches as the engine asks for them ------------------------------------------------
    def batches(self, order: torch.Tensor, steps: int, size: int, shard=lambda idx: idx):
        order = order.cpu()
        plan = [self.index[shard(order[b * size:(b + 1) * size])].tolist() for b in range(steps)]
        yield from self._load(plan)

    def chunks(self, rows: range, size: int):
        plan = [self.index[i:min(i + size, rows.stop)].tolist() for i in range(rows.start, rows.stop, size)]
        yield from self._load(plan)

    def head(self, n: int):
        x, y, bad = Collate(self._shape())([self.images_on_disk[i] for i in self.index[:n].tolist()])
        self._note(bad)
        return self._ready(x), y.to(self.device)

    def _load(self, plan: list[list[int]]):
        cuda = self.device.type == "cuda"
        on_cpu = self.device.type == "cpu" and self.workers  # else uint8 travels, normalised on the device
        collate = Collate(self._shape(), Normalise(self.mean, self.std, self.spec.get("resize")) if on_cpu else None)
        loader = torch.utils.data.DataLoader(
            self.images_on_disk, batch_sampler=plan, num_workers=self.workers, collate_fn=collate,
            pin_memory=cuda, prefetch_factor=4 if self.workers else None)
        for x, y, bad in loader:
            self._note(bad)
            yield self._ready(x), y.to(self.device, non_blocking=cuda)

    def _shape(self):
        h, w = self.images_on_disk.size
        return (1 if self.images_on_disk.mode == "L" else 3, h, w)

    def _ready(self, x: torch.Tensor) -> torch.Tensor:
        """A batch from the loader → normalised float on the device."""
        x = x.to(self.device, non_blocking=self.device.type == "cuda")
        if x.dtype == torch.uint8:
            x = Normalise(self.mean, self.std, self.spec.get("resize"))(x)
        if self.memory_format is not None:
            x = x.contiguous(memory_format=self.memory_format)
        return x

    def _note(self, bad) -> None:
        for i, reason in bad:
            self.skipped[self.images_on_disk.files[i]] = reason


def default_workers() -> int:
    """DataLoader workers per training process: the cores this process's share of the machine has."""
    share = (os.cpu_count() or 2) // int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    return max(1, min(8, share - 1))


def load_image_folder_stream(spec: dict) -> Dataset:
    """An image folder as a streamed Dataset: the same classes, splits and normalisation as
    `builtin.load_image_folder`, without decoding more than a sample of it."""
    from .base import holdout
    root = spec.get("path")
    if not root:
        raise DatasetError('Image folder needs "path": the folder that holds one sub-folder per class.')
    root = Path(os.path.expanduser(str(root)))
    if not root.is_dir():
        raise DatasetError(f"Image folder {root} does not exist. Choose a folder with one sub-folder per class.")
    classes, files, unlisted = list_folder(root)
    if len(classes) < 2:
        raise DatasetError(f"Image folder {root} has {len(classes)} class sub-folder(s); it needs at least 2 "
                           "(one sub-folder of images per class).")
    empty = [c for k, c in enumerate(classes) if k not in {lab for _, lab in files}]
    if empty:
        raise DatasetError(f"Image folder {root}: no images in {', '.join(empty)}.")
    size = _as_size(spec.get("image_size", 64), "image_size")
    channels = 1 if spec.get("channels") == 1 else 3
    labels = torch.tensor([lab for _, lab in files], dtype=torch.long)
    seed = int(spec.get("split_seed", 0))
    rest, test = holdout(len(files), float(spec.get("test_fraction", 0.1)), seed)
    if spec.get("classes"):  # a subset of the classes, renumbered in the order given
        missing = [c for c in spec["classes"] if c not in classes]
        if missing:
            raise DatasetError(f"dataset classes {missing} do not exist; the classes are: {', '.join(classes)}.")
        remap = torch.full((len(classes),), -1, dtype=torch.long)
        remap[[classes.index(c) for c in spec["classes"]]] = torch.arange(len(spec["classes"]))
        labels, classes = remap[labels], list(spec["classes"])
        rest, test = rest[labels[rest] >= 0], test[labels[test] >= 0]
    perm = torch.randperm(len(rest), generator=torch.Generator().manual_seed(seed))
    if spec.get("count"):
        perm = perm[:int(spec["count"])]
    n_val = int(round(len(perm) * float(spec.get("val_fraction", 0.1))))
    if len(perm) - n_val < 1:
        raise DatasetError(f"Image folder {root} has only {len(perm)} training images: too few to train.")
    images = FolderImages(root, [f for f, _ in files], labels.tolist(), size, "L" if channels == 1 else "RGB")
    spec = {k: v for k, v in spec.items() if k != "channels"}
    skipped: dict = dict(unlisted)  # loops, FIFOs: skipped before any batch
    workers = int(spec.get("workers") or default_workers())
    train, val = (StreamSplit(images, rest[p], spec, skipped, workers) for p in (perm[n_val:], perm[:n_val]))
    test = StreamSplit(images, test, spec, skipped, workers)
    sample = torch.cat([x for x, _ in train.chunks(range(min(len(train), STATS_IMAGES)), 256)])
    if sample.shape[0] == 0:
        raise DatasetError(f"Image folder {root}: none of the first {min(len(train), STATS_IMAGES)} training "
                           "images could be read.")
    mean, std = sample.mean([0, 2, 3]).tolist(), sample.std([0, 2, 3]).clamp_min(1e-3).tolist()
    for s in (train, val, test):
        s.mean, s.std = mean, std
    return Dataset("image_folder", f"Image folder ({root.name})", classes, "classify", list(sample.shape[1:]),
                   train, val, test, mean, std, spec)
