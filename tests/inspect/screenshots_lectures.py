"""Render the lecture features to docs/ (not a test; run by hand, ≈1 minute on CPU):

    .venv/bin/python tests/inspect/screenshots_lectures.py [OUT_DIR]

Trains three small runs from the samples (a 3-D volume classifier, the deformable net, LeNet-5)
and grabs: a 3-D feature-map slice with the depth slider, a deformable unit's sampling points,
and a filter's top-9 patches with its activation-maximisation image.
"""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]


def train(stem, dataset, epochs, runs):
    from cnnstudio.core import load_project
    from cnnstudio.core.train.engine import Trainer
    project = load_project(ROOT / "sample_projects" / f"{stem}.cnnproj")
    project.dataset = {**project.dataset, **dataset}
    result = Trainer(project, runs / stem, overrides={"epochs": epochs, "device": "cpu"}, callbacks=[]).run()
    assert result["status"] == "finished", result
    return runs / stem


def open_panels(app, run_dir):
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QMainWindow
    from cnnstudio.core import load_project
    from cnnstudio.gui.inspect.docks import create_docks
    from cnnstudio.gui.session import Session
    session = Session()
    session.set_project(load_project(run_dir / "project.cnnproj"))
    win = QMainWindow()
    docks = create_docks(session, win)
    state = docks[0].inspect_state
    loop = QEventLoop()
    state.changed.connect(loop.quit)
    session.set_run(run_dir)
    loop.exec()
    return win, state, {d.objectName().split(".")[1]: d for d in docks}


def shot(app, dock, path, w, h):
    dock.setFloating(True)
    dock.resize(w, h)
    dock.show()
    app.processEvents()
    from screenshots import settle  # this folder is on the path when run as a script
    settle(dock.inspect_state)
    dock.widget().grab().save(str(path))
    return dock


def main(out_dir="docs"):
    from PySide6.QtWidgets import QApplication
    from cnnstudio.core.inspect.mosaic import tile_origin
    app = QApplication.instance() or QApplication([])
    out = Path(out_dir)
    runs = Path(tempfile.mkdtemp(prefix="cnnstudio-shots-"))

    # a 3-D feature-map slice, with the depth slider moved and a unit clicked
    win, state, panels = open_panels(app, train("volume_classifier", {"count": 900}, 4, runs))
    fp = panels["features"].widget()
    fp.layer.setCurrentText("conv1")
    state.select_sample(2)
    dock = shot(app, panels["features"], out / "panel-features-3d.png", 1000, 560)
    fp.depth.setValue(9)
    m = fp.mosaics["conv1"]
    oy, ox = tile_origin(1, m.tile_h, m.tile_w, m.cols, m.pad)
    fp.unit_clicked("conv1", ox + m.tile_w // 2, oy + m.tile_h // 2)
    shot(app, dock, out / "panel-features-3d.png", 1000, 560)

    # a deformable unit's sampling points
    win, state, panels = open_panels(app, train("deformable_net", {"count": 2500}, 4, runs))
    fp = panels["features"].widget()
    fp.layer.setCurrentText("dconv2")
    state.select_sample(5)
    dock = shot(app, panels["features"], out / "panel-deformable-points.png", 1000, 560)
    m = fp.mosaics["dconv2"]
    oy, ox = tile_origin(3, m.tile_h, m.tile_w, m.cols, m.pad)
    fp.unit_clicked("dconv2", ox + m.tile_w // 2, oy + m.tile_h // 2)
    shot(app, dock, out / "panel-deformable-points.png", 1000, 560)

    # what a unit looks for: top-9 patches and activation maximisation
    win, state, panels = open_panels(app, train("lenet5", {"count": 3000}, 3, runs))
    filters = panels["filters"].widget()
    filters.layer.setCurrentText("c3")
    dock = shot(app, panels["filters"], out / "panel-top-patches.png", 1000, 620)
    m = filters.mosaic
    filters.filter_clicked(m.pad + 2, m.pad + 5 * (m.tile_h + m.pad) + 2)  # filter 5
    shot(app, dock, out / "panel-top-patches.png", 1000, 620)
    print("wrote", [p.name for p in sorted(out.glob("panel-*-*.png"))])


if __name__ == "__main__":
    main(*sys.argv[1:])
