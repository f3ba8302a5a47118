"""Project files: lossless round trip, defaults filled, atomic save, and a corpus of broken
files that each get a clear message naming the place — with the file left untouched."""
import json
import os
from pathlib import Path

import pytest

from cnnstudio.core import Graph, Project, ProjectError, analyze, load_project, save_project
from cnnstudio.core.project import dumps_project, parse_project, project_to_dict

SAMPLES = sorted((Path(__file__).parents[2] / "sample_projects").glob("*.cnnproj"))


def test_there_are_samples():
    assert {p.stem for p in SAMPLES} >= {"lenet5", "cifar10_convnet", "alexnet", "vgg16", "resnet18",
                                         "resnet34", "mini_inception", "binary_classifier", "shape_localizer"}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_load_then_save_gives_the_same_document(path, tmp_path):
    project = load_project(path)
    assert dumps_project(project) == path.read_text()  # byte for byte
    out = tmp_path / "copy.cnnproj"
    save_project(project, out)
    assert json.loads(out.read_text()) == json.loads(path.read_text())


def test_omitted_params_take_defaults_and_layout_positions_survive(tmp_path):
    doc = {"format": "cnnstudio.project", "version": 1, "name": "mini",
           "graph": {"nodes": [{"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
                               {"id": "c", "type": "Conv2d"}],
                     "edges": [["in", "c"]]},
           "layout": {"positions": {"c": [10, 20.5]}, "zoom": 1.5},
           "future_key": {"kept": True}}
    p = parse_project(doc)
    assert p.graph.nodes["c"].params["kernel_size"] == 3 and p.graph.nodes["c"].params["padding"] == 0
    assert p.graph.nodes["c"].pos == (10, 20.5)
    again = project_to_dict(p)
    assert again["layout"] == {"positions": {"c": [10, 20.5]}, "zoom": 1.5}
    assert again["future_key"] == {"kept": True}
    assert analyze(p.graph).info["c"].shape == (16, 6, 6)
    assert parse_project(json.loads(dumps_project(p))).graph.nodes["c"].params == p.graph.nodes["c"].params


GOOD = {"format": "cnnstudio.project", "version": 1, "name": "x",
        "graph": {"nodes": [{"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
                            {"id": "c", "type": "Conv2d", "params": {"kernel_size": 3}}],
                  "edges": [["in", "c"]]}}


def broken(change):
    doc = json.loads(json.dumps(GOOD))
    change(doc)
    return json.dumps(doc)


CORPUS = {
    "truncated": (json.dumps(GOOD)[:60], "looks cut off"),
    "not_json": ("hello", "not valid JSON at line 1"),
    "empty": ("", "not valid JSON"),
    "not_a_project": (json.dumps({"nodes": []}), "not a CNN Studio project"),
    "newer_version": (broken(lambda d: d.update(version=7)), "newer CNN Studio (format version 7)"),
    "version_text": (broken(lambda d: d.update(version="1")), "version: must be a whole number"),
    "unknown_block": (broken(lambda d: d["graph"]["nodes"][1].update(type="Cnv2d")),
                      'graph.nodes[1] ("c").type: unknown block type \'Cnv2d\'. Did you mean "Conv2d"?'),
    "wrong_param_type": (broken(lambda d: d["graph"]["nodes"][1]["params"].update(kernel_size="five")),
                         'graph.nodes[1] ("c").params.kernel_size: must be a whole number or [height, width]'),
    "bool_for_int": (broken(lambda d: d["graph"]["nodes"][1]["params"].update(out_channels=True)),
                     "params.out_channels: must be a whole number"),
    "unknown_param": (broken(lambda d: d["graph"]["nodes"][1]["params"].update(kernal_size=3)),
                      'Conv2d has no parameter \'kernal_size\'. Did you mean "kernel_size"?'),
    "bad_choice": (broken(lambda d: d["graph"]["nodes"][1]["params"].update(padding_mode="mirror")),
                   'params.padding_mode: must be one of "zeros"'),
    "duplicate_id": (broken(lambda d: d["graph"]["nodes"][1].update(id="in")), 'the id "in" is used twice'),
    "dangling_edge": (broken(lambda d: d["graph"]["edges"].append(["c", "ghost"])),
                      'graph.edges[1]: refers to "ghost"'),
    "edge_not_pair": (broken(lambda d: d["graph"]["edges"].append(["c"])), "graph.edges[1]: must be [source_id, target_id]"),
    "nodes_not_list": (broken(lambda d: d["graph"].update(nodes={})), "graph.nodes: must be a list"),
    "no_graph": (broken(lambda d: d.pop("graph")), "graph: missing"),
    "bad_position": (broken(lambda d: d.update(layout={"positions": {"c": "here"}})), "layout.positions.c: must be [x, y]"),
    "bad_direction": (broken(lambda d: d.update(layout={"direction": "up"})), "layout.direction: must be \"TB\""),
    "dataset_not_object": (broken(lambda d: d.update(dataset=[1])), "dataset: must be an object"),
    "binary": ("\x00\xff\xfe garbage", "it is not text"),
}


@pytest.mark.parametrize("name", CORPUS)
def test_broken_file_gets_a_clear_message_and_is_left_untouched(name, tmp_path):
    text, expected = CORPUS[name]
    path = tmp_path / f"{name}.cnnproj"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if name != "binary" else b"\x00\xff\xfe garbage")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(ProjectError) as e:
        load_project(path)
    assert expected in str(e.value)
    assert str(path) in str(e.value)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_missing_file():
    with pytest.raises(ProjectError, match="no such file"):
        load_project("/nonexistent/x.cnnproj")


def test_a_failed_save_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.cnnproj"
    g = Graph()
    g.add("Input")
    save_project(Project(name="first", graph=g), path)
    original = path.read_bytes()

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        save_project(Project(name="second", graph=g), path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["p.cnnproj"]


def test_saved_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "p.cnnproj"
        save_project(Project(), path)
        assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600
    finally:
        os.umask(old)
