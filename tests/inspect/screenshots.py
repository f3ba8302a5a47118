"""Render each inspection panel on a run to docs/panel-*.png (not a test; run by hand):

    .venv/bin/python tests/inspect/screenshots.py RUN_DIR [OUT_DIR]
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def settle(state) -> None:
    """Run the event loop until the panels have what they asked the inspection process for."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop, timer = QEventLoop(), QTimer(interval=20)
    timer.timeout.connect(lambda: loop.quit() if not state.pending() else None)
    timer.start()
    loop.exec()
    timer.stop()


def main(run_dir, out_dir="docs"):
    from PySide6.QtWidgets import QApplication, QMainWindow
    from cnnstudio.core import load_project
    from cnnstudio.gui.inspect.docks import create_docks
    from cnnstudio.gui.session import Session

    app = QApplication.instance() or QApplication([])
    session = Session()
    session.set_project(load_project(Path(run_dir) / "project.cnnproj"))
    win = QMainWindow()
    docks = create_docks(session, win)
    state = docks[0].inspect_state
    from PySide6.QtCore import QEventLoop
    loop = QEventLoop()  # an event loop, not a processEvents() spin: PySide 6.12 crashes on
    state.changed.connect(loop.quit)  # busy processEvents() beside a torch thread
    session.set_run(Path(run_dir))
    loop.exec()
    settle(state)
    if state.inspection is None:
        sys.exit(f"cannot open the run: {state.message}")
    panels = {d.objectName().split(".")[1]: d for d in docks}
    out = Path(out_dir)
    out.mkdir(exist_ok=True)

    def shot(name, w=1000, h=640):
        dock = panels[name]
        dock.setFloating(True)
        dock.resize(w, h)
        dock.show()
        app.processEvents()
        settle(state)
        dock.widget().grab().save(str(out / f"panel-{name}.png"))
        dock.hide()

    insp = state.inspection
    shot("filters", 900, 560)
    convs = [n for n in insp.analysis.order if insp.graph.nodes[n].type == "Conv2d"]
    fp_first = convs[min(1, len(convs) - 1)]  # the second conv: a larger receptive field
    session.select([fp_first])
    fp = panels["features"].widget()
    fp.layer.setCurrentText(fp_first)
    state.select_sample(3)
    shot("features")  # sets the size first, then click a unit in the middle of map 2
    from cnnstudio.core.inspect.mosaic import tile_origin
    m = fp.mosaics[fp.layer.currentText()]
    oy, ox = tile_origin(2, m.tile_h, m.tile_w, m.cols, m.pad)
    fp.unit_clicked(fp.layer.currentText(), ox + m.tile_w // 2, oy + m.tile_h // 3)
    shot("features")
    pp = panels["predictions"].widget()
    pp.mistakes.setChecked(True)
    wrong = pp.gallery.indices
    state.select_sample(int(wrong[0]) if len(wrong) else 0)
    shot("predictions", 1100, 680)
    cp = panels["confusion"].widget()
    shot("confusion", 900, 720)
    from cnnstudio.core.inspect.confusion import most_confused
    worst = most_confused(cp.cm, 1) if insp.task != "box" else []
    if worst:
        t_, p_, _ = worst[0]
        cp.matrix.selected = (t_, p_)
        cp.show_cell(t_, p_)
        shot("confusion", 900, 720)
    tp = panels["timeline"].widget()
    tp.slider.setValue(0)
    shot("timeline", 1000, 420)
    state.shutdown()
    print("wrote", sorted(p.name for p in out.glob("panel-*.png")), "accuracy", insp.predictions.accuracy)


if __name__ == "__main__":
    main(*sys.argv[1:])
