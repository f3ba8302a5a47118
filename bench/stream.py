"""Streamed image folders against the conventional torchvision loop, in the same run.

Generates an image folder of small JPEGs on disk (default 20,000 at 32×32, 10 classes) in a
temporary folder, then reads one epoch of its training split, in interleaved rounds (best kept):

  streamed   CNN Studio's path (core/data/stream.py): DataLoader workers decode to uint8,
             batches normalised on the device, the engine's batch order
  baseline   torchvision.datasets.ImageFolder(transform=ToTensor + Normalize) + DataLoader
             (shuffle, same batch size, same number of workers, pin_memory on CUDA)

each (a) just reading the batches onto the device and (b) training a small convnet on them (one
step per batch). Prints images/s, the ratio streamed / baseline, and the peak resident memory of
the process with its loader workers (proportional set size, sampled every 20 ms from /proc), next to what holding the
folder in memory would take.

Usage: python bench/stream.py [--images 20000] [--size 32] [--workers N] [--batch-size 256]
       [--device cpu|cuda] [--rounds 2] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_folder(root: Path, n: int, size: int, classes: int = 10) -> None:
    """n JPEGs: smooth random colour fields with a class-dependent stripe, so JPEG has work to do."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        (root / f"class{c}").mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(n):
        c = i % classes
        base = rng.integers(0, 256, 3)
        img = (base[None, None, :] * (0.5 + 0.5 * np.sin(6 * xx + c)[..., None]) +
               rng.normal(0, 20, (size, size, 3))).clip(0, 255).astype(np.uint8)
        img[:, (c * size) // classes:(c * size) // classes + 2] = 255
        Image.fromarray(img).save(root / f"class{c}" / f"{i:06d}.jpg", quality=90)


class PeakMemory:
    """Peak resident memory of this process and its children (loader workers), from /proc."""

    def __init__(self):
        self.peak, self._stop = 0, threading.Event()

    def __enter__(self):
        self.peak = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(os.getpid()))
            time.sleep(0.02)


def tree_rss(pid: int) -> int:
    """Proportional set size (shared pages split between the processes that share them, so forked
    workers are not counted twice) of `pid` and its descendants."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            total = next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(tree_rss(int(c)) for c in f.read().split())
    except (OSError, StopIteration, ValueError):
        pass
    return total


def small_net(device):
    import torch.nn as nn
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(32, 10)).to(device)


def consume(batches, device, train: bool) -> int:
    import torch
    net = small_net(device) if train else None
    opt = torch.optim.SGD(net.parameters(), lr=0.01) if train else None
    n = 0
    for x, y in batches:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if train:
            loss = torch.nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        n += x.shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n


def streamed(root, args, device, train):
    import torch

    from cnnstudio.core.data.stream import load_image_folder_stream
    ds = load_image_folder_stream({"id": "image_folder", "path": str(root), "image_size": args.size,
                                   "workers": args.workers}).to(device)
    n = len(ds.train)
    order = torch.randperm(n)
    t = time.perf_counter()
    done = consume(ds.train.batches(order, n // args.batch_size, args.batch_size), device, train)
    return done / (time.perf_counter() - t)


def baseline(root, args, device, train):
    import torch
    import torchvision.transforms as T
    from torchvision.datasets import ImageFolder
    tf = T.Compose([T.Resize((args.size, args.size)), T.ToTensor(), T.Normalize([0.5] * 3, [0.25] * 3)])
    data = ImageFolder(str(root), transform=tf)
    # the same training images as the streamed split (ImageFolder sorts files the same way)
    subset = torch.utils.data.Subset(data, train_indices(root, args))
    loader = torch.utils.data.DataLoader(subset, batch_size=args.batch_size, shuffle=True, drop_last=True,
                                         num_workers=args.workers, pin_memory=device.type == "cuda",
                                         prefetch_factor=4 if args.workers else None)
    t = time.perf_counter()
    done = consume(loader, device, train)
    return done / (time.perf_counter() - t)


_train_index = {}


def train_indices(root, args):
    if root not in _train_index:
        from cnnstudio.core.data.stream import load_image_folder_stream
        ds = load_image_folder_stream({"id": "image_folder", "path": str(root), "image_size": args.size,
                                       "workers": 0})
        _train_index[root] = ds.train.index.tolist()
    return _train_index[root]


def in_memory(root, args):
    from cnnstudio.core.data.builtin import load_image_folder
    with PeakMemory() as mem:
        t = time.perf_counter()
        ds = load_image_folder({"id": "image_folder", "path": str(root), "image_size": args.size})
        seconds = time.perf_counter() - t
    return seconds, mem.peak, len(ds.train)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=20000)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=max(1, min(8, (os.cpu_count() or 2) - 1)))
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--keep", help="generate into (or reuse) this folder instead of a temporary one")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)  # the engine's CPU default on these 2-core machines
    device = torch.device(args.device)
    tmp = None if args.keep else tempfile.mkdtemp(prefix="cnnstudio-bench-stream-")
    root = Path(args.keep or tmp) / "photos"
    try:
        if not root.is_dir():
            t = time.perf_counter()
            make_folder(root, args.images, args.size)
            print(f"generated {args.images:,} JPEGs of {args.size}×{args.size} in {time.perf_counter() - t:.1f} s "
                  f"({sum(f.stat().st_size for f in root.rglob('*.jpg')) / 1e6:.1f} MB on disk)")
        print(f"device {device}, {args.workers} loader worker(s), batch {args.batch_size}, "
              f"torch {torch.__version__}, {os.cpu_count()} cores")
        for train in (False, True):
            best = {"streamed": (0, 0), "baseline": (0, 0)}
            for _ in range(args.rounds):
                for name, fn in (("baseline", baseline), ("streamed", streamed)):
                    with PeakMemory() as mem:
                        rate = fn(root, args, device, train)
                    if rate > best[name][0]:
                        best[name] = (rate, mem.peak)
            what = "train a small convnet" if train else "read batches onto the device"
            for name in ("baseline", "streamed"):
                rate, peak = best[name]
                print(f"  {what:30s} {name:9s} {rate:9,.0f} images/s, peak memory {peak / 1e6:6.0f} MB")
            print(f"  {what:30s} streamed / baseline = {best['streamed'][0] / best['baseline'][0]:.2f}×")
        seconds, peak, n = in_memory(root, args)
        print(f"for comparison, loading the whole folder into memory: {seconds:.1f} s, peak memory "
              f"{peak / 1e6:.0f} MB ({n:,} training images as float tensors)")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
