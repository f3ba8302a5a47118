"""Render imported models and the import dialog to docs/ (not a test; run by hand):

    .venv/bin/python tests/gui/interop_screenshots.py [OUT_DIR]

Writes import-resnet50.png, import-mobilenetv3.png (one block expanded) and import-dialog.png.
"""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(out_dir="docs"):
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cnnstudio.core.interop import import_model
    from cnnstudio.core.interop.importer import save_imported
    from cnnstudio.gui import theme
    from cnnstudio.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    theme.apply(app)
    out = Path(out_dir)
    tmp = Path(tempfile.mkdtemp())

    def wait(ms=300):
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    win = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.IniFormat))
    win.resize(1600, 1000)
    win.show()
    for name, expand, fname in (("resnet50", None, "import-resnet50.png"),
                                ("mobilenet_v3_large", "features_4", "import-mobilenetv3.png")):
        path = tmp / f"{name}.cnnproj"
        save_imported(import_model(f"torchvision:{name}"), path, with_weights=False)
        win.docs.open_path(path, confirmed=True)
        wait()
        if expand:
            item = win.canvas.graph_scene.nodes[expand]
            item.set_expanded(True)
        win.canvas.fit()
        wait()
        win.grab().save(str(out / fname))
    dialog = win.import_model()
    for _ in range(100):
        if dialog.models.topLevelItemCount():
            break
        wait(100)
    dialog.search.setText("mobilenet")
    dialog.models.setCurrentItem(dialog.models.findItems("mobilenet_v3_large", Qt.MatchExactly)[0])
    dialog.weights.setCurrentIndex(1)
    dialog.dataset.setCurrentIndex(dialog.dataset.findData("cifar10"))
    dialog.freeze.setCurrentIndex(1)
    wait()
    dialog.grab().save(str(out / "import-dialog.png"))
    dialog.reject()
    win.docs.ask_save = lambda: True
    win.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
