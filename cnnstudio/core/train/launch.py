"""Launching N training processes on this machine through `torch.distributed.run` (torchrun).

`Launch(train_argv, nproc, run_dir).run(report, control)` is what `cnnstudio train --nproc N`
and the window's worker call. It runs, in a process group of its own (so a Ctrl-C reaches
only us, and we turn it into a clean stop):

    python -m cnnstudio.core.train.launch FOLDER --standalone --nproc-per-node N \
           --max-restarts 0 -m cnnstudio train FILE ... (torchrun picks a free port)

and forwards rank 0's progress from FOLDER/messages.jsonl to `report`, and stop/pause from
`control` to FOLDER/control. When torchrun ends it says how the run went, naming the rank
that failed first and why. Importing this module does not import torch.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUIET_KINDS = ("peer", "terminated")  # ways a rank ends *because* another one failed


class LaunchFlags:
    """Stop/pause requests for a launch (the engine's Control, without importing torch)."""

    def __init__(self, stop=None, pause=None):
        self.stop, self.pause = stop, pause

    def stop_requested(self) -> bool:
        return bool(self.stop.is_set() if hasattr(self.stop, "is_set") else self.stop)

    def pause_requested(self) -> bool:
        return bool(self.pause.is_set() if hasattr(self.pause, "is_set") else self.pause)


def visible_gpus() -> int:
    """How many NVIDIA GPUs this process may use, without importing torch (Linux; else 0)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    try:
        count = len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0
    if env is not None:
        count = min(count, len([d for d in env.split(",") if d.strip() and d.strip() != "-1"]))
    return count


class Launch:
    def __init__(self, train_argv: list[str], nproc: int, run_dir: Path):
        self.train_argv, self.nproc, self.run_dir = list(train_argv), int(nproc), Path(run_dir)
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "cnnstudio.core.train.launch", str(self.folder), "--standalone",
                f"--nproc-per-node={self.nproc}", "--max-restarts=0", "--monitor-interval=0.2",
                "-m", "cnnstudio", "train", *self.train_argv]

    def run(self, report, control) -> dict:
        """Blocks until every rank has ended. → a "done" message like the engine's."""
        self.folder = Path(tempfile.mkdtemp(prefix="cnnstudio-ddp-"))
        from .children import child_env
        env = child_env(dict(os.environ, CNNSTUDIO_LAUNCH_DIR=str(self.folder), PYTHONUNBUFFERED="1"))
        env.setdefault("OMP_NUM_THREADS", "1")  # the engine sets its own; this silences torchrun's note
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[3])] +
                                            ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        log = open(self.folder / "launcher.log", "wb")
        try:
            self.proc = subprocess.Popen(self.command(), env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=os.name != "nt")
            messages, offset, sent = self.folder / "messages.jsonl", 0, ""
            while True:
                ended = self.proc.poll() is not None
                offset = _forward(messages, offset, report)
                want = " ".join(w for w, on in (("stop", control.stop_requested()),
                                                ("pause", control.pause_requested())) if on)
                if want != sent:
                    _write_atomic(self.folder / "control", want)
                    sent = want
                if ended:
                    break
                time.sleep(0.05)
            return self._result()
        finally:
            log.close()
            self.kill()
            shutil.rmtree(self.folder, ignore_errors=True)

    def kill(self) -> None:
        """End every rank now (a second Ctrl-C, or the window closing)."""
        if self.proc is not None:
            from .children import end_group
            end_group(self.proc, grace_s=30)  # torchrun ends its ranks on SIGTERM, then exits

    # --- how it ended ---------------------------------------------------------------------
    def _result(self) -> dict:
        from .errors import kept_message
        ranks = {}
        for f in self.folder.glob("rank*.json"):
            try:
                r = json.loads(f.read_text(encoding="utf-8"))
                ranks[int(r["rank"])] = r
            except (OSError, ValueError, KeyError):
                continue
        try:
            failures = json.loads((self.folder / "failures.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            failures = {}
        lead = ranks.get(0)
        if lead and all(ranks.get(r, {}).get("status") == lead["status"] for r in range(self.nproc)) \
                and lead["status"] in ("finished", "stopped"):  # every rank ended well (whatever torchrun says)
            return dict(lead, type="done")
        culprits = [r for r in range(self.nproc) if r not in ranks or ranks[r].get("kind") not in QUIET_KINDS]
        if lead and 0 in culprits:  # the run's own problem (a bad setting, NaN, ...): as rank 0 says it
            return self._record(dict(lead, type="done"))
        if not culprits and lead:
            return self._record(dict(lead, type="done"))
        if not culprits:
            return self._record(self._done(f"The training processes could not start: {self._log_tail()}", None))
        def first(r):  # its own error, then killed by a signal (not the launcher's SIGTERM), then the rest
            f = failures.get(str(r)) or {}
            return (r not in ranks, f.get("signal") in (None, "SIGTERM", "SIGINT"), r)
        r = min(culprits, key=first)
        if r in ranks:
            why = ranks[r].get("message") or "it failed"
        else:
            f = failures.get(str(r)) or {}
            code = f.get("exitcode")
            why = (f"it was killed by signal {f['signal']}" if f.get("signal") else
                   f"it exited with code {code}" if code is not None else "it ended without a word")
        return self._record(self._done(f"Process rank {r} of {self.nproc} failed ({why}), so every process was "
                                       f"stopped. {kept_message(self.run_dir)}", r))

    def _done(self, message: str, rank) -> dict:
        return {"type": "done", "status": "failed", "message": message, "kind": "rank", "failed_rank": rank,
                "run_dir": str(self.run_dir), "fix": None}

    def _record(self, result: dict) -> dict:
        """The run folder says how it ended, whatever rank 0 managed to write, but only when this
        launch's rank 0 held the run (its lock) and nobody holds it now: a refused resume, or the
        loser of two trainings into one folder, leaves the folder as it was."""
        from .lock import RunBusy, lock_run
        from .runs import DiskError, read_metrics, write_json
        if not self._owned():
            return result
        try:
            lock = lock_run(self.run_dir)
        except (RunBusy, OSError):
            return result
        try:
            info_path = self.run_dir / "run.json"
            try:
                info = json.loads(info_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return result
            info.update(status=result["status"], message=result["message"])
            if result.get("failed_rank") is not None:
                info["failed_rank"] = result["failed_rank"]
                try:
                    shutil.copy(self.folder / "launcher.log", self.run_dir / "launcher.log")
                    result["message"] += f" The processes' output is in {self.run_dir / 'launcher.log'}."
                    info["message"] = result["message"]
                except OSError:
                    pass
            try:
                write_json(info_path, info)
            except DiskError:
                pass
            result.setdefault("epochs_done", len(read_metrics(self.run_dir)))
            result.setdefault("best", info.get("best"))
        finally:
            lock.release()
        return result

    def _owned(self) -> bool:
        """Whether rank 0 of this launch held the run folder (it says so in rank0.json)."""
        try:
            return json.loads((self.folder / "rank0.json").read_text(encoding="utf-8")).get("owner") is True
        except (OSError, ValueError, AttributeError):
            return False

    def _log_tail(self) -> str:
        try:
            lines = (self.folder / "launcher.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        useful = [ln for ln in lines if ln.strip() and not ln.startswith(("[W", "W1", "I1"))]
        return " ".join((useful or lines or ["no output"])[-3:])[:500]


def _forward(path: Path, offset: int, report) -> int:
    """Report the complete lines added to `path` since `offset`; → the new offset."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return offset
    end = data.rfind(b"\n") + 1
    for line in data[:end].splitlines():
        try:
            report(json.loads(line))
        except ValueError:
            continue
    return offset + end


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _torchrun(folder: str, argv: list[str]) -> int:
    """The child: torchrun itself, with each failed rank's exit code written for the parent."""
    from .children import PARENT_ENV, die_with_parent
    die_with_parent()  # the front process gone (even by kill -9): SIGTERM, and torchrun ends the ranks
    os.environ[PARENT_ENV] = str(os.getpid())  # each rank dies with us in turn (torchrun starts them in new sessions)
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run
    try:
        run(parse_args(argv))
    except ChildFailedError as e:
        out = {str(rank): {"exitcode": f.exitcode, "signal": f.signal_name() if f.exitcode < 0 else None,
                           "message": f.message} for rank, f in e.failures.items()}
        (Path(folder) / "failures.json").write_text(json.dumps(out, default=str), encoding="utf-8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_torchrun(sys.argv[1], sys.argv[2:]))
