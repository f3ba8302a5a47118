"""Each mistake a user can make: pinned to the right block, said with the numbers, and —
where a fix is offered — one click makes the network valid, and undo restores it."""
import pytest

from cnnstudio.core import Graph, analyze
from cnnstudio.core.graph.commands import UndoStack
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.project import Project, project_to_dict


def only_error(g, code):
    errors = analyze(g).errors
    assert [p.code for p in errors] == [code], [p.message for p in errors]
    return errors[0]


def apply_fix(g, problem, valid_after=True):
    """Click the fix: the problem goes (and the network becomes valid, where the fix alone
    can make it so); undo brings back exactly the old graph."""
    before = project_to_dict(Project(graph=g))
    stack = UndoStack(g)
    stack.push(fix_command(g, problem.node, problem.fix))
    after = analyze(g)
    assert problem.code not in [p.code for p in after.errors]
    if valid_after:
        assert after.ok, [p.message for p in after.errors]
    stack.undo()
    assert project_to_dict(Project(graph=g)) == before
    stack.redo()
    return after


def chain(*blocks, shape=(3, 32, 32)):
    g = Graph()
    x = g.add("Input", shape=list(shape))
    for type_, params in blocks:
        x = g.add(type_, x, **params)
    return g


def test_kernel_far_larger_than_input_is_shrunk():
    g = chain(("Conv2d", {"kernel_size": 50, "padding": 2}), shape=(1, 28, 28))
    p = only_error(g, "spatial_too_small")
    assert "kernel 50×50 is larger than the 28×28 input after padding 2 (32×32)" in p.message
    assert apply_fix(g, p).info["conv1"].shape == (16, 6, 6)  # 27×27 on 28 + 2·2
    assert g.nodes["conv1"].params["kernel_size"] == 27


def test_kernel_larger_than_input_says_the_numbers_and_pads_same():
    g = chain(("Conv2d", {"kernel_size": 5}), shape=(3, 3, 3))
    p = only_error(g, "spatial_too_small")
    assert p.node == "conv1"
    assert "kernel 5×5 is larger than the 3×3 input after padding 0" in p.message
    after = apply_fix(g, p)
    assert after.info["conv1"].shape == (16, 3, 3)


def test_pooling_too_small_shrinks_the_window():
    g = chain(("MaxPool2d", {"kernel_size": 4}), shape=(3, 3, 2))
    p = only_error(g, "spatial_too_small")
    assert "window 4×4" in p.message and "3×2" in p.message
    assert apply_fix(g, p).info["pool1"].shape == (3, 1, 1)


def test_linear_fed_an_image_inserts_flatten():
    g = chain(("Conv2d", {"out_channels": 8}), ("Linear", {"out_features": 10}), shape=(1, 6, 6))
    p = only_error(g, "needs_flat")
    assert p.node == "fc1" and "[8, 4, 4]" in p.message and "[128]" in p.message
    after = apply_fix(g, p)
    assert g.inputs_of("fc1") == ["flatten1"] and after.info["fc1"].in_shapes == [(128,)]


def test_groups_must_divide_channels():
    g = chain(("Conv2d", {"out_channels": 8, "groups": 4}), shape=(6, 8, 8))
    p = only_error(g, "groups")
    assert "6 input channels cannot be split into 4 groups" in p.message
    apply_fix(g, p)
    assert g.nodes["conv1"].params["groups"] == 2


def test_same_padding_with_stride():
    g = chain(("Conv2d", {"padding": "same", "stride": 2}))
    p = only_error(g, "same_stride")
    assert apply_fix(g, p).info["conv1"].shape == (16, 16, 16)


def test_out_of_range_parameter_is_clamped():
    g = chain(("Dropout", {"p": 1.5}))
    p = only_error(g, "param_range")
    assert "p is 1.5; it must be at most 1" in p.message
    apply_fix(g, p)
    assert g.nodes["drop1"].params["p"] == 1.0


def residual_mismatch():
    g = Graph()
    x = g.add("Input", shape=[64, 56, 56])
    y = g.add("Conv2d", x, id="main1", out_channels=128, kernel_size=3, stride=2, padding=1)
    y = g.add("Conv2d", y, id="main2", out_channels=128, kernel_size=3, padding=1)
    g.add("Add", x, y, id="add")
    return g


