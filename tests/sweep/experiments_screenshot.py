"""docs/experiments.png: LeNet-5 on MNIST 5k, conv widths and the learning rate searched for
accuracy against size (NSGA-II), shown in the Experiments view with the Pareto front.

Run: QT_QPA_PLATFORM=offscreen python tests/sweep/experiments_screenshot.py [OUT.png]
(it runs a 12-trial sweep of one epoch each in a temporary folder first)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(out: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="cnnstudio-shot-"))
    project = folder / "lenet5.cnnproj"
    shutil.copy(ROOT / "sample_projects" / "lenet5.cnnproj", project)
    subprocess.run([sys.executable, "-m", "cnnstudio", "sweep", str(project), "--vary", "c1.out_channels=2,4,6,8",
                    "--vary", "c3.out_channels=4,8,16,32", "--vary", "lr=1e-3:1e-2:log", "--objective",
                    "score,params", "--trials", "12", "--parallel", "2", "--epochs", "1", "--seed", "1"],
                   check=True, cwd=ROOT)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from cnnstudio.gui import theme
    from cnnstudio.gui.main_window import MainWindow
    theme.apply(app)
    win = MainWindow(settings=QSettings(str(folder / "settings.ini"), QSettings.IniFormat))
    win.resize(1400, 900)
    win.show()
    win.docs.open_path(project)
    win.workspaces.switch("train")
    view = win.experiments
    view.reveal()
    view.refresh(force=True)
    view.tabs.setCurrentWidget(view.scatter_page)
    best = max(view.rows, key=lambda r: r["score"] or 0)
    view.table.select_trial(best["trial"])
    for _ in range(30):
        app.processEvents()
    win.grab().save(str(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "experiments.png")
