"""Layer 2, the graph: the network as nodes and wires, its change events, undoable
commands, and its plain-data form (the `graph` of a project file). Builds on the catalogue."""
from .graph import Edge, Graph, GraphEvent, Node

__all__ = ["Edge", "Graph", "GraphEvent", "Node"]
