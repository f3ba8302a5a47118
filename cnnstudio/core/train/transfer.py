"""Transfer learning on the graph (torch-free): freezing the blocks before a block, fitting an
imported network to a dataset (its image size and channels, a new head for its classes), and a
run's best weights adopted as the project's starting weights (a file copy: choosing them in the
window must not load torch on its UI thread)."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..analysis import analyze
from ..graph.commands import SetFrozen, SetParams
from ..graph import Graph
from .head import find_head


def ancestors(graph: Graph, node_id: str) -> list[str]:
    """Every block that feeds `node_id`, directly or not, in graph order."""
    seen, stack = set(), list(graph.inputs_of(node_id))
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(graph.inputs_of(n))
    return [n for n in graph.nodes if n in seen]


def freeze_before(graph: Graph, node_id: str) -> SetFrozen | None:
    """One undoable step: freeze every block with parameters before `node_id`."""
    analysis = analyze(graph)
    ids = [n for n in ancestors(graph, node_id)
           if analysis.info.get(n) and analysis.info[n].out and (analysis.info[n].out.params or analysis.info[n].out.buffers)]
    if not ids:
        return None
    c = SetFrozen(graph, ids, True)
    c.label = f"Freeze the {len(ids)} block(s) before {node_id}"
    return c


def head_layer(graph: Graph) -> str | None:
    """The node holding the classifier's weights (the last Linear)."""
    analysis = analyze(graph)
    head = find_head(graph, analysis) if analysis.ok else None
    return head.layer if head else None


def fit_to_dataset(graph: Graph, dataset_id: str, freeze: bool = False) -> tuple[dict, list[str]]:
    """Adapt an imported network to a built-in dataset, in place. → (the project's dataset
    section, what was changed, in words). The input keeps the network's channels (the dataset's
    images are converted) and takes the dataset's image size where the network accepts it,
    else the images are resized to the network's; the head gets one output per class."""
    from ..data.registry import DATASETS, classes_for, shape_for
    if dataset_id not in DATASETS:
        raise ValueError(f"unknown dataset {dataset_id!r}; `cnnstudio datasets` lists them.")
    spec = {"id": dataset_id}
    have, classes = shape_for(spec), classes_for(spec)
    inp = next(n for n in graph.nodes.values() if n.type == "Input")
    want = list(inp.params["shape"])
    done = []
    if have and have[0] != want[0]:
        spec["channels"] = want[0]
        done.append(f"images converted to {want[0]} channel(s)")
    if have and have[1:] != want[1:]:
        trial = graph.copy()
        trial.nodes[inp.id].params = {**inp.params, "shape": [want[0], *have[1:]]}
        if analyze(trial).ok:
            SetParams(graph, inp.id, {"shape": [want[0], *have[1:]]}).do(graph)
            done.append(f"input set to the dataset's {have[1]}×{have[2]} images")
        else:
            spec["resize"] = want[1:]
            done.append(f"images resized to the network's {want[1]}×{want[2]}")
    head = head_layer(graph)
    if head and classes and graph.nodes[head].type == "Linear" and graph.nodes[head].params["out_features"] != len(classes):
        old = graph.nodes[head].params["out_features"]
        SetParams(graph, head, {"out_features": len(classes)}).do(graph)
        done.append(f"head {head} replaced: {old} → {len(classes)} outputs (new weights)")
    if freeze and head:
        c = freeze_before(graph, head)
        if c:
            c.do(graph)
            done.append(f"{len(c.before)} blocks before the head frozen")
    return spec, done


def adopted_name(project_path, run_dir) -> str:
    """The file name a run's weights get beside the project: <project>-<run>.safetensors."""
    return f"{Path(project_path).stem}-{Path(run_dir).name}.safetensors"


def adopt_run_weights(run_dir, project_path, checkpoint: str = "best") -> str:
    """Copy a run's checkpoint beside the project as its new starting weights (e.g. to fine-tune
    after training the head), atomically. → the file name for the project's "weights".
    ValueError (in the user's terms) when the run has no such checkpoint."""
    from .runs import load_run
    try:
        run = load_run(run_dir)
    except Exception as e:  # noqa: BLE001 - a damaged run folder is one message
        raise ValueError(f"{run_dir}: not a readable run folder ({e}).") from None
    try:
        src = run.checkpoint(checkpoint)
    except (OSError, ValueError):
        src = None
    if src is None or not src.is_file():
        raise ValueError(f"{run_dir} has no checkpoint yet: let it finish an epoch first.")
    name = adopted_name(project_path, run_dir)
    dest = Path(project_path).resolve().parent / name  # where the project's "weights" are looked for
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return name
