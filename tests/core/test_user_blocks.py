"""Blocks of the user's own: a user block or a repeat ×N has the shapes, parameters, MACs and
receptive field of the same layers written flat, compiles to a model computing the same
function (same weights), exports to PyTorch code and ONNX, and is validated on load."""
import json

import pytest
import torch

from cnnstudio.core import Graph, ProjectError, analyze
from cnnstudio.core.graph.commands import UndoStack
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.build.pytorch_source import to_pytorch_source
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.analysis.make_block import MakeBlockError, candidates, inner_doc, make_block
from cnnstudio.core.project import Project, dumps_project, parse_project


def flat_vgg(n=2, m=2, ch=8):
    """Input → [[conv 3×3 → relu]·n → pool]·m → flatten → fc, written out layer by layer."""
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    for _ in range(m):
        for _ in range(n):
            x = g.add("Conv2d", x, out_channels=ch, kernel_size=3, padding=1, activation="relu")
        x = g.add("MaxPool2d", x, kernel_size=2)
    g.add("Linear", g.add("Flatten", x), out_features=10)
    return g


def conv_relu(ch=8, k=3):
    return {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [3, 16, 16]}},
                      {"id": "conv", "type": "Conv2d", "params": {"out_channels": ch, "kernel_size": k,
                                                                "padding": 1, "activation": "relu"}}],
            "edges": [["input", "conv"]]}


def nested_vgg(n=2, m=2, ch=8):
    """The same network as two nested user blocks: Stage = [ConvRelu ×n → pool], repeated ×m."""
    stage = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [3, 16, 16]}},
                       {"id": "convs", "type": "Custom", "params": {
                           "name": "ConvRelu", "graph": conv_relu(), "repeat": n,
                           "expose": {"channels": [["conv", "out_channels"]]}, "values": {"channels": ch}}},
                       {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}}],
             "edges": [["input", "convs"], ["convs", "pool"]]}
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    s = g.add("Custom", x, id="stage", name="Stage", graph=stage, repeat=m,
              expose={"n": [["convs", "repeat"]], "channels": [["convs", "channels"]]},
              values={"n": n, "channels": ch})
    g.add("Linear", g.add("Flatten", s), out_features=10)
    return g


def totals(g):
    a = analyze(g)
    assert a.ok, [p.message for p in a.errors]
    return a, (a.total("params"), a.total("buffers"), a.total("macs"), a.info[a.output].shape)


@pytest.mark.parametrize("n,m", [(1, 1), (2, 2), (3, 1)])
def test_nested_repeats_equal_the_flat_layers(n, m):
    gf, gn = flat_vgg(n, m), nested_vgg(n, m)
    af, flat = totals(gf)
    an, nested = totals(gn)
    assert nested == flat
    # the receptive field after the blocks is the flat network's after the same layers
    last_pool = [nid for nid in af.order if nid.startswith("pool")][-1]
    assert an.receptive(gn, "stage") == af.receptive(gf, last_pool)


def test_compiled_user_blocks_compute_what_the_flat_network_computes():
    flat, nested = flat_vgg(), nested_vgg()
    fnet, nnet = compile_graph(flat).eval(), compile_graph(nested).eval()
    fw = [p for p in fnet.parameters()]
    nw = [p for p in nnet.parameters()]
    assert [p.shape for p in fw] == [p.shape for p in nw]  # the same layers, in the same order
    with torch.no_grad():
        for a, b in zip(nw, fw):
            a.copy_(b)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(fnet(x), nnet(x), atol=1e-6)


def test_pytorch_code_and_onnx_of_user_blocks_match_the_model(tmp_path):
    pytest.importorskip("onnxruntime")
    from cnnstudio.core.interop.export import export
    g = nested_vgg()
    net = compile_graph(g).eval()
    ns = {}
    exec(compile(to_pytorch_source(g), "<export>", "exec"), ns)  # noqa: S102 - our own generated code
    code = ns["Net"]().eval()
    code.load_state_dict(net.state_dict())  # same names: the weights load unchanged
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(code(x), net(x), atol=1e-6)
    result = export(Project("vgg", g), "onnx", tmp_path / "vgg.onnx")
    assert (tmp_path / "vgg.onnx").stat().st_size > 0
    assert result["max_abs_difference"] < 1e-4, result


def test_exported_class_names_never_clash_with_python_or_the_module():
    g = Graph()
    x = g.add("Input", shape=[3, 8, 8])
    for k, name in enumerate(("None", "Net", "class", "Inception", "f", "3x3 conv"), 1):
        x = g.add("Custom", x, name=name, graph=conv_relu(ch=k))  # distinct layers: a class each
    ns = {}
    exec(compile(to_pytorch_source(g), "<export>", "exec"), ns)  # noqa: S102 - our own generated code
    assert {"NoneBlock", "Net_2", "Class", "InceptionBlock", "FBlock", "Block_3x3_conv"} <= set(ns)
    code, net = ns["Net"]().eval(), compile_graph(g).eval()
    code.load_state_dict(net.state_dict())
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(code(x), net(x))


