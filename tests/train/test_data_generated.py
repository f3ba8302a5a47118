"""The datasets for 1-D and 3-D networks and multi-label heads: generated signals, volumes
and multi-shape images, and MedMNIST (offline message; files the test writes)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnstudio.core.data import DATASETS, load_dataset, shape_for
from cnnstudio.core.data.base import DatasetError
from cnnstudio.core.data.generated import (SIGNAL_CLASSES, generate_multilabel_shapes, generate_signals,
                                           generate_volumes)


def test_signals_have_every_waveform_with_varying_frequency_and_noise():
    x, y = generate_signals(600, length=256, seed=3)
    assert x.shape == (600, 1, 256) and np.bincount(y).tolist() == [100] * 6
    again, _ = generate_signals(600, length=256, seed=3)
    assert np.array_equal(x, again)  # reproducible from the seed
    spectrum = np.abs(np.fft.rfft(x[:, 0] - x[:, 0].mean(1, keepdims=True), axis=1))
    peak = spectrum[:, 1:].argmax(1) + 1  # cycles per window
    sines = peak[y == SIGNAL_CLASSES.index("sine")]
    assert sines.min() >= 2 and sines.max() <= 6 and len(set(sines.tolist())) >= 4  # frequency varies
    square = x[y == SIGNAL_CLASSES.index("square"), 0]
    sine = x[y == SIGNAL_CLASSES.index("sine"), 0]
    # a square wave sits at its two levels; a sine spends more time in between
    def spread(s):
        s = (s - s.mean(1, keepdims=True)) / s.std(1, keepdims=True)
        return (np.abs(s) < 0.5).mean()
    assert spread(square) < spread(sine) - 0.1
    assert np.std(x[0, 0] - np.convolve(x[0, 0], np.ones(5) / 5, "same")) > 0.05  # noisy


def test_volumes_hold_solid_shapes_of_the_right_kind():
    v, y = generate_volumes(50, size=20, classes=["sphere", "cube", "torus"], seed=1)
    assert v.shape == (50, 1, 20, 20, 20) and set(y.tolist()) == {0, 1, 2}
    for vol, label in zip(v[:, 0], y):
        fg = vol > 140
        zs, ys, xs = np.nonzero(fg)
        c = [int(round(a.mean())) for a in (zs, ys, xs)]
        box = (zs.max() - zs.min() + 1) * (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
        fill = fg.sum() / box
        if label == 0:
            assert 0.4 < fill < 0.65  # a sphere fills π/6 ≈ 0.52 of its box
        elif label == 1:
            assert fill > 0.85
        else:
            assert not fg[c[0], c[1], c[2]] and fill < 0.7  # a torus: a hole in the middle


def test_multilabel_images_show_each_labelled_shape():
    imgs, labels = generate_multilabel_shapes(400, size=32, seed=2)
    assert imgs.shape == (400, 3, 32, 32) and labels.shape == (400, 5)
    per_image = labels.sum(1)
    assert per_image.min() == 1 and per_image.max() == 3 and (per_image == 2).any()
    assert (labels.sum(0) > 50).all()
    # more shapes cover more of the image
    bright = (imgs.max(1) > 130).mean((1, 2))
    assert bright[per_image == 3].mean() > bright[per_image == 1].mean() * 1.5


def test_generated_sets_load_with_their_shapes_and_tasks():
    sig = load_dataset({"id": "signals", "count": 120, "length": 64})
    assert sig.shape == [1, 64] == shape_for({"id": "signals", "length": 64})
    assert sig.train.images.shape[1:] == (1, 64) and abs(float(sig.train.images.mean())) < 0.1
    strip = sig.to_display(sig.train.images[:1])[0]
    assert strip.shape == (48, 64, 3) and ((strip < 200).any(axis=(0, 2))).all()  # a line in every column
    vol = load_dataset({"id": "volumes", "count": 40, "image_size": 12})
    assert vol.shape == [1, 12, 12, 12] == shape_for({"id": "volumes", "image_size": 12})
    assert vol.to_display(vol.train.images[:2]).shape == (2, 12, 12, 1)  # the middle slice
    ml = load_dataset({"id": "multi_shapes", "count": 60, "image_size": 16})
    assert ml.task == "multilabel" and ml.train.labels.shape[1] == 5 and ml.train.labels.dtype == torch.float32
    assert sum(ml.class_counts()) == int(ml.train.labels.sum())
    with pytest.raises(DatasetError, match="resize"):
        load_dataset({"id": "signals", "count": 40, "resize": 32})
    with pytest.raises(DatasetError, match="no class 'zigzag'"):
        load_dataset({"id": "signals", "classes": ["sine", "zigzag"]})


def write_medmnist(folder, name, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    split = {"train": slice(0, 6), "val": slice(6, 8), "test": slice(8, None)}
    np.savez(folder / name, **{f"{k}_images": images[s] for k, s in split.items()},
             **{f"{k}_labels": labels[s] for k, s in split.items()})


def test_medmnist_offline_says_what_to_do_and_leaves_no_file(tmp_path):
    spec = {"id": "medmnist", "subset": "breastmnist", "path": str(tmp_path)}
    said = []
    with pytest.raises(DatasetError) as e:
        load_dataset(spec, progress=said.append)
    msg = str(e.value)
    assert "could not be downloaded" in msg and "breastmnist.npz" in msg and str(tmp_path / "medmnist") in msg
    assert "Signals" in msg and said and "BreastMNIST" in said[0]
    assert not DATASETS["medmnist"].is_available(spec) and not list((tmp_path / "medmnist").iterdir())


def test_medmnist_from_files_2d_3d_and_multilabel(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "medmnist"
    write_medmnist(root, "pathmnist.npz", rng.integers(0, 256, (12, 28, 28, 3), dtype=np.uint8),
                   (np.arange(12) % 9).reshape(-1, 1))
    write_medmnist(root, "organmnist3d_64.npz", rng.random((12, 64, 64, 64)).astype(np.float32),
                   (np.arange(12) % 11).reshape(-1, 1))
    write_medmnist(root, "chestmnist.npz", rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
                   rng.integers(0, 2, (12, 14)))
    base = {"id": "medmnist", "path": str(tmp_path), "val_fraction": 0.25}
    path = load_dataset(base)  # pathmnist, 28×28 by default
    assert path.name == "PathMNIST" and path.shape == [3, 28, 28] == shape_for(base)
    assert path.classes[0] == "adipose" and (len(path.train) + len(path.val), len(path.test)) == (8, 4)
    organ = load_dataset({**base, "subset": "organmnist3d", "image_size": 64})
    assert organ.shape == [1, 64, 64, 64] and organ.classes[1] == "kidney-right"
    chest = load_dataset({**base, "subset": "chestmnist"})
    assert chest.task == "multilabel" and chest.train.labels.shape[1] == 14
    assert DATASETS["medmnist"].is_available({**base, "subset": "chestmnist"})
    with pytest.raises(DatasetError, match="sizes 28, 64"):
        load_dataset({**base, "subset": "organmnist3d", "image_size": 128})
