"""What every importer returns: the graph, its weights under the compiled model's names, and
notes for the user."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import Graph


@dataclass
class Imported:
    name: str
    graph: Graph
    weights: dict  # compiled-model names → the source's tensors
    source_params: int  # the source model's parameters that the graph holds
    reference: object = None  # the source as a function of a batch, for checking the import
    notes: list = field(default_factory=list)