def test_add_with_mismatched_shapes_offers_a_projection_shortcut():
    g = residual_mismatch()
    p = only_error(g, "add_mismatch")
    assert p.node == "add" and p.edge == ("input1", "add")
    assert "[64, 56, 56] from input1 and [128, 28, 28] from main2" in p.message
    after = apply_fix(g, p)
    proj = g.inputs_of("add")[0]
    assert g.nodes[proj].params["kernel_size"] == 1 and g.nodes[proj].params["stride"] == 2
    assert after.info["add"].shape == (128, 28, 28)


def test_concat_with_different_sizes_pools_the_larger():
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    a = g.add("Conv2d", x, id="a", out_channels=4, padding=1)
    b = g.add("MaxPool2d", x, id="b")
    g.add("Concat", a, b, id="cat")
    p = only_error(g, "concat_mismatch")
    assert "16×16" in p.message and "8×8" in p.message
    assert apply_fix(g, p).info["cat"].shape == (7, 8, 8)


def test_cycle_is_reported_once_and_removed():
    g = chain(("Conv2d", {"padding": 1}), ("Conv2d", {"padding": 1}))
    g._add_edge(("conv2", "conv1"))
    errors = analyze(g).errors
    cycle = [p for p in errors if p.code == "cycle"]
    assert len(cycle) == 1 and "conv2 → conv1 closes a loop" in cycle[0].message
    apply_fix(g, cycle[0])
    assert ("conv1", "conv2") in g.edges


def test_missing_input_and_unconnected_block():
    g = chain(("Conv2d", {}))
    g.add("Conv2d", id="stray")
    p = only_error(g, "missing_input")
    assert p.node == "stray" and "not connected" in p.message


def test_two_inputs_into_a_single_input_block():
    g = chain(("Conv2d", {"padding": 1}))
    g.add("Conv2d", "input1", "conv1", id="both", padding=1)
    p = only_error(g, "extra_inputs")
    assert "takes one input but 2 are connected" in p.message
    apply_fix(g, p, valid_after=False)  # the unplugged branch now dangles: the user decides


def test_merge_with_one_input():
    g = chain(("Add", {}))
    assert only_error(g, "missing_input").node == "add1"


def test_no_input_block_adds_one():
    g = Graph()
    g.add("Conv2d", id="c")
    g.add("Flatten", "c")
    p = only_error(g, "no_input")
    apply_fix(g, p)
    assert any(n.type == "Input" for n in g.nodes.values())


def test_several_outputs_keeps_the_deepest():
    g = chain(("Conv2d", {}), ("Flatten", {}), ("Linear", {}))
    g.add("Conv2d", "input1", id="dangling")
    a = analyze(g)
    assert a.output == "fc1"
    p = only_error(g, "several_outputs")
    assert p.node == "dangling" and "leads nowhere" in p.message
    apply_fix(g, p)
    assert "dangling" not in g.nodes


def test_several_inputs():
    g = chain(("Conv2d", {}))
    g.add("Input", id="input2")
    errors = analyze(g).errors
    assert {p.code for p in errors} == {"several_inputs"}


def test_image_layer_after_flatten():
    g = chain(("Flatten", {}), ("BatchNorm2d", {}))
    p = only_error(g, "needs_spatial")
    assert "flat tensor [3072]" in p.message


def test_errors_do_not_cascade_downstream():
    g = chain(("Conv2d", {"kernel_size": 50}), ("Conv2d", {}), ("Flatten", {}), ("Linear", {}))
    a = analyze(g)
    assert [p.node for p in a.errors] == ["conv1"]
    assert a.info["conv2"].shape is None


@pytest.mark.parametrize("kind,expected", [("basic", (64, 16, 16)), ("bottleneck", (64, 16, 16))])
def test_bottleneck_width_must_divide_by_four(kind, expected):
    g = chain(("ResidualBlock", {"out_channels": 66, "kind": kind, "stride": 2}))
    a = analyze(g)
    if kind == "basic":
        assert a.ok and a.info["res1"].shape == (66, 16, 16)
    else:
        p = only_error(g, "bottleneck_width")
        assert apply_fix(g, p).info["res1"].shape == expected


def test_receptive_field_and_cumulative_stride():
    g = chain(("Conv2d", {"kernel_size": 3}), ("MaxPool2d", {}), ("Conv2d", {"kernel_size": 3}))
    a = analyze(g)
    assert a.receptive(g, "conv1") == (3, 1)
    assert a.receptive(g, "pool1") == (4, 2)
    assert a.receptive(g, "conv2") == (8, 2)
