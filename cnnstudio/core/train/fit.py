"""Does the network fit its dataset? Input shape and head against the project's dataset
section, as pinned Problems with one-click fixes — without loading any data or torch.

The editor shows these beside the graph's own checks; the Training dock and pre-flight use them too.
"""
from __future__ import annotations

from ..blocks.spec import Fix
from ..checks import Analysis, Problem
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
        return [Problem("warning", message, node=fix["node"],
                        fix=Fix(f"Set {fix['node']} to {shape}", "set_params", {"params": fix["params"]}),
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
