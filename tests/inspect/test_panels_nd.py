"""The inspection panels on signal, volume, deformable and multi-label runs, driven like a
user would: heat strips and receptive spans for signals, a depth slider for volumes, a
deformable unit's sampling points, every class's probability and the threshold."""
import numpy as np
import pytest
import torch

from cnnstudio.core import Graph, Project
from cnnstudio.core.train.engine import Trainer

from .test_panels import click_image, open_window, settle


def tiny_run(root, name, graph, dataset):
    project = Project(name, graph, dataset, {"epochs": 1, "batch_size": 32, "optimizer": "adam", "lr": 0.003,
                                             "cpu_threads": 1})
    result = Trainer(project, root / name, callbacks=[]).run()
    assert result["status"] == "finished", result["message"]
    return root / name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("nd")
    sig = Graph()
    x = sig.add("Input", shape=[1, 64])
    x = sig.add("Conv1d", x, id="c1", out_channels=4, kernel_size=5, padding=2, activation="relu")
    x = sig.add("MaxPool1d", x, id="p1", kernel_size=2)
    sig.add("Linear", sig.add("Flatten", sig.add("AdaptiveAvgPool1d", x, output_size=4)), out_features=6)
    vol = Graph()
    x = vol.add("Input", shape=[1, 8, 8, 8])
    x = vol.add("Conv3d", x, id="c1", out_channels=3, kernel_size=3, padding=1, activation="relu")
    vol.add("Linear", vol.add("Flatten", vol.add("MaxPool3d", x, id="p1", kernel_size=2)), out_features=5)
    dcn = Graph()
    x = dcn.add("Input", shape=[3, 16, 16])
    x = dcn.add("DeformConv2d", x, id="d1", out_channels=4, kernel_size=3, padding=1, activation="relu")
    dcn.add("Linear", dcn.add("Flatten", dcn.add("MaxPool2d", x, kernel_size=4)), id="head", out_features=5,
            activation="sigmoid")
    return {
        "signal": tiny_run(root, "signal", sig, {"id": "signals", "count": 120, "length": 64}),
        "volume": tiny_run(root, "volume", vol, {"id": "volumes", "count": 60, "image_size": 8}),
        "deform": tiny_run(root, "deform", dcn, {"id": "multi_shapes", "count": 96, "image_size": 16}),
    }


def test_signal_maps_are_strips_and_a_unit_shows_its_span(qtbot, runs):
    session, state, panels = open_window(qtbot, runs["signal"])
    fm = panels["features"]
    fm.layer.setCurrentText("c1")
    settle(qtbot, state)
    m = fm.mosaics["c1"]
    assert (m.count, m.cols) == (4, 1) and not fm.depth.isVisible()
    fm.area.set_zoom(1.0)
    click_image(qtbot, fm.area.view, m.pad + 10 * m.scale + 1, m.pad + m.tile_h + m.pad + 2)  # map 1, position 10
    assert fm.caption.text().startswith("c1 map 1, unit (position 10)")
    assert fm.receptive_box == (8, 12) and "sees input positions 8–12 (5 samples)" in fm.caption.text()
    detail = panels["predictions"].detail
    detail.cam_box.setChecked(True)
    assert detail.heat.shape == (64,)  # Grad-CAM along the signal


def test_volume_maps_have_a_depth_slider(qtbot, runs):
    session, state, panels = open_window(qtbot, runs["volume"])
    fm = panels["features"]
    fm.layer.setCurrentText("c1")
    assert fm.depth.isVisible() and fm.depth.maximum() == 7
    fm.depth.setValue(5)
    settle(qtbot, state)
    assert "depth slice 6 of 8" in fm.caption.text()
    acts = fm.acts["c1"]
    m = fm.mosaics["c1"]
    fm.area.set_zoom(1.0)
    click_image(qtbot, fm.area.view, m.pad + 2 * m.scale + 1, m.pad + 3 * m.scale + 1)  # map 0, row 3, column 2
    assert f"= {acts[0, 5, 3, 2]:.4g}" in fm.caption.text() and "depth 5" in fm.caption.text()
    assert fm.receptive_box == (4, 6, 2, 4, 1, 3)
    detail = panels["predictions"].detail
    detail.cam_box.setChecked(True)
    assert detail.heat.shape == (8, 8, 8)


