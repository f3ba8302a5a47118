"""Does the network fit its dataset? Input shape and head against the project's dataset
section, as pinned Problems with one-click fixes — without loading any data or torch.

The editor shows these beside the graph's own checks; the Training dock and pre-flight use them too.
"""
from __future__ import annotations

from ..blocks.spec import Fix
from ..checks import Analysis, Problem
from ..data.registry import check_dataset_spec, classes_for, shape_for
from ..graph import Graph
from .head import find_head, head_problem


def fit_problems(graph: Graph, analysis: Analysis, spec: dict) -> list[Problem]:
    if not spec or not spec.get("id"):
        return []  # no dataset chosen yet: nothing to fit
    bad = check_dataset_spec(spec)
    if bad:
        return [Problem("warning", bad[0].upper() + bad[1:], code="dataset_spec")]
    shape, classes = shape_for(spec), classes_for(spec)
    inputs = [n for n in graph.nodes.values() if n.type == "Input"]
    if inputs and shape and list(inputs[0].params["shape"]) != shape:
        node = inputs[0]
        return [Problem("warning", f"{node.id}: the Input is {list(node.params['shape'])} but the dataset's "
                        f"images are {shape}.", node=node.id,
                        fix=Fix(f"Set {node.id} to {shape}", "set_params", {"params": {"shape": shape}}),
                        code="dataset_input")]
    if analysis.ok and classes:
        message, fix = head_problem(find_head(graph, analysis), len(classes), spec.get("task", "classify"), classes)
        if message:
            node = fix["node"] if fix else analysis.output
            label = f"Set {node} " + ", ".join(f"{k} = {v}" for k, v in fix["params"].items()) if fix else ""
            return [Problem("warning", message, node=node,
                            fix=Fix(label, "set_params", {"params": fix["params"]}) if fix else None,
                            code="dataset_head")]
    return []
