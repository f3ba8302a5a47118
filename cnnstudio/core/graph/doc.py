"""A graph as plain data (`{"nodes": [...], "edges": [...]}`, the `graph` of a project file) and
back, validated against the catalogue: the part of the project format that user blocks nest.

Reading only parses JSON and checks it: nothing in a document is ever executed. Every
rejection names the place in the document.
"""
from __future__ import annotations

import difflib
import json

from ..blocks import CATALOGUE
from ..blocks.custom import MAX_DEPTH, exposed_param, form_params, full_params
from ..blocks.params import short_repr, type_error
from .graph import Graph, Node


class ProjectError(ValueError):
    """A project file that cannot be used; the message says where and why."""


def parse_json(text: str, source: str):
    """JSON → Python, as a ProjectError when it cannot be read: broken JSON, nesting deeper than a
    parser can follow, integers too long to be any setting. Non-finite numbers (NaN, 1e400) are
    read and then refused where they stand, by the checks of that key."""
    try:
        return json.loads(text, parse_int=_int)
    except json.JSONDecodeError as e:
        body = text.strip()
        cut = body.startswith("{") and not body.endswith("}")
        hint = " The file looks cut off (truncated): restore it from a backup or the recovery journal." if cut else ""
        raise ProjectError(f"{source}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}.{hint}") from None
    except RecursionError:
        raise ProjectError(f"{source}: not a CNN Studio project: its JSON is nested too deeply to read.") from None
    except ValueError as e:
        raise ProjectError(f"{source}: {e}") from None


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 30:
        raise ValueError(f"it holds a whole number of {len(text.lstrip('-')):,} digits, too large for any setting.")
    return int(text)


def graph_from_doc(doc, depth: int = 0) -> Graph:
    """{"nodes": [...], "edges": [...]} → a Graph, validated as a project's graph is (ProjectError)."""
    def fail(where: str, what: str):
        raise ProjectError(f"{where}: {what}" if where else what)
    if not isinstance(doc, dict):
        fail("graph", "must be an object with nodes and edges.")
    return parse_graph(doc, fail, depth)


def graph_to_doc(g: Graph) -> dict:
    return {"nodes": [node_doc(n) for n in g.nodes.values()], "edges": [list(e) for e in g.edges]}


