"""Datasets: built-ins, image folder, torchvision offline and from local files, augmentation."""
from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from cnnstudio.core.data.boxes import from_corners, to_corners
from cnnstudio.core.data import DATASETS, load_dataset, shape_for
from cnnstudio.core.data.augment import augment_batch, check_augment
from cnnstudio.core.data.base import DatasetError


def test_mnist5k_is_real_shuffled_and_normalised():
    ds = load_dataset({"id": "mnist5k"})
    assert ds.shape == [1, 28, 28] and ds.classes == [str(i) for i in range(10)]
    assert (len(ds.train), len(ds.val), len(ds.test)) == (4050, 450, 500)
    counts = ds.class_counts()
    assert min(counts) > 300  # shuffled before splitting: every digit in the training split
    assert abs(float(ds.train.images.mean())) < 1e-3 and abs(float(ds.train.images.std()) - 1) < 1e-2
    shown = ds.to_display(ds.train.images[:4])
    assert shown.dtype == np.uint8 and shown.shape == (4, 28, 28, 1)
    assert shown.max() == 255 and shown.min() == 0  # a digit: white strokes on black


def test_shapes_boxes_contain_the_shape():
    ds = load_dataset({"id": "shapes", "task": "box", "image_size": 32, "count": 100})
    assert ds.task == "box" and ds.train.labels.shape[1] == 4 and ds.train.classes is not None
    img = ds.to_display(ds.train.images[:1])[0].astype(float).mean(-1)
    cx, cy, w, h = (ds.train.labels[0] * 32).tolist()  # the box is centre x, centre y, width, height
    x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    inside = img[int(y0) + 1:int(y1) - 1, int(x0) + 1:int(x1) - 1]
    assert inside.size and inside.mean() > img.mean()  # the bright shape is where its box says


def test_options_resize_channels_subset_and_bad_values():
    ds = load_dataset({"id": "mnist5k", "resize": 32, "channels": 3, "classes": ["3", "7"], "val_fraction": 0.2})
    assert ds.shape == [3, 32, 32] and ds.classes == ["3", "7"]
    assert set(ds.train.labels.unique().tolist()) == {0, 1}
    assert shape_for({"id": "mnist5k", "resize": 32, "channels": 3}) == [3, 32, 32]
    with pytest.raises(DatasetError, match="resize"):
        load_dataset({"id": "mnist5k", "resize": "big"})
    with pytest.raises(DatasetError, match="Known datasets"):
        load_dataset({"id": "imagenet"})
    with pytest.raises(DatasetError, match="no dataset"):
        load_dataset({})


def test_image_folder(tmp_path):
    from PIL import Image
    for k, colour in enumerate(["red", "blue"]):
        d = tmp_path / colour
        d.mkdir()
        for i in range(6):
            Image.new("RGB", (20 + i, 10), colour).save(d / f"{i}.png")
    (tmp_path / "red" / "notes.txt").write_text("not an image")
    (tmp_path / "blue" / "broken.png").write_bytes(b"not a png")
    ds = load_dataset({"id": "image_folder", "path": str(tmp_path), "image_size": 8, "val_fraction": 0.0})
    assert ds.classes == ["blue", "red"] and ds.shape == [3, 8, 8]
    assert len(ds.train) + len(ds.test) == 12 and list(ds.spec["skipped_files"]) == ["blue/broken.png"]
    red = ds.to_display(ds.train.images[ds.train.labels == 1])[..., 0]
    assert red.min() > 200
    with pytest.raises(DatasetError, match="at least 2"):
        load_dataset({"id": "image_folder", "path": str(tmp_path / "red")})


def test_torchvision_offline_gives_a_clear_message(tmp_path):
    with pytest.raises(DatasetError) as e:
        load_dataset({"id": "mnist", "path": str(tmp_path)})
    msg = str(e.value)
    assert "could not be downloaded" in msg and str(tmp_path) in msg and "MNIST 5k" in msg
    assert not DATASETS["mnist"].is_available({"path": str(tmp_path)})


def _idx(path, arr: np.ndarray):
    magic = {3: 0x0803, 1: 0x0801}[arr.ndim]
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes())


def test_torchvision_from_local_files_needs_no_network(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        _idx(raw / f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))
    assert DATASETS["mnist"].is_available({"path": str(tmp_path)})
    ds = load_dataset({"id": "mnist", "path": str(tmp_path)})
    assert ds.name == "MNIST" and (len(ds.train) + len(ds.val), len(ds.test)) == (60, 20)
    assert ds.class_counts("test") == [2] * 10


def test_augment_moves_boxes_with_the_image():
    torch.manual_seed(0)
    x = torch.zeros(64, 1, 32, 32)
    boxes = from_corners(torch.tensor([[0.1, 0.2, 0.4, 0.6]])).repeat(64, 1)
    for i in range(64):
        x[i, 0, 6:19, 3:13] = 1  # rows 0.2–0.6, columns 0.1–0.4
    out, nb = augment_batch(x, {"flip": True, "translation": 0.1, "scale": 0.1}, boxes=boxes)
    for i in range(64):
        ys, xs = torch.nonzero(out[i, 0] > 0.5, as_tuple=True)
        found = torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]).float() / 32
        assert torch.allclose(found, to_corners(nb[i]), atol=0.07), (i, found, nb[i])
    assert check_augment({"rotation": 500}) and check_augment({"blur": 1}) and check_augment({"flip": True}) is None


def test_download_progress_reaches_the_caller(monkeypatch):
    """torchvision's download bar is replaced by progress messages (no network needed to check)."""
    import torchvision.datasets.utils as tvu

    from cnnstudio.core.data.vision import download_progress
    said = []
    original = tvu.tqdm
    with download_progress("MNIST", said.append):
        with tvu.tqdm(total=2_000_000, unit="B") as bar:
            for _ in range(4):
                bar.update(500_000)
    assert tvu.tqdm is original
    assert said[-1] == "Downloading MNIST: 2.0 of 2.0 MB"


def test_a_bad_dataset_section_is_a_clear_message_not_a_crash():
    from cnnstudio.core.data import DatasetError, check_dataset_spec
    assert check_dataset_spec({"id": "mnist5k", "val_fraction": 0.2, "resize": [32, 28], "channels": 3}) is None
    for spec, text in (({"id": "shapes", "image_size": "big"}, '"image_size" must be a whole number of pixels'),
                       ({"id": "mnist5k", "val_fraction": "abc"}, '"val_fraction" must be a number from 0 to 0.9'),
                       ({"id": "mnist5k", "count": 0}, '"count" must be a whole number of images'),
                       ({"id": "mnist5k", "channels": 2}, '"channels" must be 1 (grayscale) or 3 (RGB)'),
                       ({"id": "mnist5k", "split_seed": "x"}, '"split_seed" must be a whole number')):
        assert text in check_dataset_spec(spec)
        with pytest.raises(DatasetError, match="Fix it in the Training panel"):
            load_dataset(spec)
        assert shape_for(spec) is None  # the editor's live check asks this: no exception