def test_an_error_inside_names_the_block_the_repeat_and_the_inner_layer_with_a_fix():
    g = Graph()
    x = g.add("Input", shape=[3, 4, 4])
    b = g.add("Custom", x, name="ConvRelu", graph=conv_relu(k=3), repeat=3,
              expose={"kernel": [["conv", "kernel_size"]]}, values={"kernel": 5})
    a = analyze(g)
    # 4×4 → 5×5 conv, pad 1 → 2×2; the second copy gets 2×2 < 5 after padding 4×4
    err = a.problems_for(b)[0]
    assert err.message.startswith(f"{b}: ConvRelu ×3, repeat 2: conv (Conv2d): kernel 5×5 is larger")
    stack = UndoStack(g)
    stack.push(fix_command(g, b, err.fix))
    assert analyze(g).ok
    stack.undo()
    assert not analyze(g).ok


def test_make_block_wires_the_block_in_place_in_one_undo_step_with_the_same_totals():
    g = flat_vgg(2, 1)
    before = json.dumps(dumps_project(Project("x", g)))
    _, t0 = totals(g)
    convs = [n for n in g.nodes if n.startswith("conv")]
    offered = {name: targets for name, targets, _ in candidates(inner_doc(g, convs + ["pool1"], "input1"))}
    assert offered["out_channels"] == [["conv1", "out_channels"], ["conv2", "out_channels"]]
    stack = UndoStack(g)
    cmd, nid = make_block(g, convs + ["pool1"], "ConvReluPool", {"channels": offered["out_channels"]},
                          in_shape=[3, 16, 16])
    stack.push(cmd)
    assert list(g.nodes) == ["input1", "flatten1", "fc1", nid]
    assert g.inputs_of(nid) == ["input1"] and g.outputs_of(nid) == ["flatten1"]
    assert g.nodes[nid].params["values"] == {"channels": 8}
    _, t1 = totals(g)
    assert t1 == t0
    stack.undo()
    assert json.dumps(dumps_project(Project("x", g))) == before


def test_an_exposed_parameter_follows_edits_inside():
    from cnnstudio.core.blocks.custom import effective_graph_doc, params_from_graph_doc
    params = dict(nested_vgg().nodes["stage"].params)
    doc = effective_graph_doc(params)
    convs = next(n for n in doc["nodes"] if n["id"] == "convs")
    convs["params"] = {**convs["params"], "values": {"channels": 24}}  # changed inside: the block's value
    assert params_from_graph_doc(params, doc)["values"] == {"n": 2, "channels": 24}
    convs.update(type="ReLU", params={})  # replaced by a block without those parameters
    new = params_from_graph_doc(params, doc)
    assert new["expose"] == {} and new["values"] == {}


def test_make_block_refuses_selections_that_are_not_one_input_one_output():
    g = Graph()
    x = g.add("Input", shape=[3, 8, 8])
    a = g.add("Conv2d", x)
    b = g.add("Conv2d", x)
    c = g.add("Concat", a, b)
    with pytest.raises(MakeBlockError, match="two outputs"):
        make_block(g, [a, b], "Two")
    with pytest.raises(MakeBlockError, match="Input"):
        make_block(g, [x, a], "WithInput")
    d = g.add("Conv2d", c)
    e = g.add("Add", d, a)
    with pytest.raises(MakeBlockError, match="two inputs"):
        make_block(g, [d, e], "Two")
    with pytest.raises(MakeBlockError, match="two outputs"):
        make_block(g, [a, b, c], "Branches")  # a also feeds the Add outside
    # a branch and its merge, fed by one block: one input (used twice), one output
    g2 = Graph()
    x = g2.add("Input", shape=[3, 8, 8])
    a, b = g2.add("Conv2d", x, out_channels=4), g2.add("Conv2d", x, out_channels=6)
    c = g2.add("Concat", b, a)
    g2.add("Flatten", c)
    _, before = totals(g2)
    cmd, nid = make_block(g2, [a, b, c], "Branches", in_shape=[3, 8, 8])
    UndoStack(g2).push(cmd)
    _, after = totals(g2)
    assert after == before and g2.inputs_of(nid) == [x]


def _doc(graph):
    return json.loads(dumps_project(Project("u", graph)))


