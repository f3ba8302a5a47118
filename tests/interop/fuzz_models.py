"""Hostile model files for the fuzzer (bench/fuzz.py --target onnx|weights|runs) and its small
run in the suite: mutations of files CNN Studio wrote itself, each driven through the command a
user would run, in-process. A case fails when a traceback escapes (or is printed), when the
command's answer is more than one line, or when a failed command left a file behind."""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import struct
from pathlib import Path

TARGETS = ("onnx", "weights", "runs")


class Seeds:
    """The clean files every case mutates: written once per process into `folder`."""

    def __init__(self, folder: Path):
        from cnnstudio.cli import main
        from cnnstudio.core import Graph, Project, save_project
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        g = Graph()
        x = g.add("Input", shape=[1, 12, 12])
        x = g.add("Conv2d", x, out_channels=4, kernel_size=3, padding=1, activation="relu")
        x = g.add("BatchNorm2d", x)
        x = g.add("MaxPool2d", x, kernel_size=2)
        x = g.add("Flatten", x)
        g.add("Linear", x, out_features=3)
        self.project = folder / "seed.cnnproj"
        save_project(Project("seed", g, {"id": "shapes", "image_size": 12, "count": 60, "channels": 1,
                                         "classes": ["circle", "square", "cross"]},
                             {"epochs": 1, "batch_size": 16, "cpu_threads": 1}), self.project)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["export", str(self.project), "-o", str(folder / "seed.onnx")]) == 0
            assert main(["export", str(self.project), "-o", str(folder / "seed.py")]) == 0
            assert main(["train", str(self.project), "--out", str(folder / "run")]) == 0
        import onnx
        self.onnx = onnx.load(str(folder / "seed.onnx"))
        self.weights = (folder / "seed.safetensors").read_bytes()
        plain = onnx.load(str(folder / "seed.onnx"))
        del plain.metadata_props[:]
        self.onnx_plain = plain


# --- mutations ---------------------------------------------------------------------------------

def _flip(data: bytes, rng: random.Random, n: int = 4) -> bytes:
    b = bytearray(data)
    for _ in range(n):
        if b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    return bytes(b)


def mutate_onnx(seeds: Seeds, rng: random.Random) -> bytes:
    from onnx import AttributeProto, helper
    m = type(seeds.onnx)()
    m.CopyFrom(seeds.onnx if rng.random() < 0.3 else seeds.onnx_plain)
    g = m.graph
    for _ in range(rng.randint(1, 3)):
        nodes = list(g.node)
        node = rng.choice(nodes)
        kind = rng.randrange(12)
        if kind == 0 and node.attribute:  # drop an attribute
            del node.attribute[rng.randrange(len(node.attribute))]
        elif kind == 1 and node.attribute:  # retype one
            a = rng.choice(node.attribute)
            value = rng.choice(["two", 0, -1, 1.5, [0, 0], [1, 1, 1], [10 ** 12] * 2, [], b"\xff"])
            a.CopyFrom(helper.make_attribute(a.name, value) if value != [] else AttributeProto(name=a.name))
        elif kind == 2:  # blow a dim up
            t = rng.choice(list(g.initializer) or [None])
            if t is not None and t.dims:
                t.dims[rng.randrange(len(t.dims))] = rng.choice([0, -1, 10 ** 12, 2 ** 40])
            elif g.input and g.input[0].type.tensor_type.shape.dim:
                dims = g.input[0].type.tensor_type.shape.dim
                dims[rng.randrange(len(dims))].dim_value = rng.choice([0, 10 ** 12])
        elif kind == 3 and len(nodes) > 1:  # reorder into a cycle / out of order
            i, j = rng.sample(range(len(nodes)), 2)
            if nodes[i].input and nodes[j].output:
                nodes[i].input[0] = nodes[j].output[0]
        elif kind == 4 and len(nodes) > 1:  # swap two nodes
            i, j = rng.sample(range(len(nodes)), 2)
            a, b = type(nodes[i])(), type(nodes[j])()
            a.CopyFrom(nodes[i]), b.CopyFrom(nodes[j])
            g.node[i].CopyFrom(b), g.node[j].CopyFrom(a)
        elif kind == 5:  # an unknown or different op
            node.op_type = rng.choice(["FancyConv", "Gemm", "Conv", "Constant", "MaxPool", "Relu", "Reshape", ""])
        elif kind == 6 and g.initializer:  # drop a weight
            del g.initializer[rng.randrange(len(g.initializer))]
        elif kind == 7 and g.output and nodes[0].output:  # dangling output
            g.output[0].name = rng.choice(["nowhere", nodes[0].output[0], ""])
        elif kind == 8 and g.initializer:  # a weight of another rank
            t = rng.choice(list(g.initializer))
            t.dims[:] = list(t.dims[:-1]) if len(t.dims) > 1 else [1, 1] + list(t.dims)
        elif kind == 9:  # a Constant without a value, or with two
            c = helper.make_node("Constant", [], [rng.choice(["k", node.input[0] if node.input else "k"])])
            g.node.insert(rng.randrange(len(nodes) + 1), c)
        elif kind == 10:  # metadata: deep, huge or garbage
            e = m.metadata_props.add()
            e.key = "cnnstudio.project"
            e.value = rng.choice(["[" * 200_000 + "]" * 200_000, "{", '{"nodes": 1}', '{"nodes": [{"id": 1}]}'])
        elif kind == 11:  # an input from nowhere
            node.input.append(rng.choice(["ghost", ""]))
    data = m.SerializeToString()
    return _flip(data, rng, rng.randint(1, 8)) if rng.random() < 0.15 else data


