"""MedMNIST (2-D and 3-D medical images) through the `medmnist` package: downloaded once
into the data folder with progress; files already there (downloaded earlier or copied by
hand) are read with numpy (no pickle) and need no network."""
from __future__ import annotations

import socket
from pathlib import Path

# subset → (display name, channels, spatial dims, sizes on offer, multi-label); from medmnist.INFO,
# kept here so listing datasets stays cheap (importing medmnist imports torch)
SUBSETS = {
    "pathmnist": ("PathMNIST", 3, 2, False), "chestmnist": ("ChestMNIST", 1, 2, True),
    "dermamnist": ("DermaMNIST", 3, 2, False), "octmnist": ("OCTMNIST", 1, 2, False),
    "pneumoniamnist": ("PneumoniaMNIST", 1, 2, False), "retinamnist": ("RetinaMNIST", 3, 2, False),
    "breastmnist": ("BreastMNIST", 1, 2, False), "bloodmnist": ("BloodMNIST", 3, 2, False),
    "tissuemnist": ("TissueMNIST", 1, 2, False), "organamnist": ("OrganAMNIST", 1, 2, False),
    "organcmnist": ("OrganCMNIST", 1, 2, False), "organsmnist": ("OrganSMNIST", 1, 2, False),
    "organmnist3d": ("OrganMNIST3D", 1, 3, False), "nodulemnist3d": ("NoduleMNIST3D", 1, 3, False),
    "adrenalmnist3d": ("AdrenalMNIST3D", 1, 3, False), "fracturemnist3d": ("FractureMNIST3D", 1, 3, False),
    "vesselmnist3d": ("VesselMNIST3D", 1, 3, False), "synapsemnist3d": ("SynapseMNIST3D", 1, 3, False),
}
SIZES = {2: (28, 64, 128, 224), 3: (28, 64)}


def file_name(subset: str, size: int) -> str:
    return f"{subset}{'' if size == 28 else f'_{size}'}.npz"


def medmnist_path(spec: dict) -> Path:
    from .vision import vision_root
    return vision_root(spec) / "medmnist" / file_name(spec.get("subset", "pathmnist"), spec.get("image_size", 28))


def shape(spec: dict) -> list:
    _, c, dims, _ = SUBSETS[spec.get("subset", "pathmnist")]
    s = spec.get("image_size", 28)
    return [c] + [s] * dims


def check(spec: dict) -> str | None:
    subset = spec.get("subset", "pathmnist")
    if subset not in SUBSETS:
        return f'MedMNIST "subset" must be one of {", ".join(SUBSETS)}, not {subset!r}.'
    dims = SUBSETS[subset][2]
    if spec.get("image_size", 28) not in SIZES[dims]:
        return (f'MedMNIST {SUBSETS[subset][0]} comes in sizes {", ".join(map(str, SIZES[dims]))}; '
                f'"image_size" {spec.get("image_size")!r} is not one of them.')
    return None


def _info() -> dict:
    """medmnist's INFO table (urls, checksums, class names). Only its info.py is loaded: the
    package itself imports pandas and scikit-learn (seconds) for things not needed here."""
    import importlib.util
    spec = importlib.util.find_spec("medmnist")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("No module named 'medmnist'")
    path = Path(spec.submodule_search_locations[0]) / "info.py"
    loader = importlib.util.spec_from_file_location("_medmnist_info", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module.INFO


def _download(subset: str, size: int, folder: Path, progress) -> None:
    from torchvision.datasets.utils import download_url

    from .vision import download_progress
    info = _info()[subset]
    url = info["url" if size == 28 else f"url_{size}"]
    md5 = info["MD5" if size == 28 else f"MD5_{size}"]
    with download_progress(SUBSETS[subset][0], progress):
        download_url(url, root=str(folder), filename=file_name(subset, size), md5=md5)


def load_medmnist(spec: dict, progress=None):
    import numpy as np
    import torch

    from .base import DatasetError, build_dataset
    problem = check(spec)
    if problem:
        raise DatasetError(problem)
    subset, size = spec.get("subset", "pathmnist"), spec.get("image_size", 28)
    name, _, dims, multilabel = SUBSETS[subset]
    path = medmnist_path(spec)
    if not path.exists():
        if progress:
            progress(f"Downloading {name} ({size}×{size}) into {path.parent} — once only…")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DatasetError(f"Cannot create the data folder {path.parent} ({e.strerror}). Set CNNSTUDIO_DATA "
                               "to a folder you can write to.") from None
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(30)  # a dead network fails in seconds, not minutes
        try:
            _download(subset, size, path.parent, progress)
        except ImportError as e:
            raise DatasetError(f"MedMNIST needs the medmnist package ({e}). Install it with: pip install medmnist") from None
        except (OSError, RuntimeError, ValueError) as e:  # URLError is an OSError
            path.unlink(missing_ok=True)  # never leave half a file that looks downloaded
            raise DatasetError(
                f"{name} is not on this computer yet and could not be downloaded ({e.__class__.__name__}: "
                f"{' '.join(str(e).split())[:160]}). Connect to the internet and try again — it downloads once "
                f"into {path.parent} — or copy {path.name} from zenodo.org/records/10519652 there by hand. "
                "Offline, choose a built-in dataset that needs no network: Signals, Volumes, Shapes or "
                "MNIST 5k.") from None
        finally:
            socket.setdefaulttimeout(old)
    try:
        with np.load(path, allow_pickle=False) as z:
            parts = {k: z[f"{k}_images"] for k in ("train", "val", "test")}
            labels = {k: z[f"{k}_labels"] for k in ("train", "val", "test")}
    except (OSError, KeyError, ValueError) as e:
        raise DatasetError(f"{path} is not a readable MedMNIST file ({e.__class__.__name__}: {e}). Delete it "
                           "and it will be downloaded again.") from None

    def images(a):
        if a.dtype != np.uint8:  # some 3-D sets are stored as 0..1 floats
            a = (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
        if dims == 2 and a.ndim == 4:  # N×H×W×3
            return torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))
        return torch.from_numpy(np.ascontiguousarray(a))[:, None]

    def targets(y):
        return torch.from_numpy(y.astype(np.float32)) if multilabel else torch.from_numpy(y.reshape(-1).astype(np.int64))

    classes = _classes(subset, labels["train"], multilabel)
    train = (torch.cat([images(parts["train"]), images(parts["val"])]),
             torch.cat([targets(labels["train"]), targets(labels["val"])]))
    return build_dataset("medmnist", name, classes, train, (images(parts["test"]), targets(labels["test"])),
                         spec, task="multilabel" if multilabel else "classify")


def _classes(subset, labels, multilabel) -> list:
    try:
        labels = _info()[subset]["label"]
        return [labels[str(i)] for i in range(len(labels))]
    except ImportError:  # files copied by hand, package missing: numbered classes
        n = labels.shape[1] if multilabel else int(labels.max()) + 1
        return [str(i) for i in range(n)]
