"""The study in Optuna's storage: opening it (a clear line when it cannot be reached), the
settings every worker reads from it, samplers and pruners, and how many trials are left."""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import warnings
import zlib
from pathlib import Path

from .space import Dim, SweepError, parse_space_doc

HEARTBEAT_S, GRACE_S = 10, 60  # a trial silent this long (a machine gone) is failed and rerun
ATTR = "cnnstudio"  # the study's user attribute holding its settings
OBJECTIVES = {"accuracy": "maximize", "params": "minimize", "macs": "minimize", "latency": "minimize"}
SAMPLERS = ("grid", "random", "tpe", "nsga2")
PRUNERS = ("median", "hyperband", "none")


def default_url(project_path) -> str:
    from ..train.runs import runs_folder
    return f"sqlite:///{runs_folder(Path(project_path)).absolute() / 'sweeps.db'}"


def open_storage(url: str, create: bool = True):
    """The study storage at `url`; `create=False` for a reader (the window), which never makes the
    tables a sweep starting at the same moment is making."""
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    if url.startswith("sqlite:///") and create:
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        storage = RDBStorage(url, engine_kwargs=kwargs, skip_table_creation=not create,
                             heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                             heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                                 max_retry=3, inherit_intermediate_values=True))
    except Exception as e:  # noqa: BLE001 - any driver's error: one line, before any trial
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:200]
        raise SweepError(f"cannot open the study storage {safe_url(url)}: {reason}") from None
    if url.startswith("sqlite"):
        _fast_sqlite(storage.engine)
    return storage


def _fast_sqlite(engine) -> None:
    """Write-ahead logging: the window reads while workers write, and a commit is not a full
    fsync of the database (a trial makes a dozen small ones)."""
    from sqlalchemy import event

    def pragmas(conn, _):
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
    event.listen(engine, "connect", pragmas)
    engine.dispose()  # connections made before the listener get it too


def safe_url(url: str) -> str:
    """The URL without its password."""
    head, at, tail = url.rpartition("@")
    return (head.split(":")[0] + ":" + head.split(":")[1] + ":***@" + tail) if at and head.count(":") >= 2 else url


def sampler(name: str, dims: list[Dim], seed=None):
    import optuna
    if name == "grid":
        class Grid(optuna.samplers.GridSampler):
            def after_trial(self, *args):  # our loop stops at the grid's size (study.stop() needs optimize())
                pass
        return Grid({d.name: d.grid() for d in dims}, seed=seed)
    return {"random": optuna.samplers.RandomSampler, "tpe": optuna.samplers.TPESampler,
            "nsga2": optuna.samplers.NSGAIISampler}[name](seed=seed)


def worker_seed(seed, sampler_name: str):
    """The study's seed made this worker's own: every worker seeded alike would propose the
    same parameters as the others. Not a grid's: its seed shuffles the grid, and trial number n
    is point n of that order, so every worker must shuffle it alike (else two workers run one
    point twice and miss another)."""
    if seed is None or sampler_name == "grid":
        return seed
    return zlib.crc32(f"{seed}:{socket.gethostname()}:{os.getpid()}".encode()) & 0x7FFFFFFF


def pruner(name: str):
    import optuna
    return {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
            "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1),
            "none": optuna.pruners.NopPruner}[name]()


def load(storage, name: str):
    """→ (optuna Study with its sampler and pruner, settings dict, dims)."""
    import optuna
    try:
        summaries = {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    except Exception as e:  # noqa: BLE001
        raise SweepError(f"cannot read the studies in the storage: {str(e).splitlines()[0][:200]}") from None
    if name not in summaries:
        raise SweepError(f"there is no study {name!r} in this storage" +
                         (f" (studies: {', '.join(sorted(summaries))})." if summaries else " (it holds none)."))
    study = optuna.load_study(study_name=name, storage=storage)
    settings = study.user_attrs.get(ATTR)
    if not isinstance(settings, dict):
        raise SweepError(f"study {name!r} was not made by cnnstudio sweep: it has no settings to join.")
    dims = parse_space_doc(settings["space"], f"study {name}")
    study.sampler = sampler(settings["sampler"], dims, worker_seed(settings.get("seed"), settings["sampler"]))
    study.pruner = pruner(settings["prune"] if len(settings["objectives"]) == 1 else "none")
    return study, settings, dims


def existing(storage, name: str) -> dict | None:
    """The settings of the study `name` in this storage, or None when there is none yet."""
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return None
    return storage.get_study_user_attrs(study_id).get(ATTR)


def create(storage, name: str, settings: dict):
    """A new study, or the same one again (resume); settings that differ are refused."""
    import optuna
    directions = [OBJECTIVES[o] for o in settings["objectives"]]
    study = optuna.create_study(study_name=name, storage=storage, directions=directions, load_if_exists=True)
    old = study.user_attrs.get(ATTR)
    if old is None:
        study.set_user_attr(ATTR, settings)
        return
    keep = ("space", "objectives", "sampler")
    differ = [k for k in keep if old.get(k) != settings.get(k)]
    if differ:
        raise SweepError(f"study {name!r} already exists with another {', '.join(differ)}; give a new --study "
                         "name, or the same settings to resume it.")
    changed = {k: settings[k] for k in ("trials", "nproc") if old.get(k, 1) != settings[k]}
    if changed:  # a resume may ask for more trials, or run them in another number of processes
        study.set_user_attr(ATTR, {**old, **changed})


# --- counting trials ------------------------------------------------------------------------

def tally(study) -> dict:
    """{"done", "running", "waiting"} trial counts; a failed trial that was queued again
    (stale or interrupted) counts once, through its rerun."""
    from optuna.trial import TrialState
    trials = study.get_trials(deepcopy=False)
    rerun = {n for t in trials for n in t.system_attrs.get("retry_history", [])}
    count = {"done": 0, "running": 0, "waiting": 0}
    for t in trials:
        if t.state == TrialState.RUNNING:
            count["running"] += 1
        elif t.state == TrialState.WAITING:
            count["waiting"] += 1
        elif t.number not in rerun:
            count["done"] += 1
    return count


@contextlib.contextmanager
def slot_lock(storage, url: str):
    """One worker at a time between counting the trials and asking for the next, so N trials
    are N however many workers share the study: a file lock beside SQLite, an advisory lock on
    PostgreSQL (other databases: none, and a study may run a trial or two over)."""
    if url.startswith("sqlite:///"):
        with open(url[len("sqlite:///"):] + ".lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    elif url.startswith("postgresql"):
        from sqlalchemy import text
        with storage.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(724101)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(724101)"))
    else:
        yield


def fail_dead_local(study) -> None:
    """Trials left running by a process of this machine that is gone (a killed sweep): failed
    and queued again now, not after the heartbeat's grace period."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = t.user_attrs.get("worker", {})
        if worker.get("host") == host and not _alive(worker.get("pid")):
            try:
                study._storage.set_trial_user_attr(t._trial_id, "reason", "interrupted: its process was killed")
                if study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL):
                    RetryHeartbeatStaleTrialCallback(max_retry=3, inherit_intermediate_values=True)(
                        study, study._storage.get_trial(t._trial_id))
            except Exception:  # noqa: BLE001 - another worker failed it first
                pass


def _alive(pid) -> bool:
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed worker nobody has reaped yet is a zombie: gone all the same
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True
