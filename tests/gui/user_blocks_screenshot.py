"""Render a network of user blocks to docs/make-block.png (not a test; run by hand):

    .venv/bin/python tests/gui/user_blocks_screenshot.py [OUT_DIR]

Top: the network with its VGGStage ×3 block (holding ConvRelu ×2 and a pool) selected, its own
parameters in the properties; below: the same block opened inside, with the breadcrumb.
"""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def network():
    from cnnstudio.core import Graph
    from cnnstudio.core.graph.commands import UndoStack
    from cnnstudio.core.analysis.make_block import make_block
    g = Graph()
    x = g.add("Input", id="input", shape=[3, 32, 32])
    conv = g.add("Conv2d", x, id="conv", out_channels=32, kernel_size=3, padding=1, activation="relu")
    cmd, convs = make_block(g, [conv], "ConvRelu", {"channels": [["conv", "out_channels"]]}, 2, [3, 32, 32])
    UndoStack(g).push(cmd)
    pool = g.add("MaxPool2d", convs, id="pool", kernel_size=2)
    cmd, stage = make_block(g, [convs, pool], "VGGStage", {"channels": [[convs, "channels"]], "n": [[convs, "repeat"]]},
                            3, [3, 32, 32])
    UndoStack(g).push(cmd)
    g.add("Linear", g.add("Flatten", g.add("AdaptiveAvgPool2d", stage, id="gap"), id="flatten"), id="fc")
    return g, stage, convs


def main(out_dir="docs"):
    os.environ["CNNSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp()  # not the user's library
    from PySide6.QtCore import QRect, QSettings
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QApplication

    from cnnstudio.core.project import Project, save_project
    from cnnstudio.gui import theme
    from cnnstudio.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    theme.apply(app)
    tmp = Path(tempfile.mkdtemp())
    g, stage, convs = network()
    save_project(Project("VGG-style stages", g, blocks=[g.nodes[stage].params]), tmp / "vgg_blocks.cnnproj")
    w = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.IniFormat))
    w.resize(1280, 800)
    w.show()
    w.docs.open_path(str(tmp / "vgg_blocks.cnnproj"))

    def shot(select):
        w.session.select([select])
        app.processEvents()
        w.canvas.fit(animate=False)
        app.processEvents()
        return w.grab().toImage().copy(QRect(0, 48, 1280, 512))

    outer = shot(stage)
    w.session.enter(stage)
    inner = shot(convs)
    out = QImage(1280, 2 * outer.height() + 8, QImage.Format_RGB32)
    out.fill(QColor("#888888"))
    p = QPainter(out)
    p.drawImage(0, 0, outer)
    p.drawImage(0, outer.height() + 8, inner)
    p.end()
    out.save(str(Path(out_dir) / "make-block.png"))


if __name__ == "__main__":
    main(*sys.argv[1:])