def test_a_volume_filters_unit_shows_its_depth_slices(qtbot, runs):
    """Clicking a 3-D filter: what its unit looks for, slice by slice through its receptive field."""
    session, state, panels = open_window(qtbot, runs["volume"])
    fp = panels["filters"]
    settle(qtbot, state)
    m = fp.mosaic
    fp.area.set_zoom(1.0)
    click_image(qtbot, fp.area.view, m.pad + 1, m.pad + 1 * (m.tile_h + m.pad) + 1)  # second row: filter 1
    qtbot.waitUntil(lambda: "gradient ascent" in fp.unit_caption.text(), timeout=60000)
    assert fp.unit_caption.text().startswith("c1 channel 1: the ")
    assert "its 3 depth slices (input depth 3–5)" in fp.unit_caption.text()  # the centre unit (4, 4, 4)
    h, w = fp.unit_view.image_size()
    patches = int(fp.unit_caption.text().split("the ")[1].split()[0])  # as many as the test set allows
    assert w > (patches + 3) * h * 0.9  # the patches, then three depth slices side by side


def test_deformable_unit_shows_where_its_taps_sample_and_multilabel_probabilities(qtbot, runs):
    from cnnstudio.core.inspect.deform import sampling_points
    session, state, panels = open_window(qtbot, runs["deform"])
    insp, model = state.inspection, state.client.service.inspection  # the model, in the service's thread
    net = model.net
    with torch.no_grad():  # learned offsets after one epoch are tiny: make them visible
        net.d1.offset.bias.view(9, 2)[:, 0] = 2.0
    fm = panels["features"]
    fm.layer.setCurrentText("d1")
    settle(qtbot, state)
    m = fm.mosaics["d1"]
    fm.area.set_zoom(1.0)
    click_image(qtbot, fm.area.view, m.pad + 6 * m.scale + 1, m.pad + 5 * m.scale + 1)  # unit (5, 6)
    qtbot.waitUntil(lambda: "taps sample" in fm.caption.text())
    taps = [b for b in fm.input_view.boxes if b[4] == "#00e0ff"]
    points, _ = sampling_points(net, "d1", model.images[state.sample], 5, 6)
    assert len(taps) == 9 and "where its 9 taps sample" in fm.caption.text()
    assert sorted((t[0], t[2]) for t in taps) == sorted((int(round(py)), int(round(px))) for py, px in points)
    assert min(t[0] for t in taps) == 6  # rows 4–6 moved down by 2
    pp = panels["predictions"]
    assert pp.threshold.isVisible()
    text = pp.detail.text.text()
    assert all(name in text for name in insp.classes) and "≥ 0.5" in text
    pp.threshold.setValue(0.9)
    assert "≥ 0.9" in pp.detail.text.text() and "threshold 0.9" in pp.status.text()


def test_sampling_points_are_where_torchvision_reads():
    """A one-hot centre tap with whole-pixel offsets copies the input at the sampling point."""
    from cnnstudio.core.build.compiler import compile_graph
    from cnnstudio.core.inspect.deform import sampling_points
    g = Graph()
    g.add("DeformConv2d", g.add("Input", shape=[1, 10, 10]), id="d", out_channels=1, kernel_size=3, padding=1,
          bias=False)
    net = compile_graph(g).eval()
    with torch.no_grad():
        net.d.conv.weight.zero_()
        net.d.conv.weight[0, 0, 1, 1] = 1  # the centre tap (index 4)
        net.d.offset.bias.view(9, 2)[4] = torch.tensor([2.0, -3.0])
    img = np.random.default_rng(0).random((1, 10, 10)).astype(np.float32)
    points, _ = sampling_points(net, "d", img, 4, 5)
    py, px = points[4]
    assert (py, px) == (6.0, 2.0)
    with torch.no_grad():
        assert float(net(torch.tensor(img)[None])[0, 0, 4, 5]) == pytest.approx(img[0, 6, 2])
