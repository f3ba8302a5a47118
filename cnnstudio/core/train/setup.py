"""Getting a run ready: settings, device, dataset, network, task — and the pre-flight checks.

Everything that can be wrong before the first step is found here and raised as a TrainError
whose message says what to change.
"""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch

from ..analysis import analyze
from ..build.compiler import compile_graph
from ..project import Project, dumps_project
from .config import ConfigError, TrainConfig, parse_config
from .errors import TrainError
from .device import device_name, pick_device, pick_precision
from .head import input_problem
from .objective import Objective, find_head, head_problem, resolve_task, strip_final_activation
from .optim import make_optimizer  # noqa: F401 - re-exported for the engine
from .runs import RUN_FORMAT, write_text

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def versions() -> dict:
    import numpy

    from ... import __version__ as studio
    v = {"cnnstudio": studio, "python": platform.python_version(), "torch": torch.__version__,
         "numpy": numpy.__version__, "cuda": torch.version.cuda}
    try:
        import safetensors
        v["safetensors"] = safetensors.__version__
    except ImportError:
        pass
    return v


def prepare(project: Project, overrides: dict, dataset, report, dist=None, project_path=None,
            init_from=None) -> dict:
    try:
        cfg = parse_config(project.training, overrides)
    except ConfigError as e:
        raise TrainError(str(e), kind="config") from None
    analysis = analyze(project.graph)
    if not analysis.ok:
        lines = "; ".join(p.message if not p.node or p.message.startswith(f"{p.node} ") else f"{p.node}: {p.message}"
                          for p in analysis.errors[:5])  # most messages already name their block
        raise TrainError(f"The network has {len(analysis.errors)} error(s) to fix before training: {lines}",
                         kind="network")
    from .budget import memory_problem
    too_big = memory_problem(analysis, project.dataset, {"batch_size": cfg.batch_size})
    if too_big:  # refused before a byte of it is allocated
        raise TrainError(too_big.message + " Training was not started.", kind="config")
    from .distributed import Dist
    dist = dist or Dist()  # the trainer's, so it can tidy up even when a check below refuses
    device = pick_device(dist.device_name(cfg.device))
    if device.type == "cpu":  # about one thread per physical core, shared by this machine's processes
        torch.set_num_threads(cfg.cpu_threads or max(1, (os.cpu_count() or 2) // 2 // dist.local_world))
    dist.start(device)
    precision, note = pick_precision(cfg, device)
    path = None
    if dataset is None:
        from ..data import load_dataset
        from ..data.base import DatasetError
        report({"type": "status", "text": f"Loading dataset {project.dataset.get('id', '?')}…"})
        path = data_path(project.dataset, device)
        try:
            dataset = load_dataset(project.dataset, progress=lambda t: report({"type": "status", "text": t}),
                                   stream=path["path"] == "stream")
        except DatasetError as e:
            raise TrainError(str(e), kind="dataset") from None
    from ..data.augment import check_augment
    bad_aug = check_augment(dataset.spec.get("augment"))
    if bad_aug:
        raise TrainError(bad_aug, kind="config")
    if len(dataset.shape) != 3 and dataset.spec.get("augment"):
        raise TrainError(f'"augment" works on images; {dataset.name} holds '
                         f'{"signals" if len(dataset.shape) == 2 else "volumes"}: remove it from the dataset settings.',
                         kind="config")
    check_input(project.graph, dataset)
    head = find_head(project.graph, analysis)
    msg, fix = head_problem(head, len(dataset.classes), dataset.task, dataset.classes)
    if msg:
        raise TrainError(msg, kind="head", fix=fix)
    task = resolve_task(dataset.task, head, len(dataset.classes))
    dataset.task = task
    torch.manual_seed(cfg.seed)  # the initial weights come from the recorded seed
    net = compile_graph(project.graph, analysis)
    notes = [note] if note else []
    if init_from or project.weights:
        notes.append(start_weights(net, project, project_path, report, init_from))
    fused = strip_final_activation(net, head, task)
    channels_last = device.type == "cuda" and cfg.channels_last
    net = net.to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    dataset = dataset.to(device, torch.channels_last if channels_last else None)
    if path is None:  # a dataset the caller loaded
        streamed = hasattr(dataset.train, "skipped")
        path = {"path": "stream" if streamed else "memory",
                "why": "Streamed from disk." if streamed else "Data in memory."}
    processes = dist.describe(device)
    if dist.world > 1:
        notes.append(data_parallel_note(cfg, dist, device))
    info = {"format": RUN_FORMAT, "version": 1, "status": "starting", "project": project.name,
            "created": now(), "dataset": {"id": dataset.id, "name": dataset.name, **dataset.describe()},
            "classes": list(dataset.classes), "task": task, "device": device_name(device),
            "precision": precision, "channels_last": channels_last, "seed": cfg.seed,
            "epochs": cfg.epochs, "epochs_done": 0, "training": cfg.to_dict(),
            "loss": {"classify": "cross_entropy", "binary": "bce_with_logits",
                     "multilabel": "bce_with_logits"}.get(task, cfg.box_loss),
            "fused_activation": fused, "head": head.node, "versions": versions(), "notes": notes,
            **processes, "data_path": path}
    if init_from or project.weights:  # the weights it started from (the run's copy of the project has none)
        info["started_from"] = str(init_from or project.weights)
    return {"cfg": cfg, "device": device, "dist": dist, "precision": precision, "channels_last": channels_last,
            "dataset": dataset, "net": net,
            "objective": Objective(task, len(dataset.classes), cfg.box_loss, cfg.label_smoothing),
            "task": task, "head": head, "info": info}


def data_path(spec: dict, device: torch.device) -> dict:
    """In memory or streamed (data/budget.py), against the free memory where the data would live."""
    from ..data.budget import choose
    if device.type == "cuda" and spec.get("id") == "image_folder":
        free, _ = torch.cuda.mem_get_info(device)
        return choose(spec, free, f"memory on {torch.cuda.get_device_name(device)}")
    return choose(spec)


def data_parallel_note(cfg, dist, device) -> str:
    """Say how the batch is split, and that the learning rate is used as set."""
    each = cfg.batch_size // dist.world
    sync = ""
    if cfg.sync_batchnorm and device.type != "cuda":
        sync = " SyncBatchNorm needs GPUs: on the CPU each process normalises with its own share of the batch."
    return (f"Data-parallel on {dist.world} processes ({dist.backend}): batch size {cfg.batch_size} is the global "
            f"batch, {each} images per process per step; the learning rate {cfg.lr:g} is used as set (to train "
            f"with a {dist.world}× larger global batch, the linear rule suggests a {dist.world}× larger rate).{sync}")
def start_weights(net, project: Project, project_path, report, init_from=None) -> str:
    """Load the project's weights file (or `init_from`, a run's checkpoint); blocks whose shape
    changed since (a replaced head) start fresh. → a note for run.json."""
    from ..project.weights import WeightsError, load_matching
    if init_from:
        project_path, name = Path(init_from).resolve(), Path(init_from).name
        try:
            fresh = load_matching(net, project_path, name)
        except WeightsError as e:
            raise TrainError(str(e), kind="config") from None
        return f"started from {init_from}" + (f"; fresh weights for {', '.join(fresh[:6])}" if fresh else "")
    if project_path is None:
        raise TrainError(f"The project names the weights file {project.weights}, but it was never saved, so "
                         "there is no folder to find it in: save the project beside the file.", kind="config")
    try:
        fresh = load_matching(net, project_path, project.weights)
    except WeightsError as e:
        raise TrainError(str(e), kind="config") from None
    text = f"started from the weights in {project.weights}"
    if fresh:
        text += f"; fresh weights for {', '.join(fresh[:6])}{' …' if len(fresh) > 6 else ''} (shape changed)"
    report({"type": "status", "text": text[0].upper() + text[1:] + "."})
    return text


def param_groups(net, head, cfg: TrainConfig) -> list[dict]:
    """The head's parameters at lr, the rest (the backbone) at lr × backbone_lr_factor."""
    head_name = net.node_names.get(head.layer) if head is not None else None
    head_params = list(getattr(net, head_name).parameters()) if head_name else []
    ids = {id(p) for p in head_params}
    backbone = [p for p in net.parameters() if id(p) not in ids]
    return [{"params": head_params, "lr_scale": 1.0},
            {"params": backbone, "lr_scale": cfg.backbone_lr_factor}]


def check_input(graph, dataset) -> None:
    msg, fix = input_problem(graph, dataset.shape, dataset.name)
    if msg:
        raise TrainError(msg, kind="input", fix=fix)


def autocast(device, precision: str):
    """Mixed precision for the forward pass and loss when `precision` is bf16 or fp16."""
    return torch.autocast(device.type, dtype=DTYPES[precision], enabled=precision in ("bf16", "fp16"))


def preflight(trainer) -> None:
    """One forward/backward on a real batch, before a long run; parameters are not changed."""
    ds, net = trainer.dataset, trainer.net
    n = min(len(ds.train), trainer.cfg.batch_size)
    x, y = ds.train.head(n)
    n = x.shape[0]  # a streamed batch skips unreadable files
    if trainer.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    net.train()
    with autocast(trainer.device, trainer.precision):
        out = net(x)
        expect = {"classify": (n, len(ds.classes)), "binary": (n, 1), "box": (n, 4),
                  "multilabel": (n, len(ds.classes))}[trainer.task]
        if tuple(out.shape) != expect:
            raise TrainError(f"Pre-flight: the network outputs {list(out.shape[1:])} per image but the "
                             f"{trainer.task} labels need {list(expect[1:])}.", kind="head")
        if trainer.task == "classify" and int(y.max()) >= out.shape[1]:
            raise TrainError(f"Pre-flight: a label is {int(y.max())} but the head has only {out.shape[1]} outputs.",
                             kind="head")
        loss = trainer.objective.loss(out, y)
    if not torch.isfinite(loss):
        raise TrainError("Pre-flight: the loss of the first batch is already NaN/infinite, before any training. "
                         "Check the network's initialisation and the dataset's values.", kind="nan")
    loss.backward()
    dead = [name for name, p in net.named_parameters() if p.requires_grad and p.grad is None]
    net.zero_grad(set_to_none=True)
    if dead:
        trainer.info.setdefault("notes", []).append(f"parameters with no gradient: {', '.join(dead[:5])}")


def overfit_one_batch(trainer, steps: int = 60, size: int = 16) -> dict:
    """Train a copy of the network on one small batch: a healthy network drives the loss near zero.
    → {"first_loss", "last_loss", "ok", "message"}."""
    import copy

    net = copy.deepcopy(trainer.net).train()
    ds = trainer.dataset
    x, y = ds.train.head(size)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3 if trainer.cfg.optimizer != "sgd" else trainer.cfg.lr)
    first = last = None
    for _ in range(steps):
        loss = trainer.objective.loss(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
        last = loss.item()
    ok = last <= 0.2 * first or last < 0.05
    msg = (f"It can overfit one batch: loss {first:.3f} → {last:.4f} in {steps} steps." if ok else
           f"It could not overfit one batch of {size} images (loss {first:.3f} → {last:.3f} in {steps} steps): "
           "check the head, the labels, and that no layer blocks the gradient (e.g. a sigmoid everywhere).")
    return {"first_loss": first, "last_loss": last, "ok": ok, "message": msg}


def augmenter(aug: dict, task: str):
    from ..data.augment import augment_batch, is_active

    if not is_active(aug):
        return None
    if task == "box":
        return lambda x, y: augment_batch(x, aug, boxes=y)
    return lambda x, y: (augment_batch(x, aug), y)


def write_project(trainer) -> None:
    """The graph and settings as trained (overrides applied), beside the run's results."""
    p = trainer.project
    trained = Project(p.name, p.graph, dict(p.dataset), trainer.cfg.to_dict(), dict(p.layout), dict(p.extra))
    write_text(Path(trainer.run_dir) / "project.cnnproj", dumps_project(trained))


