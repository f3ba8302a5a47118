"""The inspection docks driven like a user would, on a real trained run."""
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolButton
from safetensors.torch import load_file

from cnnstudio.core import load_project
from cnnstudio.core.train.pointer import checkpoint_file
from cnnstudio.core.inspect.mosaic import tile_origin
from cnnstudio.gui.inspect.docks import create_docks
from cnnstudio.gui.session import Session

LOAD_MS = 60000


def open_window(qtbot, run_dir):
    session = Session()
    session.set_project(load_project(run_dir / "project.cnnproj"))
    win = QMainWindow()
    qtbot.addWidget(win)
    docks = create_docks(session, win)
    assert len(docks) == 5 and all(isinstance(d, QDockWidget) for d in docks)
    for d in docks:
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
    win.resize(1400, 1000)
    win.show()
    state = docks[0].inspect_state
    with qtbot.waitSignal(state.changed, timeout=LOAD_MS):
        session.set_run(run_dir)
    panels = {d.objectName().split(".")[1]: d.widget() for d in docks}
    panels["window"] = win  # qtbot holds widgets weakly: keep the window alive
    settle(qtbot, state)
    return session, state, panels


def settle(qtbot, state):
    """Wait until every panel shows what it asked the inspection process for (while one
    waits, its status line says it is computing)."""
    qtbot.waitUntil(lambda: not state.pending(), timeout=LOAD_MS)
    shown = [p.status.text() for p in state.panels] + [p.detail.text.text() for p in state.panels if hasattr(p, "detail")]
    assert not any("omputing" in text for text in shown), shown  # no panel still says it is computing


@pytest.fixture(scope="module")
def weights(small_run):
    return load_file(str(checkpoint_file(small_run, "best")))


def click_image(qtbot, view, px, py):
    """Click the widget where image pixel (px, py) is drawn."""
    r, s = view._target(), view.scale()
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton,
                     pos=QPoint(int(r.x() + (px + 0.5) * s), int(r.y() + (py + 0.5) * s)))


def test_filters_panel_shows_the_trained_kernels_and_follows_the_canvas(qtbot, small_run, weights):
    session, state, panels = open_window(qtbot, small_run)
    fp = panels["filters"]
    assert [fp.layer.itemText(i) for i in range(fp.layer.count())] == ["c1", "c3"]
    w = weights["c1.weight"].numpy()  # 6×1×5×5, straight from the checkpoint file
    m = fp.mosaic
    oy, ox = tile_origin(4, m.tile_h, m.tile_w, m.cols, m.pad)
    tile = m.image[oy:oy + m.tile_h:m.scale, ox:ox + m.tile_w:m.scale]
    f = w[4, 0]
    np.testing.assert_array_equal(tile, np.round((f - f.min()) / (f.max() - f.min()) * 255 + 1e-9).astype(np.uint8))
    session.select(["c3"])  # clicking c3 on the canvas
    assert fp.layer.currentText() == "c3"
    qtbot.waitUntil(lambda: fp.caption.text().startswith("c3"))
    assert "16 filters × 6 input channels, 5×5" in fp.caption.text()
    assert f"{16 * 6 * 25:,} weights" in fp.hist_label.text()
    assert "Loading" not in fp.status.text()  # the loading notice is gone once it loaded
    before = fp.area.view.scale()
    plus = [b for b in fp.findChildren(QToolButton) if b.text() == "+"][0]
    qtbot.mouseClick(plus, Qt.MouseButton.LeftButton)
    assert fp.area.view.scale() == pytest.approx(before * 1.25)


def test_feature_maps_are_the_layer_outputs_and_a_click_shows_the_receptive_field(qtbot, small_run, weights):
    session, state, panels = open_window(qtbot, small_run)
    fm = panels["features"]
    fm.sample.setValue(7)
    assert state.sample == 7
    settle(qtbot, state)
    x = torch.from_numpy(state.client.service.inspection.images[7:8])  # the samples the model sees
    c1 = F.relu(F.conv2d(x, weights["c1.weight"], weights["c1.bias"], padding=2))[0].numpy()
    session.select(["c1"])
    assert fm.layer.currentText() == "c1"
    settle(qtbot, state)
    np.testing.assert_allclose(fm.acts["c1"], c1, rtol=1e-4, atol=1e-5)
    session.select(["c3"])
    settle(qtbot, state)
    m = fm.mosaics["c3"]
    oy, ox = tile_origin(5, m.tile_h, m.tile_w, m.cols, m.pad)  # map 5, unit (0, 0)
    click_image(qtbot, fm.area.view, ox + 1, oy + 1)
    # c3's unit (0, 0) reads s2 rows 0–4 = c1 rows 0–9 = input rows −2…11 (padding 2): 0–11
    assert fm.input_view.boxes[0][:4] == (0, 11, 0, 11)
    assert "map 5, unit (row 0, column 0)" in fm.caption.text() and "12×12 pixels" in fm.caption.text()
    fm.layer.setCurrentText("All layers")
    settle(qtbot, state)
    assert set(fm.all_views) == {"c1", "s2", "c3", "s4", "flatten1", "f5", "f6", "output"}


