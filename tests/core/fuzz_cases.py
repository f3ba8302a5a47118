"""Mutating project files and driving them through the whole pipeline, for the fuzz tests
(tests/core/test_fuzz.py) and bench/fuzz.py.

`mutate(doc, rng)` changes a project dict the way a damaged or hostile file would; `drive(text)`
takes the file's text through load → checks → summary → compile → forward → export → run the
exported code. The only allowed outcomes are success or the project's own error with a
message; anything else is returned as a crash signature ("ExceptionType at file:line").
"""
from __future__ import annotations

import copy
import json
import math
import random
import tempfile
import traceback
from pathlib import Path

from cnnstudio.core import CATALOGUE, ProjectError, analyze, load_project
from cnnstudio.core.build.compiler import CompileError

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sample_projects").glob("*.cnnproj")) + [
    Path(__file__).with_name("user_blocks.cnnproj")]  # nested user blocks, a repeat and a residual one
HOSTILE = [None, True, False, 0, 1, -1, 2, 3, 7, 64, 2 ** 31, 2 ** 63, 10 ** 30, -10 ** 30, 0.5, -0.0, 1e-300,
           1e308, math.inf, -math.inf, math.nan, "", "x", "same", "valid", "relu", "none", "basic", "Conv2d",
           "\x1b[2J\x1b[HAll good, 0 errors", "training", "_modules", "__init__", "a\0b", "é" * 3,
           [], {}, [1], [1, 2], [0, 0], [1, 2, 3], [3, 8, 8], [1, 4096, 4096], [-1, 5], ["a", "b"], [[1]],
           {"id": "x"}, {"nodes": []}]
SMALL_ENOUGH = 2_000_000  # parameters / activation elements above which a case is not run in torch


def sample_docs() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in SAMPLES]


def _paths(doc, prefix=()):
    """Every (container path) in the JSON tree, for picking where to mutate."""
    yield prefix
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        if isinstance(v, (dict, list)):
            yield from _paths(v, prefix + (k,))
        else:
            yield prefix + (k,)


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def mutate(doc: dict, rng: random.Random, n: int | None = None) -> dict:
    """A copy of `doc` with 1–4 random changes: a value replaced by a hostile one, a key or list
    item removed or duplicated, a node's type changed, an edge reversed or dangling."""
    doc = copy.deepcopy(doc)
    for _ in range(n or rng.choice((1, 1, 1, 2, 3, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent, key = _get(doc, path[:-1]), path[-1]
        op = rng.random()
        if op < 0.3:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE))
        elif op < 0.6:
            parent[key] = _plausible(parent[key], rng)
        elif op < 0.65:
            parent.pop(key)
        elif op < 0.72 and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op < 0.82:
            nodes = doc.get("graph", {}).get("nodes") if isinstance(doc.get("graph"), dict) else None
            blocks = [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []
            if blocks:
                rng.choice(blocks)["type"] = rng.choice(sorted(CATALOGUE))
        elif op < 0.9:
            edges = doc.get("graph", {}).get("edges") if isinstance(doc.get("graph"), dict) else None
            e = rng.choice(edges) if isinstance(edges, list) and edges else None
            if isinstance(e, list):
                e.reverse() if rng.random() < 0.5 else e.append("ghost")
        else:
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = rng.choice([value * 2, value + 1, -value, value * 1000, 0])
    return doc


def _plausible(value, rng: random.Random):
    """A value of the same kind: what a slip of the keyboard or a careless edit gives."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([0, 1, -1, value - 1, value + 1, value * 2, value // 2, rng.randint(-3, max(3 * value + 3, 0))])
    if isinstance(value, float):
        return rng.choice([0.0, 1.0, -value, value * 10, rng.uniform(-2, 2)])
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        i = rng.randrange(len(value))
        return value[:i] + [rng.randint(-1, max(2 * value[i] + 2, 0))] + value[i + 1:]
    if isinstance(value, str):
        return rng.choice([value.upper(), value + "x", "", value[:-1]])
    return copy.deepcopy(rng.choice(HOSTILE))


def as_text(doc, rng: random.Random) -> str:
    text = json.dumps(doc, allow_nan=True)
    r = rng.random()
    if r < 0.03:  # cut off, as a failed copy leaves it
        text = text[:rng.randint(0, len(text))]
    elif r < 0.05:  # a byte flipped
        i = rng.randrange(len(text))
        text = text[:i] + chr(rng.randint(0, 255)) + text[i + 1:]
    return text


def drive(text: str, folder: Path | None = None, run_torch: bool = True) -> tuple[str, str | None]:
    """(how far it went: "refused" at load, "invalid" by the checks, "exported", "ran" in torch;
    the crash signature, or None when every stage worked or refused with the project's own message)."""
    from cnnstudio.core.analysis.summary import summary_dict, summary_text
    try:
        with tempfile.TemporaryDirectory(dir=folder) as d:
            path = Path(d) / "fuzz.cnnproj"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            try:
                project = load_project(path)
            except ProjectError as e:
                assert str(e), "an empty message"
                return "refused", None
            a = analyze(project.graph)
            summary_text(project.graph, a, project.name)
            json.dumps(summary_dict(project.graph, a))
            from cnnstudio.core.train.budget import memory_problem
            from cnnstudio.core.train.fit import fit_problems
            fit_problems(project.graph, a, project.dataset)
            memory_problem(a, project.dataset, project.training)
            if not a.ok or a.output is None:
                return "invalid", None
            from cnnstudio.core.build.pytorch_source import ExportError, to_pytorch_source
            try:
                source = to_pytorch_source(project.graph, title=project.name)
            except ExportError as e:  # a block the source exporter says it cannot write: a message
                assert str(e), "an empty message"
                return "not exportable", None
            compile(source, "<export>", "exec")
            if run_torch and _small(a):
                _run_in_torch(project.graph, a, source)
                return "ran", None
            return "exported", None
    except CompileError as e:
        return "crash", f"CompileError on a graph the checks passed: {str(e)[:80]}"
    except Exception as e:  # noqa: BLE001 - this is what the fuzzer looks for
        return "crash", signature(e)


def _small(a) -> bool:
    from cnnstudio.core.analysis.cost import totals
    t = totals(a)
    return t["total_params"] + t["buffers"] <= SMALL_ENOUGH and t["activation_elements"] <= SMALL_ENOUGH


def _run_in_torch(graph, a, source: str) -> None:
    import torch

    from cnnstudio.core.build.compiler import compile_graph
    net = compile_graph(graph, a).eval()
    shape = list(a.info[a.order[0]].shape)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        y = net(x)
    ns: dict = {}
    exec(compile(source, "<export>", "exec"), ns)  # noqa: S102 - code we generated, checked above
    exported = ns["Net"]().eval()
    exported.load_state_dict(net.state_dict())
    with torch.no_grad():
        z = exported(x)
    if not (torch.allclose(y, z, atol=1e-5, equal_nan=True)):
        raise AssertionError("the exported code computes something else than the compiled model")


def signature(e: BaseException) -> str:
    """ExceptionType at the innermost frame inside cnnstudio (or the last one)."""
    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if "cnnstudio" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(e).__name__} at {where}"
