"""A tiny project and helpers for the sweep tests: a few hundred 16-pixel images, 1–2 epochs,
`cnnstudio sweep` run as a user runs it (a process), and a PostgreSQL server of our own."""
from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cnnstudio.core import Graph, Project, save_project

ROOT = Path(__file__).resolve().parents[2]
SHAPES = {"id": "shapes", "image_size": 16, "count": 240, "classes": ["circle", "square", "cross"]}


def tiny_project(**training) -> Project:
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16], id="input")
    x = g.add("Conv2d", x, id="c1", out_channels=4, kernel_size=3, padding=1, activation="relu")
    x = g.add("MaxPool2d", x, id="pool", kernel_size=2)
    x = g.add("Flatten", x, id="flat")
    g.add("Linear", x, id="fc", out_features=3)
    return Project("tiny", g, dict(SHAPES), {"epochs": 1, "batch_size": 32, "optimizer": "sgd", "lr": 0.05,
                                              **training})


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "tiny.cnnproj"
    save_project(tiny_project(), path)
    return path


def cli(*args, cwd=None, **kw) -> subprocess.Popen:
    """`cnnstudio ARGS` in its own process, as a person runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cnnstudio", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(cwd or ROOT), **kw)


def finish(proc, timeout=120) -> tuple[int, list[dict], str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, [json.loads(line) for line in out.splitlines() if line.startswith("{")], err


def run_jsons(runs: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*/run.json"))]


# --- a PostgreSQL server in a temporary folder ---------------------------------------------------

def _postgres_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found += [shutil.which("initdb")] if shutil.which("initdb") else []
    return os.path.dirname(found[-1]) if found else None


@contextlib.contextmanager
def postgres_server():
    """→ a SQLAlchemy URL of a fresh cluster; stopped and removed afterwards. The server refuses to
    run as root, so as root it runs as an unprivileged user (postgres or nobody)."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed here (e.g. apt install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("the psycopg driver is not installed (pip install 'psycopg[binary]')")
    folder = tempfile.mkdtemp(prefix="cnnstudio-pg-")
    as_user = []
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _user(u)), None)
        if user is None or not shutil.which("runuser"):
            pytest.skip("running as root with no unprivileged user (postgres, nobody) to run the server as")
        os.chown(folder, _user(user).pw_uid, _user(user).pw_gid)
        as_user = ["runuser", "-u", user, "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = os.path.join(folder, "data")
    subprocess.run(as_user + [f"{bindir}/initdb", "-D", data, "-U", "sweep", "-A", "trust", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(folder, "log"), "-w", "-o",
                              f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://sweep@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None
