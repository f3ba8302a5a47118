"""Import coverage over timm's CNNs (`python bench/interop.py timm ...` runs this).

Each CNN timm lists is built on the CPU (random weights, nothing downloaded, eval mode), imported
at 224 px on `cnnstudio import timm:NAME`'s code path and its compiled graph compared with timm's
own forward (max |difference| over the output's largest magnitude; "exact" is ≤ 1e-5).
Results go one JSON line per model into OUT/timm.jsonl, so a run can stop and resume (models
already there are skipped) and several processes can share one folder: each model is claimed
by a file under OUT/claims, written by one process alone. A claim left by a process that died
(its pid gone) marks the model "crashed" once, instead of killing the next process too.
"""
from __future__ import annotations

import collections
import json
import os
import signal
import time
import warnings
from pathlib import Path

# The rule for "not a CNN": timm architecture files whose models mix tokens by attention
# (vision transformers and hybrids), by MLPs over tokens, by recurrence or state spaces ...
NOT_CNN_FILES = (
    "beit", "byoanet", "cait", "coat", "convit", "crossvit", "csatv2", "davit", "deepseek_vit", "deit", "edgenext",
    "efficientformer", "efficientformer_v2", "efficientvim", "efficientvit_mit", "efficientvit_msra", "eva",
    "focalnet", "gcvit", "gemma4_vit", "hiera", "hieradet_sam2", "iformer", "levit", "lowformer", "maxxvit",
    "mlp_mixer", "mobilenetv5", "mobilevit", "mvitv2", "naflexvit", "nest", "nextvit", "pit", "pvt_v2", "qwen3_vit",
    "sequencer", "shvit", "swiftformer", "swin_transformer", "swin_transformer_v2", "swin_transformer_v2_cr",
    "tiny_vit", "tnt", "twins", "visformer", "vision_transformer", "vision_transformer_hybrid",
    "vision_transformer_relpos", "vision_transformer_sam", "vitamin", "volo", "xcit")
# ... and, inside files that are otherwise convolutional, the model names whose stages use attention
NOT_CNN_NAMES = ("caformer", "mobilenetv4_hybrid", "fastvit_sa", "fastvit_ma", "fastvit_mci")
EXACT = 1e-5


def family(name: str) -> str:
    """The timm file that defines the model (resnet, efficientnet, ...)."""
    from timm.models import _registry
    return _registry._model_to_module.get(name, "?").split(".")[-1]  # noqa: SLF001 - timm's own index


def is_cnn(name: str) -> bool:
    return family(name) not in NOT_CNN_FILES and not name.startswith(NOT_CNN_NAMES)


def plan(names, per_family: int = 0) -> list:
    """The CNNs among `names`, taken round-robin over families (first of every family, then the
    second, ...) so that a run stopped early still covers every family evenly."""
    by = collections.defaultdict(list)
    for n in names:
        if is_cnn(n):
            by[family(n)].append(n)
    rounds = max(map(len, by.values()), default=0) if not per_family else per_family
    return [ms[i] for i in range(rounds) for ms in by.values() if i < len(ms)]


def read(out: Path) -> dict:
    results = {}
    path = out / "timm.jsonl"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                results[r["name"]] = r
    return results