def mutate_weights(seeds: Seeds, rng: random.Random) -> tuple[bytes, str]:
    """→ (file bytes, suffix). safetensors headers retyped, truncated, bit-flipped; torch files
    holding sparse, meta, NaN or odd-dtype tensors."""
    import torch
    from safetensors.torch import load, save
    kind = rng.randrange(8)
    sd = load(seeds.weights)
    if kind == 0:
        return seeds.weights[:rng.randrange(len(seeds.weights))], ".safetensors"
    if kind == 1:
        return _flip(seeds.weights, rng, rng.randint(1, 16)), ".safetensors"
    if kind == 2:  # the header rewritten
        n = struct.unpack("<Q", seeds.weights[:8])[0]
        head = json.loads(seeds.weights[8:8 + n])
        key = rng.choice([k for k in head if k != "__metadata__"])
        field = rng.choice(["dtype", "shape", "data_offsets"])
        head[key][field] = rng.choice(["F8_E4M3", "BOOL", "C64", "I8", [10 ** 12], [0, 10 ** 15], [-1], "x", None])
        body = json.dumps(head).encode()
        return struct.pack("<Q", len(body)) + body + seeds.weights[8 + n:], ".safetensors"
    k = rng.choice([k for k, v in sd.items() if v.is_floating_point()] if kind == 3 else list(sd))
    if kind == 3:
        sd[k] = sd[k].clone().fill_(rng.choice([float("nan"), float("inf")]))
    elif kind == 4:
        sd[k] = sd[k].to(rng.choice([torch.float16, torch.bfloat16, torch.int8, torch.bool, torch.complex64,
                                     torch.float64, torch.uint8]))
    elif kind == 5:
        sd[k] = torch.zeros(rng.choice([(0,), (7,), (1, 2, 3, 4, 5)]))
    if kind <= 5:
        return save(sd), ".safetensors"
    buf = io.BytesIO()
    if kind == 6:
        sd[k] = sd[k].to_sparse() if rng.random() < 0.5 else sd[k].to("meta")
    else:
        sd = {k: v.to("meta") for k, v in sd.items()} if rng.random() < 0.5 else [1, 2]
    torch.save(sd, buf)
    return buf.getvalue(), ".pt"


def mutate_run(seeds: Seeds, rng: random.Random, folder: Path) -> None:
    """A copy of the seed run in `folder`, damaged the ways disks and people damage them."""
    shutil.copytree(seeds.folder / "run", folder, symlinks=True)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for _ in range(rng.randint(1, 3)):
        f = rng.choice(files)
        kind = rng.randrange(7)
        if f.is_symlink() or not f.is_file():
            continue
        data = f.read_bytes()
        if kind == 0:
            f.write_bytes(data[:rng.randrange(len(data) + 1)])
        elif kind == 1:
            f.write_bytes(_flip(data, rng, rng.randint(1, 8)))
        elif kind == 2:
            f.unlink()
        elif kind == 3 and f.suffix == ".json":
            f.write_text(rng.choice(['{"last": 99, "best": 1}', '{"last": "1"}', "[]", "null", '{"last": 0}',
                                     '{"epoch": -1}', '{"last": 1, "best": 10000000000000000000000}']))
        elif kind == 4:
            f.unlink()
            f.mkdir()
        elif kind == 5:
            f.unlink()
            os.symlink(f.name, f)  # a loop
        elif kind == 6 and f.suffix == ".safetensors":
            data, _ = mutate_weights(seeds, rng)
            f.write_bytes(data)


# --- driving -----------------------------------------------------------------------------------

def _call(argv: list[str]) -> tuple[int | None, str]:
    from cnnstudio.cli import main
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    except SystemExit as e:  # argparse's exit 2 is an answer, not a crash
        code = e.code if isinstance(e.code, int) else 2
    except BaseException as e:  # noqa: BLE001 - what the fuzzer is looking for
        return None, f"{type(e).__name__}: {str(e)[:160]}"
    return code, err.getvalue()


def _listing(folder: Path) -> set:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def drive(seeds: Seeds, target: str, rng: random.Random, work: Path) -> tuple[str, str | None]:
    """One case → (outcome, crash signature or None)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if target == "onnx":
        src = work / "m.onnx"
        src.write_bytes(mutate_onnx(seeds, rng))
        argv = ["import", str(src), "-o", str(work / "out.cnnproj")]
        outputs = {"out.cnnproj", "out.safetensors"}
    elif target == "weights":
        data, suffix = mutate_weights(seeds, rng)
        proj = json.loads(seeds.project.read_text())
        proj["weights"] = "w" + suffix
        (work / "p.cnnproj").write_text(json.dumps(proj))
        (work / ("w" + suffix)).write_bytes(data)
        argv = ["export", str(work / "p.cnnproj"), "--format", "pytorch", "-o", str(work / "out.py")]
        outputs = {"out.py", "out.safetensors"}
    else:
        mutate_run(seeds, rng, work / "run")
        argv = ["export", str(seeds.project), "--run", str(work / "run"), "--checkpoint",
                rng.choice(["best", "last"]), "-o", str(work / "out.py")]
        outputs = {"out.py", "out.safetensors"}
    before = _listing(work)
    code, err = _call(argv)
    if code is None:
        return "crash", f"{target}: {err.splitlines()[0][:120]}"
    if "Traceback" in err:
        return "crash", f"{target}: traceback printed: {err.strip().splitlines()[-1][:120]}"
    new = _listing(work) - before
    if code == 0:
        return ("ok", None) if new <= outputs else ("crash", f"{target}: wrote {sorted(new - outputs)}")
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    if new:
        return "crash", f"{target}: exit {code} but wrote {sorted(new)[:3]}"
    if len(lines) != 1:
        return "crash", f"{target}: exit {code} with {len(lines)} lines: {' | '.join(lines)[:160]}"
    return "refused", None
