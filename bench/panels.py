"""Panel refresh time for a 64-channel layer, against a matplotlib grid of the same maps.

    .venv/bin/python bench/panels.py

Prints median milliseconds and each figure as a ratio to the baseline measured in the same
run: the 64 maps drawn as an 8×8 matplotlib imshow grid (Agg), the usual way to plot them.
"""
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_ms(fn, n=30, warm=3):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    import numpy as np
    import torch
    from PySide6.QtWidgets import QApplication

    from cnnstudio.core import Graph
    from cnnstudio.core.compiler import compile_graph
    from cnnstudio.core.inspect.features import activations, feature_mosaic
    from cnnstudio.core.inspect.filters import conv_layers, filter_mosaic
    from cnnstudio.core.inspect.source import Inspection
    from cnnstudio.gui.inspect.features_panel import FeatureMapsPanel
    from cnnstudio.gui.inspect.filters_panel import FiltersPanel
    from cnnstudio.gui.inspect.state import InspectState
    from cnnstudio.gui.session import Session

    torch.manual_seed(0)
    g = Graph()
    x = g.add("Input", shape=[3, 32, 32], id="input")
    c1 = g.add("Conv2d", x, id="conv1", out_channels=64, kernel_size=3, padding=1, activation="relu")
    c2 = g.add("Conv2d", c1, id="conv2", out_channels=64, kernel_size=3, padding=1, activation="relu")
    f = g.add("Flatten", g.add("MaxPool2d", c2, id="pool", kernel_size=4), id="flat")
    g.add("Linear", f, id="fc", out_features=10)
    net = compile_graph(g).eval()
    images = np.random.default_rng(0).normal(size=(64, 3, 32, 32)).astype(np.float32)
    insp = Inspection(net=net, graph=g, classes=[str(i) for i in range(10)], images=images,
                      labels=np.arange(64) % 10, mean=[0.5] * 3, std=[0.25] * 3, name="bench")
    maps = activations(net, images[0])["conv2"]  # 64×32×32

    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(8, 8), dpi=100)
    canvas = FigureCanvasAgg(fig)
    axes = [fig.add_subplot(8, 8, i + 1) for i in range(64)]
    for ax in axes:
        ax.set_axis_off()

    def matplotlib_grid():
        for ax, m in zip(axes, maps):
            ax.images.clear() if hasattr(ax.images, "clear") else None
            for im in list(ax.images):
                im.remove()
            ax.imshow(m, cmap="viridis")
        canvas.draw()

    app = QApplication.instance() or QApplication([])
    session = Session()
    state = InspectState(session)
    state.set_inspection(insp)
    fm = FeatureMapsPanel(state)
    fp = FiltersPanel(state)
    for w in (fm, fp):
        w.resize(1000, 700)
        w.show()
    app.processEvents()
    fm.layer.setCurrentText("conv2")
    fp.layer.setCurrentText("conv2")
    weights = conv_layers(net)[1].weight  # 64×64×3×3

    def feature_refresh():  # a new sample: forward pass, 64-map mosaic, QImage, repaint
        fm._acts_key = None
        fm.refresh()
        fm.area.view.repaint()

    def layer_switch():  # another layer of the same sample (a canvas click): mosaic, QImage, repaint
        fm.refresh()
        fm.area.view.repaint()

    def filter_refresh():  # new weights while training: 64 filters × 16 inputs, histogram
        fp.refresh()
        fp.area.view.repaint()
        fp.hist.repaint()

    base = median_ms(matplotlib_grid, n=10)
    rows = [("matplotlib 8×8 imshow grid of the 64 maps (baseline)", base),
            ("feature_mosaic(64×32×32) → uint8 mosaic (numpy)", median_ms(lambda: feature_mosaic(maps))),
            ("filter_mosaic(64×64×3×3) (numpy)", median_ms(lambda: filter_mosaic(weights))),
            ("Feature maps panel, new sample, 64-channel layer (forward + mosaic + paint)", median_ms(feature_refresh)),
            ("Feature maps panel, switch to a 64-channel layer (mosaic + paint)", median_ms(layer_switch)),
            ("Filters panel refresh, 64-filter layer (mosaic + histogram + paint)", median_ms(filter_refresh))]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of 30 runs")
    for name, ms in rows:
        print(f"{name:<76} {ms:7.2f} ms  {ms / base:6.3f}× baseline")


if __name__ == "__main__":
    main()
