"""The textbook layer table as data, text and JSON (shared by the CLI and the editor)."""
from __future__ import annotations

from ..blocks import CATALOGUE
from ..blocks.activations import BLOCK_ACTIVATION
from ..blocks.custom import display_type
from ..blocks.spec import prod
from .checks import Analysis
from .cost import human_bytes, human_count, totals, training_memory
from ..graph import Graph


def activation_of(graph: Graph, node_id: str) -> str:
    node = graph.nodes[node_id]
    if CATALOGUE[node.type].activation_param or "activation" in node.params:  # (composites name theirs)
        act = node.params.get("activation", "none")
        return "" if act == "none" else act
    if node.type in ("ResidualBlock", "InceptionBlock", "InceptionV3Block", "FireBlock", "RegNetBlock",
                     "ShuffleUnit", "DenseBlock", "DenseTransition"):
        return "relu"
    if node.type in ("FusedMBConv", "ConvNeXtBlock"):
        return "silu" if node.type == "FusedMBConv" else "gelu"
    return BLOCK_ACTIVATION.get(node.type, "")


def layer_rows(graph: Graph, a: Analysis) -> list[dict]:
    rows = []
    listed = a.order + [n for n in graph.nodes if n not in a.info]  # nodes on a cycle last
    for nid in listed:
        info = a.info.get(nid)
        out = info.out if info else None
        rows.append({
            "id": nid, "type": graph.nodes[nid].type,
            "output_shape": list(out.shape) if out else None,
            "activation_size": prod(out.shape) if out else None,
            "activation": activation_of(graph, nid),
            "frozen": graph.nodes[nid].frozen,
            "params": out.params if out else None,
            "buffers": out.buffers if out else None,
            "macs": out.macs if out else None,
            "receptive_field": a.receptive(graph, nid)[0] if out else None,
            "errors": [p.message for p in a.problems if p.node == nid and p.severity == "error"],
        })
    return rows


def summary_dict(graph: Graph, a: Analysis, batch_size: int = 32, precision: str = "fp32",
                 dataset_bytes: int = 0) -> dict:
    """`dataset_bytes`: the dataset as held in memory while training, counted in the total."""
    t = totals(a, graph)
    mem = training_memory(a, batch_size, precision)
    mem = mem | {"dataset": dataset_bytes, "total": mem["total"] + dataset_bytes}
    return {"layers": layer_rows(graph, a), **t,
            "output": a.output,
            "training_memory": mem | {"batch_size": batch_size, "precision": precision},
            "errors": [p.to_dict() for p in a.errors],
            "warnings": [p.to_dict() for p in a.problems if p.severity == "warning"]}


def summary_text(graph: Graph, a: Analysis, name: str = "", batch_size: int = 32, dataset_bytes: int = 0) -> str:
    rows = layer_rows(graph, a)
    head = ("Layer", "Type", "Output shape", "Size", "Activation", "Params", "MACs")
    table = [head]
    for r in rows:
        shape = ("[" + ", ".join(map(str, r["output_shape"])) + "]" if r["output_shape"]
                 else "error" if r["errors"] else "?")
        table.append((r["id"], display_type(r["type"], graph.nodes[r["id"]].params), shape, _n(r["activation_size"]), r["activation"] or "-",
                      _n(r["params"]), human_count(r["macs"]) if r["macs"] is not None else "-"))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    right = {3, 5, 6}

    def line(row):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "-" * len(line(head))
    out = [name] if name else []
    out += [rule, line(head), rule] + [line(r) for r in table[1:]] + [rule]
    t = totals(a, graph)
    mem = training_memory(a, batch_size)
    if a.errors:
        out.append("(totals count only the layers before the first error; ? = unknown until it is fixed)")
    out += [f"Total parameters:     {t['total_params']:,}",
            f"  trainable:          {t['trainable_params']:,}"
            + (f" ({t['frozen_params']:,} frozen)" if t["frozen_params"] else ""),
            f"Running statistics:   {t['buffers']:,} (BatchNorm mean and variance; not trained)",
            f"Multiply-adds (MACs): {t['macs']:,} per image ({human_count(t['macs'])})",
            f"Weights:              {human_bytes(4 * (t['total_params'] + t['buffers']))} (fp32)",
            f"Training memory:      ≈{human_bytes(mem['total'] + dataset_bytes)} at batch {batch_size}, fp32, Adam "
            f"(activations {human_bytes(mem['activations'])}"
            + (f", dataset {human_bytes(dataset_bytes)})" if dataset_bytes else ")")]
    errors = a.errors
    warnings = [p for p in a.problems if p.severity == "warning"]
    if errors:
        out.append(f"\n{len(errors)} error(s):")
        out += [f"  ✗ {p.message}" + (f"  [fix: {p.fix.label}]" if p.fix else "") for p in errors]
    if warnings:
        out.append(f"\n{len(warnings)} warning(s):")
        out += [f"  ! {p.message}" for p in warnings]
    return "\n".join(out)


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"
