"""MNIST 5k's parsed CSV is kept as .npy in the user's cache folder: read back instead of parsed,
and a cache file that cannot be used is parsed again and replaced, never a traceback."""
import os

import numpy as np
import pytest

from cnnstudio.core.data import builtin, load_dataset
from cnnstudio.core.data.array_cache import cache_folder, cached_array


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNSTUDIO_DATA", str(tmp_path / "datasets"))
    return tmp_path / "cache"


def test_mnist5k_is_parsed_once_then_read_from_the_cache(data_home, monkeypatch):
    first = load_dataset({"id": "mnist5k"})
    assert cache_folder() == data_home
    [kept] = data_home.glob("mnist5k-*.npy")
    monkeypatch.setattr(builtin, "_parse_mnist5k", lambda path: pytest.fail("parsed again"))
    again = load_dataset({"id": "mnist5k"})
    assert (again.test.images == first.test.images).all() and (again.train.labels == first.train.labels).all()
    assert list(data_home.glob("mnist5k-*.npy")) == [kept]


def _damage(path, how):
    good = np.load(path)
    if how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(os.urandom(5000))
    elif how == "cut short":
        path.write_bytes(path.read_bytes()[:100_000])
    elif how == "wrong shape":
        np.save(path, good[:, :100])
    elif how == "labels out of range":
        np.save(path, np.full_like(good, 200))
    elif how == "a pickle":
        np.save(path, np.array([{"code": "runs?"}], dtype=object), allow_pickle=True)
    elif how == "a folder":
        path.unlink()
        path.mkdir()


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """MNIST 5k loaded once through a fresh cache: (its test split, the cache file's name and bytes)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNSTUDIO_DATA", str(home / "datasets"))
        ds = load_dataset({"id": "mnist5k"})
    [path] = (home / "cache").glob("mnist5k-*.npy")
    return ds.test, path.name, path.read_bytes()


@pytest.mark.parametrize("how", ["empty", "garbage", "cut short", "wrong shape", "labels out of range", "a pickle",
                                 "a folder"])
def test_a_damaged_cache_file_is_parsed_again_and_replaced(data_home, parsed, how):
    test, name, good = parsed
    data_home.mkdir()
    path = data_home / name
    path.write_bytes(good)
    _damage(path, how)
    ds = load_dataset({"id": "mnist5k"})  # no traceback: the same digits, parsed again
    assert (ds.test.images == test.images).all() and (ds.test.labels == test.labels).all()
    if how != "a folder":  # a folder in its place is left alone; the data is parsed each time
        assert path.read_bytes() == good
    assert sorted(p.name for p in data_home.iterdir()) == [name]  # no temp file left behind


def test_a_changed_source_is_parsed_again_and_an_unwritable_cache_is_skipped(tmp_path, data_home):
    source = tmp_path / "table.csv"
    source.write_text("1,2\n3,4\n")
    calls = []

    def parse():
        calls.append(1)
        return np.loadtxt(source, delimiter=",", dtype=np.uint8, ndmin=2)
    ok = lambda a: a.shape[1] == 2  # noqa: E731
    assert cached_array("table", source, parse, ok).tolist() == [[1, 2], [3, 4]]
    assert cached_array("table", source, parse, ok).tolist() == [[1, 2], [3, 4]] and len(calls) == 1
    source.write_text("5,6\n")
    os.utime(source, ns=(1, 1))  # a different size and time: a new source file
    assert cached_array("table", source, parse, ok).tolist() == [[5, 6]] and len(calls) == 2
    assert len(list(data_home.glob("table-*.npy"))) == 1  # the earlier file's cache is gone
    for f in data_home.iterdir():
        f.unlink()
    data_home.rmdir()
    data_home.write_text("a file where the cache folder goes")
    assert cached_array("table", source, parse, ok).tolist() == [[5, 6]] and len(calls) == 3
