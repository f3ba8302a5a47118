"""The training worker process and its protocol. Importing this module does not import torch.

The window starts `start_worker(job)`: a spawned process runs the engine and sends small plain
dicts on a queue (at most ~20 a second); the window polls `handle.poll()` from a QTimer.
Stop and pause are multiprocessing Events the engine checks between batches.

Messages (all have "type"; every value is plain data, see `plain`):
  status  {text}                      e.g. loading or downloading the dataset
  started {run_dir, start_epoch, epochs, history, info}
  batch   {epoch, epochs, batch, batches, loss, lr, images_per_s, eta_s, time}
  epoch   {epoch, train_loss, val_loss, val_accuracy | val_iou, lr, seconds, images_per_s, ...}
  paused / resumed {epoch}
  done    {status: finished|stopped|failed, message, kind, fix, run_dir, epochs_done, best}
A job with "check": "overfit" trains a copy of the network on one batch instead and ends
with done {status: checked|failed, ok, message}. A job with "nproc": N > 1 trains data-parallel:
this process launches N ranks through torchrun (launch.py) and forwards rank 0's messages.
"""
from __future__ import annotations

import json
import numbers
import queue as queue_mod
import threading


def worker_main(job: dict, q, stop, pause) -> None:
    """Entry point of the spawned process."""
    def send(msg):
        try:
            q.put(plain(msg))
        except Exception:  # noqa: BLE001 - a closed queue means the window is gone
            pass

    result = None
    if job.get("nproc", 1) > 1 and not job.get("check"):
        send(launch_job(job, send, stop, pause))
        return
    try:
        from ..project import parse_project
        from .callbacks import Control
        from .engine import Trainer

        project = parse_project(job["project"], source=job.get("project_path") or "project")
        if job.get("check") == "overfit":
            send(overfit_check(project, job.get("overrides"), send, job.get("project_path")))
            return
        trainer = Trainer(project, job["run_dir"], overrides=job.get("overrides"), resume=job.get("resume", False),
                          report=send, control=Control(stop, pause), project_path=job.get("project_path"))
        result = trainer.run()
    except BaseException as e:  # noqa: BLE001 - the window gets a message, never a traceback
        result = {"check": job.get("check"), "type": "done", "status": "failed", "run_dir": job.get("run_dir"),
                  "message": f"The training process failed to start: {e.__class__.__name__}: {e}"}
    send(result)
    try:
        q.close()
        q.join_thread()
    except Exception:  # noqa: BLE001
        pass


def plain(value):
    """Only str, int, float, bool, None, lists and dicts go to the window: unpickling anything
    else there could import its module (torch.__version__ is a torch.TorchVersion, a str
    subclass, and unpickling it imported torch into the window on the UI thread)."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a numpy or torch scalar
        return plain(value.item())
    return str(value)


def launch_job(job: dict, send, stop, pause) -> dict:
    """The window's data-parallel run: `cnnstudio train` in job["nproc"] processes through torchrun."""
    import os
    import signal
    import sys
    import tempfile

    from .launch import Launch, LaunchFlags

    # beside the project when it names a weights file, so the ranks find that file
    beside = job.get("project_path") if job["project"].get("weights") else None
    fd, project_file = tempfile.mkstemp(suffix=".cnnproj", prefix=".cnnstudio-job-",
                                        dir=os.path.dirname(os.path.abspath(beside)) if beside else None)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(job["project"], f)
        argv = [project_file, "--resume" if job.get("resume") else "--out", job["run_dir"]]
        for key, value in (job.get("overrides") or {}).items():
            if value is not None:
                argv += [f"--{key.replace('_', '-')}", str(value)]
        launch = Launch(argv, job["nproc"], job["run_dir"])
        # the window ends this process with SIGTERM when it cannot wait: take the ranks with it
        signal.signal(signal.SIGTERM, lambda *_: (launch.kill(), sys.exit(3)))
        send({"type": "status", "text": f"Starting {job['nproc']} training processes with torchrun…"})
        return launch.run(send, LaunchFlags(stop, pause))
    except Exception as e:  # noqa: BLE001 - the window gets a message, never a traceback
        return {"type": "done", "status": "failed", "run_dir": job.get("run_dir"),
                "message": f"Could not start the {job['nproc']} training processes: {e.__class__.__name__}: {e}"}
    finally:
        os.unlink(project_file)