def test_loading_rejects_damaged_user_blocks_with_a_clear_message():
    good = _doc(nested_vgg())
    assert parse_project(good).graph.nodes["stage"].params["repeat"] == 2
    cases = [
        (("graph",), "nodes", [], 'refers to "input", which is not a block'),
        (("graph", "nodes"), 0, {"id": "input", "type": "ReLU"}, None),  # no Input inside: an error on the block
        (("expose",), "n", [["ghost", "repeat"]], '"ghost", which is not a block'),
        (("values",), "channels", "wide", "must be a whole number"),
        ((), "repeat", 0, None),  # out of range: a check error, not a load error
    ]
    for path, key, value, message in cases:
        doc = json.loads(json.dumps(good))
        params = doc["graph"]["nodes"][1]["params"]
        target = params
        for k in path:
            target = target[k]
        target[key] = value
        if message is None:
            assert not analyze(parse_project(doc).graph).ok
            continue
        with pytest.raises(ProjectError, match=message):
            parse_project(doc)


def test_nesting_is_bounded():
    g = nested_vgg()
    doc = _doc(g)["graph"]
    for _ in range(8):
        doc = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [3, 16, 16]}},
                         {"id": "b", "type": "Custom", "params": {"name": "Deep", "graph": doc}}],
               "edges": [["input", "b"]]}
    with pytest.raises(ProjectError, match="nested more than"):
        parse_project({"format": "cnnstudio.project", "version": 1, "graph": doc})
    # repeats multiply: a file cannot ask for more layers than can be checked and built
    doc = conv_relu()
    for _ in range(4):  # 64⁴ copies of a conv
        doc = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [3, 16, 16]}},
                         {"id": "b", "type": "Custom", "params": {"name": "Many", "graph": doc, "repeat": 64}}],
               "edges": [["input", "b"]]}
    g = parse_project({"format": "cnnstudio.project", "version": 1, "graph": doc}).graph
    (problem,) = analyze(g).problems
    assert problem.message == ("b: Many ×64 stands for 16,777,216 layers with its repeats multiplied out; at most "
                               "10,000 can be built. Repeat it fewer times.")
    assert problem.fix.label == "Set repeat to 1"
    # Make block refuses to nest deeper than a file may
    g = Graph()
    x = g.add("Input", shape=[3, 16, 16])
    deep = g.add("Custom", x, name="Deep", graph=conv_relu())
    for _ in range(5):
        deep_doc = {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [3, 16, 16]}},
                              {"id": "b", "type": "Custom", "params": g.nodes[deep].params}], "edges": [["input", "b"]]}
        g.nodes[deep].params = {"name": "Deep", "graph": deep_doc, "repeat": 1}
    assert analyze(g).ok
    with pytest.raises(MakeBlockError, match="nested 6 deep"):
        make_block(g, [deep], "Deeper")


def test_the_project_keeps_its_block_definitions_and_the_user_library_its_own(tmp_path):
    from cnnstudio.core.project.userlib import load_library, save_to_library
    record = dict(nested_vgg().nodes["stage"].params)
    p = Project("x", nested_vgg(), blocks=[record])
    again = parse_project(json.loads(dumps_project(p)))  # (saved with every default filled in)
    assert parse_project(json.loads(dumps_project(again))).blocks == again.blocks
    g = Graph()
    g.add("Custom", g.add("Input", shape=[3, 16, 16]), **again.blocks[0])
    stage = analyze(nested_vgg()).info["stage"].out
    assert totals(g)[1] == (stage.params, stage.buffers, stage.macs, stage.shape)
    save_to_library(record)
    save_to_library({**record, "repeat": 3})  # the same name replaces it
    assert [b["repeat"] for b in load_library()] == [3]
    bad = tmp_path / "blocks.json"
    bad.write_text('{"format": "cnnstudio.blocks", "blocks": [{"name": 5}]}')
    with pytest.raises(ProjectError, match="name"):
        load_library(bad)