def _append(out: Path, record: dict) -> None:
    # one write of one line to a file opened for appending: lines from several processes never mix
    fd = os.open(out / "timm.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


def _claim(out: Path, name: str) -> bool:
    claims = out / "claims"
    claims.mkdir(exist_ok=True)
    path = claims / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        try:
            pid = int(path.read_text() or 0)
            os.kill(pid, 0)
            return False  # another live process has it
        except (ProcessLookupError, ValueError):
            # its process died on it (memory, a hard crash): say so once, never retry it blindly
            if name not in read(out):
                _append(out, {"name": name, "family": family(name), "kind": "crashed",
                              "reason": "the process importing it died (out of memory or a hard crash)"})
            return False
        except PermissionError:
            return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


class _Timeout(Exception):
    pass


def one(name: str, size: int, max_params: float, timeout: float) -> dict:
    """Import one model and check it: the record written for it."""
    import timm
    import torch

    from cnnstudio.core.interop import InteropError, import_model

    record = {"name": name, "family": family(name)}
    t = time.perf_counter()
    try:
        with torch.device("meta"):
            params = sum(p.numel() for p in timm.create_model(name).parameters())
    except Exception as e:  # noqa: BLE001 - a model timm cannot build is named, not fatal
        return {**record, "kind": "no-build", "reason": f"{type(e).__name__}: {str(e)[:160]}"}
    record["params"] = params
    if params > max_params:
        return {**record, "kind": "too-large", "reason": f"{params / 1e6:.0f} M parameters (over {max_params / 1e6:.0f} M)"}

    def alarm(*_):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(int(timeout))
    try:
        torch.manual_seed(0)
        imported = import_model(f"timm:{name}", input_shape=(3, size, size))
        types = [n.type for n in imported.graph.nodes.values()]
        diff = _relative_diff(imported, size)
        kept = sorted({n.params.get("class_name", "?").split(".")[-1]
                       for n in imported.graph.nodes.values() if n.type == "TorchModule"})
        record.update(blocks=len(types), torch_module=types.count("TorchModule"), kept=kept, diff=diff,
                      kind="inexact" if diff > EXACT else "kept" if kept else "exact")
        if diff > EXACT:
            record["reason"] = f"outputs differ by {diff:.1e} of their size"
    except _Timeout:
        record.update(kind="timeout", reason=f"over {timeout:.0f} s")
    except InteropError as e:
        record.update(kind="refused", reason=str(e)[:300])
        try:  # timm's own model failing at this size is not ours to refuse
            with torch.no_grad():
                timm.create_model(name).eval()(torch.zeros(1, 3, size, size))
        except Exception as own:  # noqa: BLE001
            record.update(kind="no-build", reason=f"timm's model does not run at {size} px: {type(own).__name__}: "
                                                  f"{str(own)[:120]}")
    except Exception as e:  # noqa: BLE001 - timm's own failure (at 224 px, on the CPU) is named, not fatal
        record.update(kind="no-build", reason=f"{type(e).__name__}: {str(e)[:160]}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    record["seconds"] = round(time.perf_counter() - t, 2)
    return record


def _relative_diff(imported, size: int) -> float:
    """importer.verify's check, relative to the output's size, with one forward of each model, on
    the network compiled on the CPU as training gets it (verify's meta-device copy leaves buffers
    outside the state dict, like BlurPool2d's filter, unset)."""
    import torch

    from cnnstudio.core.build.compiler import compile_graph
    net = compile_graph(imported.graph)
    net.load_state_dict(imported.weights, strict=True)
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want, got = imported.reference(x), net.eval()(x)
    return (want - got).abs().max().item() / max(1.0, want.abs().max().item())


def run(out: Path, names, size: int, max_params: float, timeout: float, budget: float) -> None:
    import torch
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for name in names:
        if budget and time.perf_counter() - start > budget:
            break
        if name in read(out) or not _claim(out, name):
            continue
        try:
            record = one(name, size, max_params, timeout)
        except KeyboardInterrupt:
            (out / "claims" / name).unlink(missing_ok=True)  # stopped by the user: free to take again
            raise
        _append(out, record)
        print(f"{name:<40}{record['kind']:<9}{record.get('blocks', ''):>5} blocks "
              f"{record.get('torch_module', ''):>3} PyTorch-module {record.get('seconds', '')} s "
              f"{record.get('reason', '')[:100]}", flush=True)


def summary(out: Path, names, excluded, per_model: bool = False) -> str:
    results = read(out)
    done = [results[n] for n in names if n in results]
    count = collections.Counter(r["kind"] for r in done)
    tried = len(done) - count["no-build"] - count["too-large"]
    exact = count["exact"] + count["kept"]
    lines = [f"{len(names)} timm CNNs; {len(excluded)} models excluded as not CNNs "
             f"(files: {', '.join(sorted({family(n) for n in excluded if family(n) in NOT_CNN_FILES}))}; "
             f"names starting {', '.join(NOT_CNN_NAMES)})",
             f"done {len(done)} of {len(names)} ({len(names) - len(done)} not run yet)",
             f"{exact} of {tried} exact, {count['kept']} of them with PyTorch-module blocks; inexact {count['inexact']};"
             f" refused {count['refused']}; timed out {count['timeout']}; crashed {count['crashed']};"
             f" not built at 224 px on the CPU {count['no-build']}; over the size limit {count['too-large']}"]
    fams = collections.defaultdict(list)
    for r in done:
        fams[r["family"]].append(r)
    heads = {}
    for n in names:  # the first model timm lists in each family
        heads.setdefault(family(n), n)
    first = [results[n] for n in heads.values() if n in results and results[n]["kind"] not in ("no-build", "too-large")]
    lines.append(f"by family (first model of each): {sum(r['kind'] in ('exact', 'kept') for r in first)} of "
                 f"{len(first)} exact ({len(heads)} families)")
    kept = collections.Counter(c for r in done for c in r.get("kept", []))
    if kept:
        lines.append("kept as PyTorch-module blocks (models): " + ", ".join(f"{c} {k}" for c, k in kept.most_common()))
    if done:
        blocks = sorted(r["blocks"] for r in done if "blocks" in r)
        if blocks:
            lines.append(f"blocks on the canvas: median {blocks[len(blocks) // 2]}, max {blocks[-1]}")
    lines.append("| family | models run | exact | with PyTorch-module blocks | blocks on the canvas |")
    lines.append("|---|---|---|---|---|")
    for fam, rs in sorted(fams.items()):
        ok = [r for r in rs if r["kind"] in ("exact", "kept")]
        blocks = sorted(r["blocks"] for r in ok)
        span = f"{blocks[0]}–{blocks[-1]}" if blocks and blocks[0] != blocks[-1] else str(blocks[0]) if blocks else "–"
        lines.append(f"| {fam} | {len(rs)} | {len(ok)} | {sum(r['kind'] == 'kept' for r in rs)} | {span} |")
    reasons = collections.Counter()
    for r in done:
        if r["kind"] not in ("exact", "kept"):
            reasons[(r["kind"], r.get("reason", "")[:150])] += 1
    lines += ["not exact, most frequent first:"] + [
        f"  {c:>3} × {k}: {why}  [{', '.join(r['name'] for r in done if r.get('reason', '')[:150] == why)[:200]}]"
        for (k, why), c in reasons.most_common()]
    if per_model:
        lines += [f"{r['name']:<40}{r['kind']:<9}{r.get('blocks', ''):>5} blocks {r.get('torch_module', ''):>3} "
                  f"PyTorch-module  {', '.join(r.get('kept', []))}" for r in done]
    return "\n".join(lines)
