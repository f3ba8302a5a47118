"""torchvision datasets: downloaded on first use into the user data folder.

Offline, a clear message names the folder and the files to put there; files already in the
folder (copied by hand, or downloaded earlier) are used without any network access.
"""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

# torch, numpy and the loaders are imported inside the functions that load: the registry reads
# this module's table and must stay cheap to import.

DIGITS = [str(i) for i in range(10)]
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
KMNIST = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# id → (torchvision class, display name, shape, classes or None (read from the files), size, files
# that show it is already there (relative to the data folder))
VISION = {
    "mnist": ("MNIST", "MNIST", [1, 28, 28], DIGITS, "≈12 MB", ["MNIST/raw/train-images-idx3-ubyte"]),
    "fashion_mnist": ("FashionMNIST", "Fashion-MNIST", [1, 28, 28], FASHION, "≈30 MB",
                      ["FashionMNIST/raw/train-images-idx3-ubyte"]),
    "kmnist": ("KMNIST", "KMNIST", [1, 28, 28], KMNIST, "≈20 MB", ["KMNIST/raw/train-images-idx3-ubyte"]),
    "cifar10": ("CIFAR10", "CIFAR-10", [3, 32, 32], CIFAR10, "≈170 MB", ["cifar-10-batches-py/data_batch_1"]),
    "cifar100": ("CIFAR100", "CIFAR-100", [3, 32, 32], None, "≈170 MB", ["cifar-100-python/train"]),
    "svhn": ("SVHN", "SVHN", [3, 32, 32], DIGITS, "≈240 MB", ["train_32x32.mat", "test_32x32.mat"]),
}


def data_root() -> Path:
    """Where downloads go: $CNNSTUDIO_DATA, else the platform's per-user data folder."""
    env = os.environ.get("CNNSTUDIO_DATA")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "CNN Studio"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "CNN Studio"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "cnnstudio"
    return base / "datasets"


def vision_root(spec: dict) -> Path:
    return Path(os.path.expanduser(str(spec["path"]))) if spec.get("path") else data_root()


def is_downloaded(id_: str, root: Path | None = None) -> bool:
    root = root or data_root()
    return all((root / f).exists() for f in VISION[id_][5])


def _cause(error: BaseException) -> str:
    """The error and what caused it, whole (a truncated cause hides what to fix)."""
    parts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        parts.append(f"{error.__class__.__name__}: {' '.join(str(error).split())}")
        error = error.__cause__ or error.__context__
    return "; caused by ".join(parts)


def _offline_message(id_: str, root: Path, error: Exception) -> str:
    cls, name, _, _, size, files = VISION[id_]
    return (f"{name} is not on this computer yet and could not be downloaded ({_cause(error)}). Connect to the internet and try again — it downloads once ({size}) into "
            f"{root} — or copy the {name} files there by hand (torchvision layout, e.g. {root / files[0]}). "
            "Offline, choose a built-in dataset that needs no network: MNIST 5k or Shapes.")


def _open(id_: str, root: Path, train: bool, download: bool):
    import torchvision.datasets as tvd

    cls = getattr(tvd, VISION[id_][0])
    if id_ == "svhn":
        return cls(str(root), split="train" if train else "test", download=download)
    return cls(str(root), train=train, download=download)


def _arrays(id_: str, ds):
    import numpy as np
    import torch

    if id_ in ("mnist", "fashion_mnist", "kmnist"):
        x = torch.as_tensor(ds.data)[:, None]
        y = torch.as_tensor(ds.targets).long()
    elif id_ == "svhn":
        x = torch.from_numpy(np.ascontiguousarray(ds.data))
        y = torch.as_tensor(ds.labels).long()
    else:  # CIFAR: N×H×W×C numpy
        x = torch.from_numpy(np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)))
        y = torch.as_tensor(ds.targets).long()
    return x.contiguous(), y


def load_vision(id_: str, spec: dict, progress=None):
    from .base import DatasetError, build_dataset

    root = vision_root(spec)
    name = VISION[id_][1]
    present = is_downloaded(id_, root)
    if not present and progress:
        progress(f"Downloading {name} ({VISION[id_][4]}) into {root} — once only…")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"Cannot create the data folder {root} ({e.strerror}). Set CNNSTUDIO_DATA to a "
                           "folder you can write to.") from None
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)  # a dead network fails in seconds, not minutes
    try:
        with download_progress(name, progress):
            train = _open(id_, root, True, download=not present)
            test = _open(id_, root, False, download=not present)
    except ImportError as e:
        raise DatasetError(f"{name} needs torchvision, which cannot be imported here ({e}). "
                           "Install it with: pip install torchvision") from None
    except (OSError, RuntimeError, ValueError) as e:  # URLError is an OSError
        raise DatasetError(_offline_message(id_, root, e)) from None
    finally:
        socket.setdefaulttimeout(old)
    classes = VISION[id_][3] or list(getattr(train, "classes", []))
    return build_dataset(id_, name, classes, _arrays(id_, train), _arrays(id_, test), spec)


class _Progress:
    """Stands in for the tqdm bar torchvision draws while downloading: reports to `progress`."""

    def __init__(self, name, progress, total=None, **_):
        self.name, self.progress, self.total, self.done, self.last = name, progress, total, 0, 0.0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        import time
        self.done += n
        now = time.monotonic()
        if now - self.last >= 0.2 or (self.total and self.done >= self.total):
            self.last = now
            of = f" of {self.total / 1e6:.1f}" if self.total else ""
            self.progress(f"Downloading {self.name}: {self.done / 1e6:.1f}{of} MB")

    def close(self) -> None:
        pass


class download_progress:
    """While active, torchvision's download bars become `progress(text)` calls."""

    def __init__(self, name: str, progress):
        self.name, self.progress, self.saved = name, progress, None

    def __enter__(self):
        if self.progress is None:
            return self
        try:
            import torchvision.datasets.utils as tvu
        except ImportError:
            return self
        self.saved = (tvu, tvu.tqdm)
        tvu.tqdm = lambda *a, **k: _Progress(self.name, self.progress, **k)
        return self

    def __exit__(self, *exc):
        if self.saved:
            tvu, bar = self.saved
            tvu.tqdm = bar
        return False