def test_grouping_a_network_with_weights_keeps_them_and_its_outputs(tmp_path):
    """Weights from an import or a run, then Make block (and Make block again around it): the
    project's weights still load, and the network computes what it did; a repeat's added copy
    starts fresh and says so; a second copy of the block does not take the same weights."""
    from cnnstudio.core import save_project
    from cnnstudio.core.interop.export import model_with_weights
    from cnnstudio.core.interop.weights import save_weights
    from cnnstudio.core.project.weights import load_matching
    g = flat_vgg(2, 2)
    torch.manual_seed(1)
    before = compile_graph(g).eval()
    save_weights(before.state_dict(), tmp_path / "w.safetensors")
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        want = before(x)

    def outputs(graph):
        save_project(Project("p", graph, weights="w.safetensors"), tmp_path / "p.cnnproj")
        net, source = model_with_weights(Project("p", graph, weights="w.safetensors"), tmp_path / "p.cnnproj")
        with torch.no_grad():
            return net(x), source

    cmd, inner = make_block(g, ["conv1", "conv2"], "ConvRelu", in_shape=[3, 16, 16])
    cmd.do(g)
    cmd, outer = make_block(g, [inner, "pool1"], "Stage1", in_shape=[3, 16, 16])
    assert outer == "stage1_1"  # (not "stage11")
    cmd.do(g)
    got, source = outputs(g)
    assert "fresh" not in source
    assert torch.allclose(got, want, atol=1e-6)  # the same weights, the same function

    g.nodes[outer].params = {**g.nodes[outer].params, "repeat": 2}  # ×2: the second copy is new
    net = compile_graph(g)
    fresh = load_matching(net, tmp_path / "p.cnnproj", "w.safetensors")
    # (the head too: the second pooling halved what it sees)
    assert fresh == ["stage1_1.1.convrelu1.conv1", "stage1_1.1.convrelu1.conv2", "fc1"]
    assert torch.equal(net.stage1_1[0].convrelu1.conv2.weight, before.conv2.weight)
    assert not torch.equal(net.stage1_1[1].convrelu1.conv2.weight, before.conv2.weight)  # 8→8: it would fit

    g.nodes[outer].params = {**g.nodes[outer].params, "repeat": 1}  # weights saved at ×1, then ×3
    trained = compile_graph(g).state_dict()
    save_weights(trained, tmp_path / "w.safetensors")
    g.nodes[outer].params = {**g.nodes[outer].params, "repeat": 3}
    net = compile_graph(g)
    fresh = load_matching(net, tmp_path / "p.cnnproj", "w.safetensors")
    assert fresh == [f"stage1_1.{i}.convrelu1.{c}" for i in (1, 2) for c in ("conv1", "conv2")] + ["fc1"]
    assert torch.equal(net.stage1_1[0].convrelu1.conv1.weight, trained["stage1_1.convrelu1.conv1.weight"])

    h = flat_vgg(2, 1)  # a second copy of a block, dropped after the first: only the first takes them
    save_weights(compile_graph(h).state_dict(), tmp_path / "w1.safetensors")
    cmd, a = make_block(h, ["conv2"], "Conv", in_shape=[8, 16, 16])
    cmd.do(h)
    b = h.add("Custom", a, id="again", **h.nodes[a].params)
    h._remove_edge((a, "pool1"))
    h._add_edge((b, "pool1"))
    fresh = load_matching(compile_graph(h), tmp_path / "p.cnnproj", "w1.safetensors")
    assert fresh == ["again.conv2"]


def test_grouping_frozen_layers_keeps_them_frozen_counted_and_undoable():
    """Transfer learning, then Make block: frozen layers stay frozen inside (and after undo),
    the summary's trainable count is what PyTorch trains, and an all-frozen group is a frozen block."""
    from cnnstudio.core.analysis.summary import summary_dict
    from cnnstudio.core.train.transfer import freeze_before
    g = flat_vgg(2, 2)
    freeze_before(g, "conv4").do(g)  # conv1..conv3 frozen; pools have no weights
    stack = UndoStack(g)
    cmd, first = make_block(g, ["conv1", "conv2", "pool1"], "Frozen", in_shape=[3, 16, 16])
    stack.push(cmd)
    assert g.nodes[first].frozen  # every layer with weights in it is frozen
    cmd, mixed = make_block(g, [first, "conv3", "conv4"], "Mixed", in_shape=[3, 16, 16])
    stack.push(cmd)
    assert not g.nodes[mixed].frozen
    net = compile_graph(g)
    t = summary_dict(g, analyze(g))
    assert t["trainable_params"] == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert t["frozen_params"] == (3 * 9 + 1) * 8 + 2 * (8 * 9 + 1) * 8  # conv1 (224), conv2 and conv3 (584 each)
    # My blocks keeps the block without its layers' frozen flags: a fresh copy elsewhere must learn
    from cnnstudio.core.analysis.make_block import definition
    kept = definition(g.nodes[mixed].params)
    assert '"frozen"' in json.dumps(g.nodes[mixed].params) and '"frozen"' not in json.dumps(kept)
    assert kept == json.loads(json.dumps(g.nodes[mixed].params).replace(', "frozen": true', ""))
    stack.undo()
    stack.undo()
    assert [n for n, node in g.nodes.items() if node.frozen] == ["conv1", "conv2", "conv3"]


def test_the_filters_view_lists_every_conv_inside_user_blocks_copies_included():
    from cnnstudio.core.build.taps import conv_layers
    net = compile_graph(nested_vgg(n=2, m=2))  # Stage ×2 holding ConvRelu ×2
    layers = conv_layers(net)
    assert [c.label for c in layers] == [f"stage.{i}.convs.{j}.conv" for i in (0, 1) for j in (0, 1)]
    assert {c.node for c in layers} == {"stage"}  # the block on the canvas they belong to
    assert layers[0].weight.shape == (8, 3, 3, 3) and layers[1].weight.shape == (8, 8, 3, 3)
