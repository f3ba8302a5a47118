"""New blocks get the smallest free number of their type's prefix (conv1, conv2, …), never an
id that is taken, whatever came before: a file with gaps and its own names, deletes, undo,
redo, paste, rename, reopening."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio.core.graph.commands import AddNode, UndoStack, new_node, remove_nodes
from cnnstudio.core.graph.graph import ID_PREFIX
from cnnstudio.core.graph.doc import parse_json
from cnnstudio.core.project import Project, dumps_project, parse_project
from cnnstudio.gui.canvas.edits import copy_payload, paste, rename

TYPES = ["Conv2d", "Conv1d", "ReLU", "BatchNorm2d", "Dropout2d", "Upsample"]
FILE = {"format": "cnnstudio.project", "version": 1, "name": "gaps",
        "graph": {"nodes": [{"id": "input1", "type": "Input", "params": {"shape": [3, 32, 32]}},
                            {"id": "conv3", "type": "Conv2d", "params": {}},
                            {"id": "conv1", "type": "Conv2d", "params": {}},
                            {"id": "conv02", "type": "Conv2d", "params": {}},
                            {"id": "relu7", "type": "ReLU", "params": {}},
                            {"id": "stem", "type": "Conv2d", "params": {}},
                            {"id": "drop2d1", "type": "Dropout2d", "params": {}}],
                  "edges": [["input1", "conv3"], ["conv3", "conv1"], ["conv1", "relu7"]]}}


def smallest_free(g, type_):
    prefix = ID_PREFIX.get(type_, type_.lower())
    n = 1
    while f"{prefix}{n}" in g.nodes:
        n += 1
    return f"{prefix}{n}"


def ids_right(g):
    for t in TYPES:
        nid = g.new_id(t)
        assert nid not in g.nodes and nid == smallest_free(g, t)


def test_a_file_with_gaps_fills_them_in_order():
    g = parse_project(FILE).graph
    stack = UndoStack(g)
    made = []
    for _ in range(4):
        node = new_node(g, "Conv2d")
        stack.push(AddNode(node))
        made.append(node.id)
    assert made == ["conv2", "conv4", "conv5", "conv6"]  # conv02 and stem are other names
    stack.push(remove_nodes(g, ["conv3"]))
    assert g.new_id("Conv2d") == "conv3"
    stack.undo()
    assert g.new_id("Conv2d") == "conv7"


@st.composite
def steps(draw):
    return draw(st.lists(st.tuples(st.sampled_from(["add", "add", "delete", "undo", "redo", "paste", "rename",
                                                    "reopen"]),
                                   st.sampled_from(TYPES), st.integers(0, 10 ** 6)), min_size=1, max_size=25))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps())
def test_new_ids_are_free_and_smallest_after_any_edits(seq):
    g = parse_project(FILE).graph
    stack = UndoStack(g)
    for kind, type_, pick in seq:
        ids = list(g.nodes)
        if kind == "add":
            stack.push(AddNode(new_node(g, type_)))
        elif kind == "delete" and ids:
            stack.push(remove_nodes(g, [ids[pick % len(ids)]]))
        elif kind == "undo":
            stack.undo()
        elif kind == "redo":
            stack.redo()
        elif kind == "paste" and ids:
            chosen = [ids[(pick + k) % len(ids)] for k in range(1 + pick % 3)]
            command, pasted = paste(g, copy_payload(g, chosen))
            assert len(set(pasted)) == len(pasted) and not set(pasted) & set(g.nodes)
            stack.push(command)
        elif kind == "rename" and ids:
            command, _ = rename(g, ids[pick % len(ids)], f"b{pick % 7}")
            if command:
                stack.push(command)
        elif kind == "reopen":
            g = parse_project(parse_json(dumps_project(Project("reopened", g)), "the file")).graph
            stack = UndoStack(g)
        ids_right(g)

