"""Undo/redo restores the graph exactly, one `changed` event per edit."""
from cnnstudio.core import Graph, analyze
from cnnstudio.core.graph.commands import (AddEdge, AddNode, MoveNodes, RemoveEdge, SetParams, UndoStack,
                                     insert_on_edge, new_node, remove_nodes)
from cnnstudio.core.project import Project, project_to_dict


def snapshot(g):
    return project_to_dict(Project(graph=g))


def test_every_edit_undoes_and_redoes_exactly():
    g = Graph()
    stack = UndoStack(g)
    events = []
    g.subscribe(lambda e: events.append(e.kind))
    states = [snapshot(g)]

    def do(cmd):
        stack.push(cmd)
        states.append(snapshot(g))

    do(AddNode(new_node(g, "Input", {"shape": [1, 28, 28]}, pos=(0, 0))))
    do(AddNode(new_node(g, "Conv2d", pos=(0, 100))))
    do(AddEdge("input1", "conv1"))
    do(AddNode(new_node(g, "Flatten")))
    do(AddEdge("conv1", "flatten1"))
    do(SetParams(g, "conv1", {"kernel_size": 5, "padding": "same"}))
    do(insert_on_edge(g, ("conv1", "flatten1"), new_node(g, "MaxPool2d")))
    do(MoveNodes(g, {"conv1": (5, 6), "pool1": (7, 8)}))
    do(RemoveEdge(g, "input1", "conv1"))
    do(remove_nodes(g, ["pool1", "conv1"]))
    assert events.count("changed") == len(states) - 1

    for expected in reversed(states[:-1]):
        assert stack.undo()
        assert snapshot(g) == expected
    assert not stack.undo() and g.nodes == {}
    for expected in states[1:]:
        assert stack.redo()
        assert snapshot(g) == expected
    assert not stack.redo()


def test_insert_keeps_concat_order():
    g = Graph()
    x = g.add("Input", shape=[1, 4, 4])
    a = g.add("Conv2d", x, id="a", out_channels=1, kernel_size=1)
    b = g.add("Conv2d", x, id="b", out_channels=2, kernel_size=1)
    g.add("Concat", a, b, id="cat")
    UndoStack(g).push(insert_on_edge(g, ("a", "cat"), new_node(g, "ReLU")))
    assert g.inputs_of("cat") == ["relu1", "b"]


def test_clean_state_tracks_saves():
    g = Graph()
    stack = UndoStack(g)
    assert stack.is_clean
    stack.push(AddNode(new_node(g, "Input")))
    assert not stack.is_clean
    stack.set_clean()
    stack.undo()
    assert not stack.is_clean
    stack.redo()
    assert stack.is_clean
    stack.undo()
    stack.push(AddNode(new_node(g, "Conv2d")))  # the saved state is gone from history
    assert not stack.is_clean and stack.clean_index is None


def test_memoized_checks_follow_undo():
    g = Graph()
    stack = UndoStack(g)
    x = g.add("Input", shape=[3, 8, 8])
    g.add("Conv2d", x, id="c")
    assert analyze(g).info["c"].shape == (16, 6, 6)
    stack.push(SetParams(g, "c", {"kernel_size": 1}))
    assert analyze(g).info["c"].shape == (16, 8, 8)
    stack.undo()
    assert analyze(g).info["c"].shape == (16, 6, 6)
