"""`.cnnproj` project files: JSON, versioned, validated, saved atomically.

Loading only parses JSON and checks it against the catalogue: nothing in a file is ever
executed. Every rejection names the place in the file. See docs/project-format.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_write_text
from ..graph.doc import ProjectError, node_doc, parse_graph, check_custom, parse_json
from ..graph import Graph
from .notes import check_notes
from ..blocks.params import short_repr

FORMAT = "cnnstudio.project"
VERSION = 1
SUFFIX = ".cnnproj"
MAX_COORD = 1e9  # canvas coordinates; beyond this a view cannot place or draw a block
_KNOWN = ("format", "version", "name", "graph", "dataset", "training", "layout", "weights", "blocks")


@dataclass
class Project:
    name: str = "Untitled"
    graph: Graph = field(default_factory=Graph)
    dataset: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)  # besides node positions (kept on the nodes)
    weights: str | None = None  # initial weights: a safetensors file beside the project
    extra: dict = field(default_factory=dict)  # unknown top-level keys, kept as they were
    blocks: list = field(default_factory=list)  # the user blocks made in this project (Custom params)


# --- reading ---------------------------------------------------------------------------

def load_project(path) -> Project:
    if "\0" in str(path):
        raise ProjectError(f"{str(path)!r}: a file name cannot contain a NUL character.")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: not a CNN Studio project: it is not text (projects are "
                           "UTF-8 JSON).") from None
    except OSError as e:
        raise ProjectError(f"{path}: cannot be read: {e.strerror or e}.") from None
    return parse_project(parse_json(text, str(path)), source=str(path))


def parse_project(doc, source: str = "project") -> Project:
    def fail(where: str, what: str):
        raise ProjectError(f"{source}: {where}: {what}" if where else f"{source}: {what}")

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        fail("", f'not a CNN Studio project (expected "format": "{FORMAT}").')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        fail("version", f"must be a whole number ≥ 1, not {short_repr(version)}.")
    if version > VERSION:
        fail("version", f"the file was saved by a newer CNN Studio (format version {version}); this "
             f"version reads up to {VERSION}. Update CNN Studio to open it.")
    name = doc.get("name", "Untitled")
    if not isinstance(name, str):
        fail("name", f"must be text, not {short_repr(name)}.")
    sections = {}
    for key in ("dataset", "training", "layout"):
        value = doc.get(key, {})
        if not isinstance(value, dict):
            fail(key, f"must be an object {{...}}, not {type(value).__name__}.")
        sections[key] = value
    graph_doc = doc.get("graph")
    if not isinstance(graph_doc, dict):
        fail("graph", "missing, or not an object with nodes and edges.")
    graph = parse_graph(graph_doc, fail)
    layout = dict(sections["layout"])
    positions = layout.pop("positions", {})
    if not isinstance(positions, dict):
        fail("layout.positions", "must map node ids to [x, y].")
    for nid, pos in positions.items():
        ok = isinstance(pos, list) and len(pos) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_COORD for v in pos)
        if not ok:
            fail(f"layout.positions.{nid}", f"must be [x, y] with finite numbers within ±{MAX_COORD:g}, "
                 f"not {short_repr(pos)}.")
        if nid in graph.nodes:
            graph.nodes[nid].pos = tuple(pos)
    if "notes" in layout:
        check_notes(layout["notes"], fail)
    if layout.get("direction", "TB") not in ("TB", "LR"):
        fail("layout.direction", f'must be "TB" (top to bottom) or "LR" (left to right), '
             f"not {short_repr(layout['direction'])}.")
    weights = doc.get("weights")
    if weights is not None and not (isinstance(weights, str) and weights.endswith(".safetensors")
                                    and weights == weights.strip() and "/" not in weights and "\\" not in weights):
        fail("weights", f"must be the name of a .safetensors file beside the project, not {weights!r}.")
    blocks = doc.get("blocks", [])
    if not isinstance(blocks, list):
        fail("blocks", "must be a list of user blocks.")
    blocks = [check_custom(b, f"blocks[{i}]", fail, 0) for i, b in enumerate(blocks)]
    extra = {k: v for k, v in doc.items() if k not in _KNOWN}
    return Project(name, graph, sections["dataset"], sections["training"], layout, weights, extra, blocks)


# --- writing ---------------------------------------------------------------------------

def project_to_dict(p: Project) -> dict:
    g = p.graph
    layout = dict(p.layout)
    positions = {n.id: list(n.pos) for n in g.nodes.values() if n.pos is not None}
    if positions:
        layout["positions"] = positions
    doc = {"format": FORMAT, "version": VERSION, "name": p.name,
           "graph": {"nodes": [node_doc(n) for n in g.nodes.values()],
                     "edges": [list(e) for e in g.edges]},
           "dataset": p.dataset, "training": p.training, "layout": layout}
    if p.weights:
        doc["weights"] = p.weights
    if p.blocks:
        doc["blocks"] = p.blocks
    doc.update(p.extra)
    return doc


def dumps_project(p: Project) -> str:
    """JSON with one block and one edge per line, so version control diffs stay readable."""
    doc = project_to_dict(p)
    graph = doc.pop("graph")
    nodes = ",\n".join("      " + json.dumps(n, ensure_ascii=False) for n in graph["nodes"])
    edges = ",\n".join("      " + json.dumps(e, ensure_ascii=False) for e in graph["edges"])
    head = json.dumps({k: doc[k] for k in ("format", "version", "name")}, ensure_ascii=False)[1:-1]
    rest = {k: v for k, v in doc.items() if k not in ("format", "version", "name")}
    tail = json.dumps(rest, indent=2, ensure_ascii=False)[1:-1].rstrip()
    graph_text = (f'  "graph": {{\n    "nodes": [\n{nodes}\n    ],\n    "edges": [\n{edges}\n    ]\n  }}'
                  if graph["nodes"] or graph["edges"] else '  "graph": {"nodes": [], "edges": []}')
    return "{\n  " + head.replace(', "', ',\n  "') + ",\n" + graph_text + ("," + tail if tail.strip() else "") + "\n}\n"


def save_project(p: Project, path) -> None:
    atomic_write_text(Path(path), dumps_project(p))