def overfit_check(project, overrides, send, project_path=None) -> dict:
    """The pre-flight "can it overfit one batch?" as a worker job: no run folder is made."""
    from . import setup
    from .engine import Trainer
    from .errors import TrainError

    trainer = Trainer(project, ".", overrides=overrides, callbacks=[])
    try:
        trainer.__dict__.update(setup.prepare(project, trainer.overrides, None, send, project_path=project_path))
        setup.preflight(trainer)
        r = setup.overfit_one_batch(trainer)
    except TrainError as e:
        return {"type": "done", "status": "failed", "message": str(e), "kind": e.kind, "fix": e.fix, "check": "overfit"}
    except Exception as e:  # noqa: BLE001 - a message, never a traceback (out of memory, a bad layer, ...)
        return {"type": "done", "status": "failed", "message": f"The overfit check failed: {e.__class__.__name__}: "
                f"{str(e)[:300]}", "kind": "error", "fix": None, "check": "overfit"}
    return {"type": "done", "status": "checked", "ok": r["ok"], "message": r["message"], "check": "overfit"}


class WorkerHandle:
    """The window's side of one running training process. With `background`, the process is
    spawned at launch(), on a thread of its own (spawning costs the caller 20–300 ms: two
    fork/execs and the queue's semaphores), once the caller's own work is done (the spawning
    thread holds the interpreter lock for ≈10 ms, which stretched the window's work beside it);
    until it is up, poll() returns nothing and stop/pause are kept for it."""

    def __init__(self, job: dict, background: bool = False):
        self.job = job
        self.finished = False
        self.queue = self.process = None
        self._lock = threading.Lock()
        self._asked: dict[str, bool] = {}  # stop/pause asked before the process was up
        self._ended: tuple[str, str] | None = None  # (status, message) when no process came up
        self._launched = False
        self.started = threading.Event()
        if not background:
            self._launched = True
            self._spawn()

    def launch(self) -> None:
        """Spawn the process on a thread of its own (once); none when it was stopped before."""
        with self._lock:
            if self._launched:
                return
            self._launched = True
            if self._asked.get("stop"):
                self._ended = ("stopped", "Stopped before the training process started.")
                self.started.set()
                return
        threading.Thread(target=self._spawn, name="cnnstudio-spawn", daemon=True).start()

    def _spawn(self) -> None:
        try:
            import multiprocessing  # here, on the spawning thread: its import costs the window ≈25 ms

            ctx = multiprocessing.get_context("spawn")  # never fork a process that has Qt and threads
            queue, stop, pause = ctx.Queue(), ctx.Event(), ctx.Event()
            process = ctx.Process(target=worker_main, args=(self.job, queue, stop, pause), daemon=True,
                                  name="cnnstudio-train")
            with self._lock:
                self.stop_event, self.pause_event = stop, pause
                for event, name in ((stop, "stop"), (pause, "pause")):
                    if self._asked.get(name):
                        event.set()
            process.start()
            self.queue, self.process = queue, process
        except Exception as e:  # noqa: BLE001 - out of processes or memory: one message, never a traceback
            self._ended = ("failed", f"Could not start the training process: {e.__class__.__name__}: {e}")
        finally:
            self.started.set()

    def poll(self, limit: int = 200) -> list[dict]:
        """Messages waiting now (never blocks). Adds a "done" if the process died without one."""
        if not self.started.is_set() or self.finished:
            return []
        if self._ended:
            self.finished = True
            return [{"type": "done", "status": self._ended[0], "run_dir": self.job.get("run_dir"),
                     "check": self.job.get("check"), "message": self._ended[1]}]
        out = []
        for _ in range(limit):
            try:
                out.append(self.queue.get_nowait())
            except queue_mod.Empty:
                break
            except (EOFError, OSError):
                break
        if any(m.get("type") == "done" for m in out):
            self.finished = True
        elif not self.finished and not self.process.is_alive():
            # drain once more: the last message may land just as the process exits
            try:
                while True:
                    out.append(self.queue.get(timeout=0.2))
            except (queue_mod.Empty, EOFError, OSError):
                pass
            if not any(m.get("type") == "done" for m in out):
                out.append({"type": "done", "status": "failed", "run_dir": self.job.get("run_dir"),
                            "message": f"The training process ended unexpectedly (exit code {self.process.exitcode}). "
                                       "The last checkpoint is kept: press Resume to continue the run."})
            self.finished = True
        return out

    def _set(self, name: str, on: bool) -> None:
        with self._lock:
            event = getattr(self, f"{name}_event", None)
            if event is None:
                self._asked[name] = on
            elif on:
                event.set()
            else:
                event.clear()

    def stop(self) -> None:
        self._set("pause", False)
        self._set("stop", True)

    def pause(self) -> None:
        self._set("pause", True)

    def resume(self) -> None:
        self._set("pause", False)

    def join(self, timeout: float = 10.0) -> None:
        self.launch()  # not launched yet: now (stopped before, it spawns nothing and ends as stopped)
        self.started.wait(timeout)
        if self.process is None:
            return
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)


def start_worker(job: dict, background: bool = False) -> WorkerHandle:
    return WorkerHandle(job, background)
