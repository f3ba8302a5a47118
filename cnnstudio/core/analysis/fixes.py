"""Turning a check's `Fix` (plain data) into an undoable command, for one-click repair."""
from __future__ import annotations

from ..blocks.spec import Fix
from ..graph.commands import (AddEdge, AddNode, Command, Macro, RemoveEdge, ReplaceNode, SetParams, insert_on_edge,
                       new_node, remove_nodes)
from ..graph import Graph


def fix_command(graph: Graph, node_id: str | None, fix: Fix) -> Command:
    a = fix.args
    if fix.action == "set_params":
        return SetParams(graph, node_id, a["params"])
    if fix.action == "remove_edge":
        return RemoveEdge(graph, *a["edge"])
    if fix.action == "remove_node":
        return remove_nodes(graph, [node_id])
    if fix.action in ("insert_before", "insert_on_edge"):
        edge = tuple(a["edge"]) if "edge" in a else (graph.inputs_of(node_id)[0], node_id)
        pos = _between(graph, *edge)
        node = new_node(graph, a["type"], a.get("params"), pos=pos)
        c = insert_on_edge(graph, edge, node)
        c.label = fix.label
        return c
    if fix.action == "replace_node":
        return replace_node(graph, node_id, a["type"], a.get("params"), fix.label)
    if fix.action == "swap_inputs":  # a two-input block's wires in the other order: the first goes last
        first = graph.inputs_of(node_id)[0]
        return Macro(fix.label, [RemoveEdge(graph, first, node_id), AddEdge(first, node_id)])
    if fix.action == "add_input":
        node = new_node(graph, "Input", a.get("params"), pos=_above(graph, node_id))
        return Macro(fix.label, [AddNode(node), AddEdge(node.id, node_id)])
    raise ValueError(f"unknown fix action {fix.action!r}")


def _between(graph: Graph, a: str, b: str):
    pa, pb = graph.nodes[a].pos, graph.nodes[b].pos
    if pa is None or pb is None:
        return None
    return ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)


def _above(graph: Graph, node_id: str):
    p = graph.nodes[node_id].pos
    return None if p is None else (p[0], p[1] - 120)


def replace_node(graph: Graph, node_id: str, type_: str, params: dict | None, label: str) -> Command:
    """The same node (id, place, wires in their order) as another block type, e.g. the
    Conv1d for a Conv2d fed a signal."""
    node = new_node(graph, type_, params, pos=graph.nodes[node_id].pos, node_id=node_id)
    return ReplaceNode(graph, node_id, node, label)
