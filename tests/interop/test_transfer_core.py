"""Transfer learning in the core: frozen parameters counted apart, excluded from the optimizer
and kept in eval mode; the dataset fit check offers to replace the head, and the new head starts
fresh while every other block keeps the project's weights."""
import torch

from cnnstudio.core import Graph, Project, analyze, save_project
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.analysis.fixes import fix_command
from cnnstudio.core.analysis.summary import summary_dict, summary_text
from cnnstudio.core.train.config import parse_config
from cnnstudio.core.train.fit import fit_problems
from cnnstudio.core.train.optim import make_optimizer, set_lr
from cnnstudio.core.train.setup import param_groups
from cnnstudio.core.train.head import find_head
from cnnstudio.core.interop.weights import save_weights
from cnnstudio.core.project.weights import load_matching
from cnnstudio.core.train.transfer import freeze_before


def net() -> Graph:
    g = Graph()
    x = g.add("Input", id="input", shape=[3, 32, 32])
    x = g.add("ConvBNAct", x, id="stem", out_channels=4)
    x = g.add("ResidualBlock", x, id="res", out_channels=4)
    x = g.add("Flatten", g.add("AdaptiveAvgPool2d", x, id="gap"), id="flat")
    g.add("Linear", x, id="fc", out_features=1000)
    return g


def test_freeze_before_counts_apart_and_trains_only_the_rest():
    g = net()
    freeze_before(g, "fc").do(g)
    assert [n for n, node in g.nodes.items() if node.frozen] == ["stem", "res"]
    a = analyze(g)
    t = summary_dict(g, a)
    assert t["frozen_params"] == a.info["stem"].out.params + a.info["res"].out.params
    assert t["trainable_params"] == 4 * 1000 + 1000
    assert f"({t['frozen_params']:,} frozen)" in summary_text(g, a)
    model = compile_graph(g).train()
    assert not model.stem.training and not model.res.training and model.fc.training  # BatchNorm kept in eval
    cfg = parse_config({"backbone_lr_factor": 0.1, "lr": 0.01})
    opt = make_optimizer(cfg, param_groups(model, find_head(g, a), cfg))
    trained = {id(p) for group in opt.param_groups for p in group["params"]}
    assert trained == {id(p) for p in model.fc.parameters()}  # frozen ones are not in the optimizer
    g.nodes["res"].frozen = False
    model = compile_graph(g)
    opt = make_optimizer(cfg, param_groups(model, find_head(g, analyze(g)), cfg))
    set_lr(opt, 0.01)
    assert sorted(group["lr"] for group in opt.param_groups) == [0.001, 0.01]  # backbone, head


def test_the_fit_check_replaces_the_head_and_only_the_head_starts_fresh(tmp_path):
    g = net()
    torch.manual_seed(0)
    weights = compile_graph(g).state_dict()
    save_weights(weights, tmp_path / "w.safetensors")
    save_project(Project("p", g, weights="w.safetensors"), tmp_path / "p.cnnproj")
    problems = fit_problems(g, analyze(g), {"id": "shapes"})
    assert problems[0].fix.label == "Replace the head fc: a new Linear with 5 outputs"
    fix_command(g, problems[0].node, problems[0].fix).do(g)
    assert not fit_problems(g, analyze(g), {"id": "shapes"})
    model = compile_graph(g)
    fresh = load_matching(model, tmp_path / "p.cnnproj", "w.safetensors")
    assert fresh == ["fc"]
    assert torch.equal(model.res.conv1.weight, weights["res.conv1.weight"])
    assert model.fc.weight.shape == (5, 4)


def test_saved_weights_are_readable_like_any_saved_file(tmp_path):
    """safetensors itself writes 0600; a project's weights are shared like the project."""
    import os
    old = os.umask(0o022)
    try:
        save_weights({"w": torch.zeros(3)}, tmp_path / "w.safetensors")
    finally:
        os.umask(old)
    assert (tmp_path / "w.safetensors").stat().st_mode & 0o777 == 0o644
    assert not [p.name for p in tmp_path.iterdir() if p.name != "w.safetensors"]  # no temp file left
