"""Files of an earlier format version read as they were meant.

Version 2 made three block defaults PyTorch's own (DeformConv2d padding 0, ConvTranspose2d
stride 1, LayerNorm2d eps 1e-5). A version-1 file that leaves one of them out relied on the old
value, so reading it fills that value in; CNN Studio always wrote every parameter, so only
hand-written files ever left one out."""
from __future__ import annotations

import copy

V1_DEFAULTS = {"DeformConv2d": {"padding": 1}, "ConvTranspose2d": {"stride": 2}, "LayerNorm2d": {"eps": 1e-6}}


def upgraded_graph(graph_doc, version: int):
    """`graph_doc` ({"nodes", "edges"}) as the current version reads it: a copy where it changes.
    Anything malformed is left as it is, for the checks to name."""
    if version >= 2 or not isinstance(graph_doc, dict) or not isinstance(graph_doc.get("nodes"), list):
        return graph_doc
    doc = copy.deepcopy(graph_doc)
    _fill(doc["nodes"])
    return doc


def upgraded_block(record, version: int):
    """A user block's record (a Custom node's params) as the current version reads it."""
    if version >= 2 or not isinstance(record, dict) or "graph" not in record:
        return record
    return {**record, "graph": upgraded_graph(record["graph"], version)}


def _fill(nodes: list) -> None:
    for n in nodes:
        if not isinstance(n, dict) or not isinstance(n.get("params", {}), dict):
            continue
        params = n.setdefault("params", {})
        type_ = n.get("type")
        for key, value in (V1_DEFAULTS.get(type_, {}) if isinstance(type_, str) else {}).items():
            params.setdefault(key, value)
        inner = params.get("graph") if n.get("type") == "Custom" else None
        if isinstance(inner, dict) and isinstance(inner.get("nodes"), list):
            _fill(inner["nodes"])
