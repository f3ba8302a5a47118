"""The arithmetic behind a node's numbers, with its values filled in (for the Explain view)."""
from __future__ import annotations

from ..blocks import CATALOGUE
from ..blocks.custom import display_type
from .checks import Analysis
from ..graph import Graph


def explain(graph: Graph, analysis: Analysis, node_id: str) -> list[str]:
    node = graph.nodes[node_id]
    spec = CATALOGUE[node.type]
    info = analysis.info.get(node_id)
    if info is None or info.out is None:
        problems = analysis.problems_for(node_id)
        if problems:
            return [p.message for p in problems]
        return ["output unknown: fix the errors before this block first"]
    out = info.out
    ins = " + ".join("[" + ", ".join(map(str, s)) + "]" for s in info.in_shapes or [])
    what = display_type(node.type, node.params)  # a user block by its name
    lines = [f"{what} {node_id}: {ins or 'no input'} → [{', '.join(map(str, out.shape))}]"]
    if spec.explain:
        lines += spec.explain(node.params, info.in_shapes or [], out)
    elif not out.params:
        lines.append("shape unchanged; no parameters")
    act = node.params.get("activation", "none")
    if spec.activation_param and act != "none":
        lines.append(f"then {act} on every output value")
    rf, jump = analysis.receptive(graph, node_id)
    lines.append(f"receptive field {rf}×{rf} input pixels; cumulative stride {jump}")
    return lines
