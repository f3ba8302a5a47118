"""Training throughput of the engine, as ratios against baselines measured in the same run.

  engine / minimal hand-written PyTorch loop   (same model, data, device, batch size; target ≥ 0.95)
  engine / DataLoader + per-sample transform   (the common tutorial loop)
  window / headless                            (training from the Training dock's worker process)
  UI event-loop latency p50 / p99 while the window trains (a 10 ms QTimer heartbeat)

Usage: python bench/train_throughput.py [--device cpu|cuda] [--model lenet5|cifar10_convnet|resnet18]
       [--epochs N] [--precision fp32|bf16|fp16] [--no-channels-last] [--no-window]
lenet5 trains on MNIST 5k; cifar10_convnet on random CIFAR-shaped data (50,000 images), since
CIFAR-10 needs a download. Images/s count training steps only (no validation), median of the
epochs after the first (warm-up); the loops run in interleaved rounds and the best round of
each is reported, which keeps other processes on a shared machine out of the ratios.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_cifar(n=50000, size=32, classes=10, name="random CIFAR-shaped"):
    import torch

    from cnnstudio.core.data.base import build_dataset
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return build_dataset("cifar10", name, [str(i) for i in range(classes)], (x, y), (x[:1000], y[:1000]),
                         {"val_fraction": 0.02})


def load(model: str):
    from cnnstudio.core import load_project
    from cnnstudio.core.data import load_dataset

    project = load_project(ROOT / "sample_projects" / f"{model}.cnnproj")
    if model == "resnet18":  # ImageNet-shaped: 2,560 random 224×224 images, 1,000 classes
        return project, synthetic_cifar(2560, 224, 1000, "random ImageNet-shaped")
    ds = synthetic_cifar() if model == "cifar10_convnet" else load_dataset(project.dataset)
    return project, ds


def engine_rate(project, ds, args) -> float:
    from cnnstudio.core.train.engine import Trainer

    rows = []

    class Keep:
        def on_epoch_end(self, ctx):
            rows.append(ctx.metrics["images_per_s"])
    with tempfile.TemporaryDirectory() as d:
        r = Trainer(project, d, overrides=_overrides(args), dataset=ds, callbacks=[Keep()]).run()
    assert r["status"] == "finished", r["message"]
    return statistics.median(rows[1:] or rows)


def _overrides(args):
    return {"epochs": args.epochs, "device": args.device, "precision": args.precision, "batch_size": args.batch_size,
            "cpu_threads": args.threads, "channels_last": not args.no_channels_last}


def minimal_rate(project, ds, args) -> float:
    """The plainest correct loop over the same tensors on the same device."""
    import torch
    import torch.nn.functional as F

    from cnnstudio.core.build.compiler import compile_graph

    dev = torch.device(args.device)
    torch.manual_seed(0)
    net = compile_graph(project.graph).to(dev)
    cl = dev.type == "cuda"
    if cl:
        net = net.to(memory_format=torch.channels_last)
    x_all, y_all = ds.train.images.to(dev), ds.train.labels.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bs, n = args.batch_size, len(y_all)
    amp = args.precision in ("bf16", "fp16") and dev.type == "cuda"
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float16
    scaler = torch.amp.GradScaler("cuda") if amp and args.precision == "fp16" else None
    rates = []
    for _ in range(args.epochs):
        perm = torch.randperm(n, device=dev)
        _sync(dev)
        t = time.perf_counter()
        for b in range(n // bs):
            idx = perm[b * bs:(b + 1) * bs]
            x, y = x_all[idx], y_all[idx]
            if cl:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(dev.type, dtype=dtype, enabled=amp):
                loss = F.cross_entropy(net(x).float(), y)
            opt.zero_grad(set_to_none=True)
            if scaler:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
        _sync(dev)
        rates.append((n // bs) * bs / (time.perf_counter() - t))
    return statistics.median(rates[1:] or rates)


def dataloader_rate(project, ds, args) -> float:
    """The tutorial loop: a Dataset returning one transformed sample at a time, DataLoader batches."""
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Dataset

    from cnnstudio.core.build.compiler import compile_graph

    dev = torch.device(args.device)
    raw = torch.from_numpy(ds.to_display(ds.train.images)).permute(0, 3, 1, 2).contiguous()  # uint8, as on disk
    labels = ds.train.labels.cpu()
    mean = torch.tensor(ds.mean).view(-1, 1, 1)
    std = torch.tensor(ds.std).view(-1, 1, 1)

    class PerSample(Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):  # ToTensor + Normalize, as torchvision transforms do per image
            return (raw[i].float() / 255 - mean) / std, labels[i]
    torch.manual_seed(0)
    net = compile_graph(project.graph).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(PerSample(), batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=0,
                        pin_memory=dev.type == "cuda")
    rates = []
    for _ in range(max(2, args.epochs // 2)):
        _sync(dev)
        t, seen = time.perf_counter(), 0
        for x, y in loader:
            x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(y)
        _sync(dev)
        rates.append(seen / (time.perf_counter() - t))
    return statistics.median(rates[1:] or rates)


def window_figures(project, args) -> tuple[float, float, float]:
    """(window images/s, heartbeat p50 ms, p99 ms) training from the dock, offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from cnnstudio.core import save_project
    from cnnstudio.gui.session import Session
    from cnnstudio.gui.training.dock import TrainingDock
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.cnnproj"
        project.training = {**project.training, **_overrides(args)}
        save_project(project, path)
        from cnnstudio.core import load_project
        s = Session()
        s.set_project(load_project(path), path)
        dock = TrainingDock(s)
        dock.resize(500, 1100)
        dock.show()
        rates, ticks, done = [], [], []
        dock.run_finished.connect(done.append)
        orig = dock.handle

        def handle(msg):
            if msg.get("type") == "epoch":
                rates.append(msg["images_per_s"])
            orig(msg)
        dock.handle = handle
        beat = QTimer(interval=10, timeout=lambda: ticks.append(time.perf_counter()))
        loop = QEventLoop()  # idle in a real event loop, as the app does
        dock.run_finished.connect(lambda *_: loop.quit())
        first = QTimer(interval=20, timeout=lambda: (rates or done) and (beat.isActive() or beat.start()))
        first.start()  # heartbeat from the first epoch on (the worker's start-up excluded)
        dock.start()
        loop.exec()
        first.stop()
        beat.stop()
        assert done[0]["status"] == "finished", done[0]["message"]
    gaps = sorted((b - a) * 1000 for a, b in zip(ticks, ticks[1:]))
    return statistics.median(rates[1:] or rates), gaps[len(gaps) // 2], gaps[int(0.99 * (len(gaps) - 1))]


def _sync(dev):
    import torch
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model", default="lenet5", choices=["lenet5", "cifar10_convnet", "resnet18"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: the engine's auto)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is reported")
    ap.add_argument("--no-window", action="store_true")
    ap.add_argument("--no-channels-last", action="store_true", help="CUDA: keep NCHW (the engine's default is "
                    "channels_last there)")
    args = ap.parse_args()
    import torch
    if args.device == "cpu":
        torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 2) // 2))
    project, ds = load(args.model)
    dev = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"cpu, {torch.get_num_threads()} thread(s)"
    print(f"{args.model} on {ds.name}, {len(ds.train)} training images, batch {args.batch_size}, {args.precision}, {dev}")
    # interleaved rounds, best of each: on a shared machine the least-disturbed round is the
    # one that says what the code costs
    minimal = engine = loader = 0.0
    for _ in range(args.rounds):
        minimal = max(minimal, minimal_rate(project, ds, args))
        engine = max(engine, engine_rate(project, ds, args))
        loader = max(loader, dataloader_rate(project, ds, args))
    print(f"minimal loop        {minimal:10,.0f} images/s   (baseline)")
    print(f"engine              {engine:10,.0f} images/s   {engine / minimal:.3f}× minimal loop")
    print(f"DataLoader loop     {loader:10,.0f} images/s   engine is {engine / loader:.2f}× faster")
    if not args.no_window:
        window, p50, p99 = window_figures(project, args)
        print(f"window (worker)     {window:10,.0f} images/s   {window / engine:.3f}× headless")
        print(f"UI event loop while training: p50 {p50:.1f} ms, p99 {p99:.1f} ms (10 ms heartbeat)")


if __name__ == "__main__":
    main()
