"""The training engine the window and the command line share. Qt-free.

The dataset lives on the training device and batches are random slices of it: no DataLoader,
no per-sample Python — unless it is too big for memory, then it streams (data/stream.py) in
the same order. Launched by torchrun, every rank runs this same loop on its shard of each
global batch, with DistributedDataParallel (distributed.py); rank 0 alone writes the run.
Progress goes to `report(dict)` (small plain dicts, at most `report_hz` a second); `control` is
polled between batches for stop and pause. Callbacks: see callbacks.py.
"""
from __future__ import annotations

import math
import time
import traceback
from dataclasses import replace
from pathlib import Path

import torch

from ..project.atomic import remove_orphans
from ..project import Project
from . import setup
from .callbacks import Context, Control, default_callbacks
from .checkpoint import save_checkpoint
from .distributed import Terminated, peer_lost, resume_state, write_rank_result
from .errors import TrainError, kept_message, oom_message
from .metrics import headline
from .optim import Schedule, set_lr
from .runs import DiskError, RunBusy, append_line, lock_run, write_json, write_text


class Trainer:
    def __init__(self, project: Project, run_dir, *, overrides: dict | None = None, resume: bool = False,
                 callbacks=None, report=None, control: Control | None = None, dataset=None,
                 project_path=None, init_from=None):
        self.project, self.run_dir = project, Path(run_dir)
        self.overrides, self.resume = overrides or {}, resume
        self.callbacks = default_callbacks() if callbacks is None else list(callbacks)
        # built-in extras (the inspection timeline) must never cost a run: on an error they are
        # switched off with a note; callbacks a caller passes in fail the run as they should
        self._optional = {id(cb) for cb in self.callbacks} if callbacks is None else set()
        self.report = report or (lambda msg: None)
        self.control = control or Control()
        self.dataset = dataset
        self.project_path = project_path
        self.init_from = init_from  # a weights file to start from instead of the project's
        self.info: dict = {}

    # --- public ------------------------------------------------------------------------
    def run(self) -> dict:
        """Train; never raises for anything a user can cause. → {status, message, run_dir, ...}."""
        status, message, self.error_kind = "failed", "", None
        try:
            self._prepare()
            status, message = self._fit()
        except Terminated:
            message, self.error_kind = "Stopped by the launcher: another process of this run failed.", "terminated"
        except TrainError as e:
            message, status, self.error_kind, self.error_fix = str(e), e.status, e.kind, e.fix
        except DiskError as e:
            message, self.error_kind = f"{e.strerror or e} {kept_message(self.run_dir)}", "disk"
        except (torch.OutOfMemoryError, MemoryError):
            message, self.error_kind = oom_message(self, torch), "oom"
        except RuntimeError as e:
            if "out of memory" in str(e).lower() or "can't allocate memory" in str(e).lower():
                message, self.error_kind = oom_message(self, torch), "oom"
            elif getattr(self, "dist", None) is not None and self.dist.active and peer_lost(e):
                message, self.error_kind = f"Another process of this run went away ({str(e)[:160]}).", "peer"
            else:
                message, self.error_kind = self._unexpected(e), "error"
        except Exception as e:  # noqa: BLE001 - last resort: a message and a log, never a traceback
            message, self.error_kind = self._unexpected(e), "error"
        return self._finish(status, message)

    # --- set-up ------------------------------------------------------------------------
    def _prepare(self) -> None:
        from .distributed import Dist
        self.dist = Dist()
        if self.project_path:  # an image folder's relative path is the project file's, also in the run's copy
            from ..data.registry import resolve_path
            folder = Path(self.project_path).resolve().parent
            self.project = replace(self.project, dataset=resolve_path(self.project.dataset, folder))
        s = setup.prepare(self.project, self.overrides, self.dataset, self.report, self.dist, self.project_path,
                          self.init_from)
        self.__dict__.update(s)  # cfg, device, dist, precision, dataset, net, objective, task, info
        if not self.dist.lead:  # rank 0 alone reports and writes the run folder
            self.report, self.callbacks = (lambda msg: None), []
        try:
            if self.dist.lead:
                (self.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
                self._lock = lock_run(self.run_dir)
                for folder in (self.run_dir, self.run_dir / "checkpoints"):  # we are the only writer: any
                    remove_orphans(folder, age_s=0)                          # temp file is a killed write's
        except RunBusy as e:
            raise TrainError(f"{self.run_dir.name} is being trained by another process (pid {e.pid}): wait "
                             "for it to finish or stop it, then resume.", kind="busy") from None
        except OSError as e:
            raise DiskError(e.errno, f"Cannot create the run folder {self.run_dir} ({e.strerror or e}). "
                            "Choose a folder you can write to.") from None
        self.optimizer = setup.make_optimizer(self.cfg, setup.param_groups(self.net, self.head, self.cfg))
        n = len(self.dataset.train)
        self.steps_per_epoch = max(1, n // self.cfg.batch_size) if n >= self.cfg.batch_size else 1
        world = self.dist.world
        if min(n, self.cfg.batch_size) % world:
            raise TrainError(f"Batch size {min(n, self.cfg.batch_size)} does not split evenly across {world} processes: "
                             f"choose a multiple of {world} (e.g. {max(world, self.cfg.batch_size // world * world)}).",
                             kind="config")
        self.schedule = Schedule(self.cfg, self.steps_per_epoch)
        self.scaler = torch.amp.GradScaler("cuda") if self.precision == "fp16" else None
        setup.preflight(self)  # one real forward/backward: labels against outputs
        self.start_epoch, self.best, self.es = 1, None, {"best": math.inf, "bad": 0}
        self.history: list = []
        if self.resume:  # everything that can refuse comes first: a refused resume changes no file
            state = resume_state(self)  # rank 0 reads the run folder; every rank gets the state
            self.start_epoch = state["epoch"] + 1
            self.best, self.es = state.get("best"), state.get("early_stopping", self.es)
            self.kept_best = self.best
            self.history = state["history"]
            current = ("device", "precision", "versions", "world_size", "backend", "devices", "nodes", "data_path",
                       "notes")  # how this session trains, not how the first one did
            gone = {"devices", "nodes"} - set(self.info)  # a run resumed in fewer processes
            self.info = dict({k: v for k, v in state["info"].items() if k not in gone},
                             **{k: v for k, v in self.info.items() if k in current})
            if state["damaged"]:
                note = (f"metrics.jsonl line(s) {', '.join(map(str, state['damaged'][:10]))} are damaged: kept as "
                        "they are and left out of the curves.")
                self.info.setdefault("notes", []).append(note)
                self.report({"type": "status", "text": note})
            changed = {k: v for k, v in self.overrides.items() if v is not None}
            self.info.setdefault("resumed", []).append({"at_epoch": state["epoch"], "time": setup.now(),
                                                        "overrides": changed, "world_size": world})
            self.info["epochs"], self.info["training"] = self.cfg.epochs, self.cfg.to_dict()
        if self.cfg.sync_batchnorm and self.dist.active and self.device.type == "cuda":
            self.net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.net)
        self.model = self.dist.wrap(self.net, self.device)  # DDP copies rank 0's weights to every rank
        if self.dist.lead:
            setup.write_project(self)  # settings as trained, a resume's new epochs included
            self.info.update(status="running", updated=setup.now())
            write_json(self.run_dir / "run.json", self.info)
            self._owns_info = True  # from here on run.json is this run's to update
        self.report({"type": "started", "run_dir": str(self.run_dir), "start_epoch": self.start_epoch,
                     "epochs": self.cfg.epochs, "history": self.history, "info": self.info})

    # --- the loop ----------------------------------------------------------------------
    def _fit(self) -> tuple[str, str]:
        cfg, ds, net = self.cfg, self.dataset, self.net
        ctx = Context(self, net, ds, self.run_dir, self.optimizer, history=self.history)
        self._call("on_fit_start", ctx)
        n, bs = len(ds.train), min(cfg.batch_size, len(ds.train))
        steps = self.steps_per_epoch
        aug = ds.spec.get("augment") or {}
        augment = setup.augmenter(aug, self.task)
        interval, last_report = 1.0 / cfg.report_hz, 0.0
        if self.start_epoch > cfg.epochs:
            return "finished", f"Already trained {cfg.epochs} epoch(s): raise the epochs to continue."
        for epoch in range(self.start_epoch, cfg.epochs + 1):
            torch.manual_seed(cfg.seed * 100003 + epoch)  # each epoch reproducible, so resume is exact
            ctx.epoch = epoch
            self._call("on_epoch_start", ctx)
            net.train()
            sums = self.objective.new_sums(self.device)
            perm = torch.randperm(n, device=self.device)
            t0 = time.perf_counter()
            paused = 0.0
            for b, (x, y) in enumerate(ds.train.batches(perm, steps, bs, self.dist.shard)):
                stop, pause = self.dist.agree(self.control.stop_requested(), self.control.pause_requested())
                if pause and not stop:
                    seconds, stop = self._wait_paused(epoch)
                    paused += seconds
                if stop:
                    return "stopped", f"Stopped during epoch {epoch}. {kept_message(self.run_dir)}"
                if augment:
                    x, y = augment(x, y)
                if self.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                step = (epoch - 1) * steps + b
                lr = self.schedule.lr_at(epoch, step)
                set_lr(self.optimizer, lr)
                out, loss = self._step(x, y)
                self.objective.accumulate(sums, out, y, loss, top5=False)
                ctx.batch, ctx.loss = b, loss
                if self.callbacks:
                    self._call("on_batch_end", ctx)
                now = time.perf_counter()
                if now - last_report >= interval or b == steps - 1:
                    last_report = now
                    running = sums[0].item() / max(sums[1].item(), 1)
                    if not math.isfinite(running):
                        raise self._nan(epoch, b, lr)
                    done = b + 1
                    rate = done * bs / max(now - t0 - paused, 1e-9)
                    left = (steps - done + (cfg.epochs - epoch) * steps) * bs / rate
                    self.report({"type": "batch", "epoch": epoch, "epochs": cfg.epochs, "batch": done,
                                 "batches": steps, "loss": running, "lr": lr, "images_per_s": rate,
                                 "eta_s": left, "time": now})
            train_s = time.perf_counter() - t0 - paused
            row = {"epoch": epoch, **self.objective.finish(sums, "train", self.dist)}
            if not math.isfinite(row["train_loss"]):
                raise self._nan(epoch, steps - 1, lr)
            row.update(self._validate())
            row.update(lr=lr, seconds=round(time.perf_counter() - t0 - paused, 4),
                       images_per_s=round(steps * bs / max(train_s, 1e-9), 1))
            if not math.isfinite(row.get("val_loss", 0.0)):
                raise self._nan(epoch, steps - 1, lr, where="validation")
            self.schedule.epoch_end(row.get("val_loss", row["train_loss"]))
            improved = self._track_best(row)
            self.history.append(row)
            self._record_skipped()
            if self.dist.lead:
                append_line(self.run_dir / "metrics.jsonl", row)
                save_checkpoint(self, epoch, best=improved)
                self.info.update(epochs_done=epoch, best=self.best, updated=setup.now())
                write_json(self.run_dir / "run.json", self.info)
            self.kept_best = self.best  # its checkpoint is on disk: the summary may name it
            ctx.metrics = row
            self._call("on_epoch_end", ctx)
            self.report({"type": "epoch", **row, "epochs": cfg.epochs, "skipped_files": self.info.get("skipped_files", 0)})
            if self.dist.agree(self._early_stop(row) or ctx.should_stop)[0]:
                return "finished", (ctx.should_stop and ctx.stop_reason) or \
                    f"Stopped early after epoch {epoch}: validation loss stopped improving."
        return "finished", f"Trained {cfg.epochs} epoch(s)."

    def _step(self, x, y):
        with setup.autocast(self.device, self.precision):
            out = self.model(x)
            loss = self.objective.loss(out, y)
        total = loss
        if self.cfg.l1:  # the L1 penalty trains, but the reported loss stays the data loss
            total = loss + self.cfg.l1 * sum(p.abs().sum() for p in self.net.parameters()
                                             if p.requires_grad and p.dim() > 1)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler:
            self.scaler.scale(total).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            total.backward()
            self.optimizer.step()
        return out.detach(), loss.detach()

    @torch.no_grad()
    def _validate(self) -> dict:
        split = self.dataset.val
        if len(split) == 0:
            return {}
        self.net.eval()
        sums = self.objective.new_sums(self.device)
        for x, y in split.chunks(self.dist.val_range(len(split)), max(self.cfg.batch_size, 256)):
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with setup.autocast(self.device, self.precision):
                out = self.net(x)
                loss = self.objective.loss(out, y)
            self.objective.accumulate(sums, out, y, loss)
        return self.objective.finish(sums, "val", self.dist)

    def _record_skipped(self) -> None:
        """Unreadable images: counted in run.json and listed in skipped_files.txt (every rank's)."""
        found = getattr(self.dataset.train, "skipped", None)  # streamed: found as batches are read
        if found is None:  # in memory: found while loading
            found = dict(self.dataset.spec.get("skipped_files") or {})
        found = self.dist.merge(found)
        if self.dist.lead and found and len(found) != self.info.get("skipped_files"):
            write_text(self.run_dir / "skipped_files.txt",
                       "".join(f"{name}\t{why}\n" for name, why in sorted(found.items())))
            self.info["skipped_files"] = len(found)

    def _wait_paused(self, epoch) -> tuple[float, bool]:
        """Wait while paused (every rank together). → (seconds paused, stop requested)."""
        t = time.perf_counter()
        self._set_status("paused")
        self.report({"type": "paused", "epoch": epoch})
        while True:
            stop, pause = self.dist.agree(self.control.stop_requested(), self.control.pause_requested())
            if stop or not pause:
                break
            time.sleep(0.05)
        self._set_status("running")
        self.report({"type": "resumed", "epoch": epoch})
        return time.perf_counter() - t, stop

    def _set_status(self, status: str) -> None:
        if self.dist.lead:
            self.info.update(status=status, updated=setup.now())
            write_json(self.run_dir / "run.json", self.info)

    # --- bookkeeping ---------------------------------------------------------------------
    def _track_best(self, row) -> bool:
        metric = f"val_{headline(self.task)}"
        if not math.isfinite(row.get(metric, math.nan)):  # no validation split (or no true label in it)
            metric = "train_loss"
        value = row[metric]
        # a resumed run recorded before its metric existed (multi-label "accuracy"): the new one takes over
        better = self.best is None or self.best.get("metric") != metric or (
            value < self.best["value"] if metric.endswith("loss") else value > self.best["value"])
        if better:
            self.best = {"epoch": row["epoch"], "metric": metric, "value": value}
        return better

    def _early_stop(self, row) -> bool:
        es = self.cfg.early_stopping
        if not es or "val_loss" not in row:
            return False
        if row["val_loss"] < self.es["best"] - es["min_delta"]:
            self.es = {"best": row["val_loss"], "bad": 0}
            return False
        self.es["bad"] += 1
        return self.es["bad"] >= es["patience"]

    def _nan(self, epoch, batch, lr, where="training") -> TrainError:
        kept = kept_message(self.run_dir)
        tips = [f"lower the learning rate (now {lr:.3g}; try {lr / 10:.3g})"]
        if self.precision == "fp16":
            tips.append('use "precision": "bf16" or "fp32"')
        tips += ["add BatchNorm after the convolutions", "check the inputs are normalised"]
        return TrainError(f"The loss became NaN/infinite in {where} at epoch {epoch}, batch {batch + 1}: the run "
                          f"was stopped. {kept} Try: " + "; ".join(tips) + ".", kind="nan", status="failed")

    def _call(self, hook: str, ctx) -> None:
        for cb in list(self.callbacks):
            fn = getattr(cb, hook, None)
            if not fn:
                continue
            if id(cb) not in self._optional:
                fn(ctx)
                continue
            try:
                fn(ctx)
            except Exception as e:  # noqa: BLE001 - see __init__
                self.callbacks.remove(cb)
                self.info.setdefault("notes", []).append(
                    f"{type(cb).__name__} was switched off after an error in {hook}: {e.__class__.__name__}: {e}")

    def _unexpected(self, e: Exception) -> str:
        log = self.run_dir / "error.log"
        if getattr(self, "dist", None) is not None and not self.dist.lead:
            return f"Training failed unexpectedly: {e.__class__.__name__}: {e}."
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f" Details are in {log}."
        except OSError:
            where = ""
        return f"Training failed unexpectedly: {e.__class__.__name__}: {e}.{where}"

    def _finish(self, status: str, message: str) -> dict:
        if getattr(self, "dist", None) is not None:
            self.dist.finishing()
        if self.callbacks and getattr(self, "net", None) is not None:
            try:
                self._call("on_fit_end", Context(self, self.net, self.dataset, self.run_dir, self.optimizer,
                                                 history=getattr(self, "history", [])))
            except Exception:  # noqa: BLE001 - a callback must not lose the run
                pass
        result = {"type": "done", "status": status, "message": message, "run_dir": str(self.run_dir),
                  "kind": self.error_kind, "fix": getattr(self, "error_fix", None),
                  "epochs_done": len(getattr(self, "history", [])), "best": getattr(self, "kept_best", None)}
        owner = getattr(self, "_owns_info", False)
        if getattr(self, "_lock", None) is not None:
            if owner:
                self.info.update(status=status, message=message, updated=setup.now())
                try:
                    write_json(self.run_dir / "run.json", self.info)
                except DiskError:
                    pass
            self._lock.release()
            self._lock = None
        if getattr(self, "dist", None) is not None:
            write_rank_result(result, owner)
            self.dist.close()
        return result
