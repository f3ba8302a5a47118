"""Does the network fit its dataset? Input shape and head against the project's dataset
section, as pinned Problems with one-click fixes — without loading any data or torch.

The editor shows these beside the graph's own checks; the Training dock and pre-flight use them too.
"""
from __future__ import annotations

from ..blocks.spec import Fix
from ..analysis import Analysis, Problem
from ..data.registry import DATASETS, check_dataset_spec, classes_for, shape_for
from ..graph import Graph
from .head import find_head, head_problem, input_problem


def task_classifies(spec: dict) -> bool:
    return spec.get("task", "classify") == "classify"


def fit_problems(graph: Graph, analysis: Analysis, spec: dict) -> list[Problem]:
    if not spec or not spec.get("id"):
        return []  # no dataset chosen yet: nothing to fit
    bad = check_dataset_spec(spec)
    if bad:
        return [Problem("warning", bad[0].upper() + bad[1:], code="dataset_spec")]
    shape, classes = shape_for(spec), classes_for(spec)
    message, fix = input_problem(graph, shape, DATASETS[spec["id"]].name) if shape else (None, None)
    if message:
        return [Problem("warning", message, node=fix["node"], fix=_input_fix(graph, fix, shape),
                        code="dataset_input")]
    if analysis.ok and classes:
        message, fix = head_problem(find_head(graph, analysis), len(classes), spec.get("task", "classify"), classes)
        if message:
            node = fix["node"] if fix else analysis.output
            label = f"Set {node} " + ", ".join(f"{k} = {v}" for k, v in fix["params"].items()) if fix else ""
            if fix and "out_features" in fix["params"] and task_classifies(spec):
                label = f"Replace the head {node}: a new Linear with {fix['params']['out_features']} outputs"
            return [Problem("warning", message, node=node,
                            fix=Fix(label, "set_params", {"params": fix["params"]}) if fix else None,
                            code="dataset_head")]
    return []


def _input_fix(graph: Graph, fix: dict, have: list) -> Fix:
    """The fix a person picks first: a network built for larger images (ResNet's 224×224 on
    MNIST) keeps its Input and the images are resized and converted to it; otherwise the Input
    takes the images' shape. Action "set_dataset" merges `args["dataset"]` into the dataset section."""
    want = list(graph.nodes[fix["node"]].params["shape"])
    if len(want) == 3 and len(have) == 3 and want[1] >= have[1] and want[2] >= have[2] and want[0] in (1, 3):
        change = {"resize": want[1] if want[1] == want[2] else want[1:]}
        if want[0] != have[0]:
            change["channels"] = want[0]
        words = f"Resize the images to {want[1]}×{want[2]}" + (
            " in " + ("colour" if want[0] == 3 else "grayscale") if "channels" in change else "")
        return Fix(words, "set_dataset", {"dataset": change})
    return Fix(f"Set {fix['node']} to {have}", "set_params", {"params": fix["params"]})