def test_predictions_filter_mistakes_and_open_one_with_grad_cam(qtbot, small_run):
    session, state, panels = open_window(qtbot, small_run)
    pp = panels["predictions"]
    insp = state.inspection
    from cnnstudio.core.train.runs import load_run
    net = load_run(small_run).model("best")
    with torch.no_grad():
        pred = net(torch.from_numpy(state.client.service.inspection.images)).argmax(1).numpy()
    wrong = np.flatnonzero(pred != insp.labels)
    pp.mistakes.setChecked(True)
    assert sorted(pp.gallery.indices.tolist()) == wrong.tolist()
    conf = insp.predictions.conf[pp.gallery.indices]
    assert (np.diff(conf) <= 0).all()  # most confident mistakes first
    pp.sort.setCurrentIndex(1)
    assert (np.diff(insp.predictions.conf[pp.gallery.indices]) >= 0).all()
    pp.mistakes.setChecked(False)
    pp.cls.setCurrentIndex(pp.cls.findText("3"))
    assert (insp.labels[pp.gallery.indices] == 3).all() and len(pp.gallery.indices) == (insp.labels == 3).sum()
    cell = pp.gallery.cell_rect(2).center()
    target = int(pp.gallery.indices[2])
    qtbot.mouseClick(pp.gallery, Qt.MouseButton.LeftButton, pos=cell)
    assert state.sample == target
    qtbot.waitUntil(lambda: f"test sample {target}" in pp.detail.text.text() and "computing" not in pp.detail.text.text())
    text = pp.detail.text.text()
    assert f"test sample {target}" in text and "Grad-CAM of class" in text
    assert pp.detail.heat.shape == (28, 28) and pp.detail.heat.max() > 0
    assert len(pp.detail._nb) == 8 and target not in pp.detail._nb


def test_confusion_matrix_cell_click_lists_its_samples(qtbot, small_run):
    session, state, panels = open_window(qtbot, small_run)
    cp = panels["confusion"]
    insp = state.inspection
    assert cp.cm.sum() == len(insp.labels) and np.trace(cp.cm) == (insp.predictions.correct).sum()
    t, p = np.unravel_index(np.argmax(cp.cm - np.diag(np.diag(cp.cm))), cp.cm.shape)
    k, cell, x0, y0 = cp.matrix.geometry_()
    qtbot.mouseClick(cp.matrix, Qt.MouseButton.LeftButton,
                     pos=QPoint(int(x0 + (p + 0.5) * cell), int(y0 + (t + 0.5) * cell)))
    idx = cp.gallery.indices
    assert len(idx) == cp.cm[t, p] > 0
    assert (insp.labels[idx] == t).all() and (insp.predictions.pred[idx] == p).all()
    assert (np.diff(insp.predictions.conf[idx]) <= 0).all()
    assert f"predicted as {p}" in cp.status.text()


def test_timeline_scrubs_the_saved_epochs(qtbot, small_run):
    session, state, panels = open_window(qtbot, small_run)
    tp = panels["timeline"]
    assert tp.slider.maximum() == 1 and tp.slider.value() == 1
    last = load_file(str(checkpoint_file(small_run, "last")))["c1.weight"].numpy()
    np.testing.assert_allclose(tp.frame.filters, last, atol=2e-3)  # saved as float16
    epoch2 = tp.filters.view._img.copy()
    tp.slider.setValue(0)
    assert tp.frame.epoch == 1 and "epoch 1" in tp.epoch_label.text()
    assert tp.filters.view._img != epoch2  # the filters changed while training
    assert set(tp.frame.maps) == {"c1", "s2", "c3", "s4"}


def test_dropping_an_image_predicts_it(qtbot, small_run, tmp_path):
    session, state, panels = open_window(qtbot, small_run)
    insp = state.inspection
    p = insp.predictions
    i = int(np.argmax(np.where(p.correct, p.conf, 0)))  # the surest right answer
    digit = np.repeat(np.repeat(insp.display[i], 3, 0), 3, 1)
    from cnnstudio.gui.inspect.image_view import to_qimage
    path = tmp_path / "digit.png"
    to_qimage(np.repeat(digit, 3, axis=2)).save(str(path))  # an 84×84 RGB file
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pp = panels["predictions"]
    pp.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier))
    assert state.custom is not None and state.custom[0].shape == (1, 28, 28)
    settle(qtbot, state)
    name = insp.class_name(int(p.pred[i]))
    assert pp.detail.text.text().split("<br>")[1].startswith(f"{name}:")  # same top class
    assert "dropped image" in panels["features"].caption.text()
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    pp.open_picture(str(bad))
    assert "not an image" in pp.status.text()


def test_a_folder_that_is_not_a_run_says_so(qtbot, small_run, tmp_path):
    session = Session()
    win = QMainWindow()
    qtbot.addWidget(win)
    docks = create_docks(session, win)
    state = docks[0].inspect_state
    with qtbot.waitSignal(state.changed, timeout=LOAD_MS):
        session.set_run(tmp_path)
    win.close()
    assert state.inspection is None and "not a training run" in state.message
    assert "not a training run" in docks[2].widget().status.text()


