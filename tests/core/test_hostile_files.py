"""Hostile project files: every one is refused with a message naming the place, or works;
none raises anything but ProjectError (items 6 and 13 of issue 11)."""
from __future__ import annotations

import json
import os
import stat

import pytest

from cnnstudio.core import Graph, Project, ProjectError, analyze, load_project, save_project
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.build.pytorch_source import to_pytorch_source
from cnnstudio.core.project import parse_project, project_to_dict


def doc_with(nodes, edges=(), **top):
    return {"format": "cnnstudio.project", "version": 1, "name": "t",
            "graph": {"nodes": nodes, "edges": [list(e) for e in edges]}, **top}


def chain(*blocks):
    """[(id, type, params)] wired in order."""
    nodes = [{"id": i, "type": t, "params": p} for i, t, p in blocks]
    return doc_with(nodes, [(a[0], b[0]) for a, b in zip(blocks, blocks[1:])])


def write(tmp_path, text, name="p.cnnproj"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_block_type_that_is_a_list_is_refused_by_place():
    with pytest.raises(ProjectError, match=r"graph.nodes\[0\].*type"):
        parse_project(doc_with([{"id": "a", "type": ["Conv2d"], "params": {}}]))


def test_json_nested_past_the_recursion_limit_is_refused(tmp_path):
    path = write(tmp_path, '{"format": "cnnstudio.project", "x": ' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(ProjectError, match="nested too deeply"):
        load_project(path)


def test_an_integer_of_5000_digits_is_refused(tmp_path):
    text = json.dumps(chain(("in", "Input", {"shape": [1, 8, 8]}))).replace("[1, 8, 8]", "[1, 8, " + "9" * 5000 + "]")
    with pytest.raises(ProjectError, match="too large"):
        load_project(write(tmp_path, text))
    with pytest.raises(ProjectError, match="too large"):  # the same value arriving as data (a paste)
        parse_project(chain(("in", "Input", {"shape": [1, 8, 10 ** 5000]})))


@pytest.mark.parametrize("block,param", [("Dropout", "p"), ("BatchNorm2d", "eps"), ("BatchNorm2d", "momentum"),
                                         ("LeakyReLU", "negative_slope"), ("ELU", "alpha")])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_never_reach_a_block(tmp_path, block, param, value):
    doc = chain(("in", "Input", {"shape": [1, 8, 8]}), ("x", block, {param: 0.5}))
    text = json.dumps(doc).replace(f'"{param}": 0.5', f'"{param}": {value}')
    with pytest.raises(ProjectError, match=rf"{param}.*(finite|number)"):
        load_project(write(tmp_path, text))
    with pytest.raises(ProjectError, match=param):  # as data, e.g. from a paste or the journal
        parse_project(chain(("in", "Input", {"shape": [1, 8, 8]}), ("x", block, {param: float(value)})))


@pytest.mark.parametrize("nid", ["training", "_modules", "_parameters", "_buffers", "forward", "__x", "__init__",
                                 "_plan", "activations", "node_names", "T_destination", "dump_patches", "None"])
def test_node_ids_that_are_module_attributes_compile_export_and_load_weights(nid):
    import torch
    doc = chain(("in", "Input", {"shape": [1, 8, 8]}),
                (nid, "Conv2d", {"out_channels": 2, "kernel_size": 3}), ("f", "Flatten", {}),
                ("fc", "Linear", {"out_features": 3}))
    graph = parse_project(doc).graph
    net = compile_graph(graph).eval()
    x = torch.randn(2, 1, 8, 8)
    y = net(x)
    ns: dict = {}
    exec(compile(to_pytorch_source(graph), "<export>", "exec"), ns)  # noqa: S102 - our own generated code
    exported = ns["Net"]().eval()
    exported.load_state_dict(net.state_dict())  # trained weights load into the exported class
    assert torch.allclose(exported(x), y)


def test_exporting_an_empty_graph_says_what_is_missing():
    from cnnstudio.core.build.compiler import CompileError
    with pytest.raises(CompileError, match="Input"):
        to_pytorch_source(Graph())
    with pytest.raises(CompileError, match="Input"):
        compile_graph(Graph())


@pytest.mark.parametrize("pos", ["[1e400, 0]", "[NaN, 3]", "[0, -Infinity]"])
def test_a_layout_position_that_is_not_finite_is_refused(tmp_path, pos):
    doc = chain(("in", "Input", {"shape": [1, 8, 8]}))
    doc["layout"] = {"positions": {"in": "POS"}}
    with pytest.raises(ProjectError, match=r"layout.positions.in"):
        load_project(write(tmp_path, json.dumps(doc).replace('"POS"', pos)))


def small() -> Project:
    g = Graph()
    g.add("Input", shape=[1, 8, 8])
    return Project("small", g)


def test_saving_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real" / "p.cnnproj"
    real.parent.mkdir()
    save_project(small(), real)
    link = tmp_path / "link.cnnproj"
    link.symlink_to(real)
    p = small()
    p.name = "changed"
    save_project(p, link)
    assert link.is_symlink()
    assert load_project(real).name == "changed"


def test_saving_keeps_the_files_permissions(tmp_path):
    path = tmp_path / "private.cnnproj"
    save_project(small(), path)
    os.chmod(path, 0o600)
    save_project(small(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_name_at_the_systems_limit_can_be_saved(tmp_path):
    path = tmp_path / ("n" * (255 - len(".cnnproj")) + ".cnnproj")
    save_project(small(), path)
    assert load_project(path).name == "small"


def test_a_nul_in_a_path_is_a_project_error(tmp_path):
    with pytest.raises(ProjectError, match="NUL"):
        load_project(str(tmp_path / "a\0b.cnnproj"))
    with pytest.raises(OSError):  # saving: an OSError, which every caller already turns into a message
        save_project(small(), str(tmp_path / "a\0b.cnnproj"))


def test_orphan_temp_files_of_a_killed_save_are_cleaned_by_the_next_save(tmp_path):
    path = tmp_path / "p.cnnproj"
    save_project(small(), path)
    orphan = tmp_path / ".p.cnnproj.abc123.tmp"
    orphan.write_text("half a file")
    old = os.stat(orphan).st_mtime - 3600
    os.utime(orphan, (old, old))
    save_project(small(), path)
    assert not orphan.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["p.cnnproj"]


def test_a_dataset_id_that_is_a_list_is_a_problem_not_a_crash():
    from cnnstudio.core.train.fit import fit_problems
    p = parse_project(dict(chain(("in", "Input", {"shape": [1, 28, 28]})), dataset={"id": ["mnist5k"]}))
    problems = fit_problems(p.graph, analyze(p.graph), p.dataset)
    assert problems and "dataset \"id\"" in problems[0].message.lower()
    assert project_to_dict(p)["dataset"] == {"id": ["mnist5k"]}  # kept as it was, shown as a problem


def test_a_block_the_source_exporter_cannot_write_is_refused_not_written_as_something_else(monkeypatch):
    """Found by bench/fuzz.py: a block without PyTorch source code was exported as a Concat.
    Every block has code now; one that lost it must still be refused by name."""
    from cnnstudio.core.build import pytorch_classes
    from cnnstudio.core.build.pytorch_source import ExportError
    monkeypatch.setattr(pytorch_classes, "composite_constructor", lambda *a: None)
    graph = parse_project(chain(("in", "Input", {"shape": [4, 8, 8]}), ("fire", "FireBlock", {}))).graph
    assert analyze(graph).ok
    with pytest.raises(ExportError, match="FireBlock"):
        to_pytorch_source(graph)