def check_custom(params, where: str, fail, depth: int) -> dict:
    """A user block's params (a Custom node's, or a record of the blocks list), complete and
    valid; its inner graph is checked like the project's, at most MAX_DEPTH user blocks deep."""
    if not isinstance(params, dict):
        fail(where, "must be an object with name, graph, expose, values and repeat.")
    if depth >= MAX_DEPTH:
        fail(where, f"user blocks are nested more than {MAX_DEPTH} deep; a block cannot contain itself.")
    p = full_params(params)
    name = p["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        fail(f"{where}.name", f"must be a name of 1 to 80 characters, not {short_repr(name)}.")
    inner_fail = lambda w, what: fail(f"{where}.{w}" if w else f"{where}.graph", what)  # noqa: E731
    if not isinstance(p["graph"], dict):
        fail(f"{where}.graph", "must be an object with nodes and edges.")
    inner = parse_graph(p["graph"], inner_fail, depth + 1)
    for key, kind in (("expose", dict), ("values", dict)):
        if not isinstance(p[key], kind):
            fail(f"{where}.{key}", f"must be an object {{...}}, not {type(p[key]).__name__}.")
    repeat = p["repeat"]
    msg = type_error(CATALOGUE["Custom"].param("repeat"), repeat)
    if msg:
        fail(f"{where}.repeat", msg + ".")
    values = dict(p["values"])
    for key, targets in p["expose"].items():
        w = f"{where}.expose.{key}"
        if not key.isidentifier() or key in ("repeat",) + tuple(p):
            fail(w, f"{short_repr(key)} cannot name a parameter (letters, digits and _; not repeat).")
        if not (isinstance(targets, list) and targets and all(
                isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in targets)):
            fail(w, f'must list the inner parameters it sets, as [["node id", "parameter"], ...], not {short_repr(targets)}.')
        for nid, pname in targets:
            node = inner.nodes.get(nid)
            if node is None:
                fail(w, f'refers to "{nid}", which is not a block of its inner graph.')
            if pname not in [q.name for q in form_params(node.type, node.params)]:
                fail(w, f"{nid} ({node.type}) has no parameter {short_repr(pname)}.")
        if key not in values:
            nid, pname = targets[0]
            node = inner.nodes[nid]
            values[key] = node.params["values"][pname] if pname in node.params.get("expose", {}) else node.params[pname]
        msg = type_error(exposed_param(p, key), values[key])
        if msg:
            fail(f"{where}.values.{key}", msg + ".")
    unknown = set(values) - set(p["expose"])
    if unknown:
        fail(f"{where}.values", f"sets {sorted(unknown)}, which the block does not expose.")
    return {**p, "graph": graph_to_doc(inner), "values": values}


def parse_graph(doc: dict, fail, depth: int = 0) -> Graph:
    nodes, edges = doc.get("nodes"), doc.get("edges", [])
    if not isinstance(nodes, list):
        fail("graph.nodes", "must be a list of blocks.")
    if not isinstance(edges, list):
        fail("graph.edges", "must be a list of [source, target] pairs.")
    g = Graph()
    for i, n in enumerate(nodes):
        where = f"graph.nodes[{i}]"
        if not isinstance(n, dict):
            fail(where, "must be an object with id, type and params.")
        nid = n.get("id")
        if not isinstance(nid, str) or not nid.strip():
            fail(f"{where}.id", f"must be non-empty text, not {short_repr(nid)}.")
        where = f'{where} ("{nid}")'
        if nid in g.nodes:
            fail(where, f'the id "{nid}" is used twice; ids must be unique.')
        type_ = n.get("type")
        if not isinstance(type_, str) or type_ not in CATALOGUE:
            close = difflib.get_close_matches(str(type_), CATALOGUE, n=1)
            hint = f' Did you mean "{close[0]}"?' if close else ""
            fail(f"{where}.type", f"unknown block type {short_repr(type_)}.{hint} Known types: {', '.join(sorted(CATALOGUE))}.")
        spec = CATALOGUE[type_]
        params = n.get("params", {})
        if not isinstance(params, dict):
            fail(f"{where}.params", "must be an object of name: value.")
        names = [p.name for p in spec.params] + list(spec.structure)
        for key in params:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f' Did you mean "{close[0]}"?' if close else ""
                listed = ", ".join(names) or "none"
                fail(f"{where}.params.{key}", f"{type_} has no parameter {short_repr(key)}.{hint} Its parameters: {listed}.")
        full = spec.defaults()
        full.update(params)
        for p in spec.params:
            msg = type_error(p, full[p.name])
            if msg:
                fail(f"{where}.params.{p.name}", msg + ".")
        if type_ == "Custom":
            full = check_custom(full, f"{where}.params", fail, depth)
        extra_keys = set(n) - {"id", "type", "params", "frozen"}
        if extra_keys:
            fail(where, f"unexpected key(s) {sorted(extra_keys)}; a block has id, type, params and frozen.")
        frozen = n.get("frozen", False)
        if not isinstance(frozen, bool):
            fail(f"{where}.frozen", f"must be true or false, not {frozen!r}.")
        g.nodes[nid] = Node(nid, type_, full, frozen=frozen)
    seen = set()
    for i, e in enumerate(edges):
        where = f"graph.edges[{i}]"
        if not (isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)):
            fail(where, f"must be [source_id, target_id], not {short_repr(e)}.")
        for x in e:
            if x not in g.nodes:
                fail(where, f'refers to "{x}", which is not a block in graph.nodes.')
        if tuple(e) in seen:
            fail(where, f"{e[0]} → {e[1]} is listed twice.")
        seen.add(tuple(e))
        g._add_edge(tuple(e))
    return g


def node_doc(n: Node) -> dict:
    doc = {"id": n.id, "type": n.type, "params": n.params}
    if n.frozen:
        doc["frozen"] = True
    return doc