def test_panels_refresh_when_the_run_writes_new_weights(qtbot, small_run, tmp_path):
    run = tmp_path / "live"
    shutil.copytree(small_run, run)
    session, state, panels = open_window(qtbot, run)
    from safetensors.torch import save_file
    best = checkpoint_file(run, "best")
    w = load_file(str(best))
    w["c1.weight"] = torch.zeros_like(w["c1.weight"])
    save_file(w, str(best))
    pictures = state.inspection.display
    with qtbot.waitSignal(state.changed, timeout=LOAD_MS):
        state._poll()  # what the 2 s timer does
    assert state.inspection.display is pictures  # the same samples: their pictures are not sent again
    assert (state.client.service.inspection.net.get_submodule("c1").weight == 0).all()
    settle(qtbot, state)
    m = panels["filters"].mosaic
    oy, ox = tile_origin(0, m.tile_h, m.tile_w, m.cols, m.pad)
    assert (m.image[oy:oy + m.tile_h, ox:ox + m.tile_w] == 0).all()  # the zeroed kernels, redrawn


def test_localization_runs_show_boxes_instead_of_classes(qtbot):
    from cnnstudio.core import Graph
    from cnnstudio.core.build.compiler import compile_graph
    from cnnstudio.core.inspect.source import Inspection

    g = Graph()
    f = g.add("Flatten", g.add("Conv2d", g.add("Input", shape=[3, 16, 16]), out_channels=2, kernel_size=3))
    g.add("Linear", f, id="box", out_features=4, activation="sigmoid")
    net = compile_graph(g).eval()
    rng = np.random.default_rng(0)
    truth = np.array([[0.35, 0.35, 0.5, 0.5]] * 6, np.float32)  # centre x, centre y, width, height
    insp = Inspection(net=net, graph=g, classes=["circle", "square"], images=rng.normal(size=(6, 3, 16, 16)),
                      labels=truth, mean=[0.5] * 3, std=[0.2] * 3, task="box", name="boxes")
    session = Session()
    win = QMainWindow()
    qtbot.addWidget(win)
    docks = create_docks(session, win)
    state = docks[0].inspect_state
    with qtbot.waitSignal(state.changed, timeout=LOAD_MS):
        state.set_inspection(insp)
    settle(qtbot, state)
    pp, cp = docks[2].widget(), docks[3].widget()
    assert "IoU ≥ 0.5" in pp.status.text() and not pp.cls.isEnabled()
    thumb = pp.gallery.thumb(0)
    pixels = {thumb.pixelColor(x, y).getRgb()[:3] for x in range(16) for y in range(16)}
    assert (40, 200, 60) in pixels and (230, 40, 40) in pixels  # the true and the predicted box
    assert "predicts boxes" in cp.status.text() and cp.matrix.cm is None
    assert "IoU" in pp.detail.text.text() and not pp.detail.cam_box.isVisibleTo(pp.detail)


SLOW_TRAINER = """
import sys, time
from pathlib import Path
from cnnstudio.core import load_project
from cnnstudio.core.train.callbacks import default_callbacks
from cnnstudio.core.train.engine import Trainer
class HoldAfterEpoch1:  # a real run, held after epoch 1 until the test has looked at it
    def on_epoch_end(self, ctx):
        t = time.time()
        while ctx.epoch == 1 and not (Path(sys.argv[2]) / "go").exists() and time.time() - t < 60:
            time.sleep(0.05)
p = load_project(sys.argv[1])
p.dataset = {"id": "mnist5k", "count": 600}
r = Trainer(p, sys.argv[2], overrides={"epochs": 3, "device": "cpu"}, callbacks=default_callbacks() + [HoldAfterEpoch1()]).run()
sys.exit(0 if r["status"] == "finished" else 3)
"""


def test_panels_follow_a_run_while_it_trains(qtbot, tmp_path):
    """Training in another process; the panels open its folder before the first epoch
    ends, wait, then show each new epoch as it lands."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    run = tmp_path / "live-run"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_TRAINER, str(root / "sample_projects" / "lenet5.cnnproj"),
                             str(run)], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        t0 = time.time()
        while not (run / "run.json").exists() and time.time() - t0 < 60 and proc.poll() is None:
            time.sleep(0.05)
        session = Session()
        win = QMainWindow()
        qtbot.addWidget(win)
        docks = create_docks(session, win)
        state, timeline = docks[0].inspect_state, docks[4].widget()
        state._timer.setInterval(100)  # poll faster than the app's 2 s
        session.set_run(run)
        seen = []
        while time.time() - t0 < 120 and len(timeline.epochs) < 3:
            with qtbot.waitSignal(state.timeline_changed, timeout=LOAD_MS):
                pass
            seen.append(len(timeline.epochs))
            if state.inspection is not None:
                (run / "go").touch()  # let the run go on to epochs 2 and 3
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        assert seen[0] == 1 and seen[-1] == 3  # shown while training, then every new epoch
        assert timeline.slider.value() == 2  # the slider follows the newest epoch
        assert state.inspection is not None and docks[3].widget().cm.sum() == len(state.inspection.labels)
    finally:
        proc.kill()
