"""File → Import model… as a new user meets it: the model list at once from its cache, a file
picker for a weights file, the offline message in the window's words, only datasets an image
model can be fitted to, and Save as starting in a folder of the user's, not the program's."""
from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cnnstudio.core.data.vision import data_root

ROWS = [{"name": "resnet18", "params": 11689512, "input_size": 224, "weights": "IMAGENET1K_V1", "accuracy": 69.758},
        {"name": "mobilenet_v3_small", "params": 2542856, "input_size": 224, "weights": "IMAGENET1K_V1",
         "accuracy": 67.668}]


@pytest.fixture
def cached_models():
    """The model list as a first listing leaves it (a cache named for the installed torchvision)."""
    cache = data_root().parent / f"torchvision-{version('torchvision')}-models-2.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(ROWS))
    yield cache
    cache.unlink()


def test_the_dialog_lists_models_from_the_cache_and_offers_image_datasets(qtbot, make_window, cached_models):
    win = make_window()
    dialog = win.import_model()
    qtbot.waitUntil(lambda: dialog.models.topLevelItemCount() == 2, timeout=5000)  # read, not listed again
    assert dialog.visible_models() == ["resnet18", "mobilenet_v3_small"]
    offered = [dialog.dataset.itemData(i) for i in range(dialog.dataset.count())]
    assert "mnist5k" in offered and "cifar10" in offered and "image_folder" in offered
    assert "signals" not in offered and "volumes" not in offered  # a 2-D image model fits neither
    dialog.reject()


def test_weights_file_picker_and_save_as_folder(qtbot, make_window, cached_models, tmp_path, monkeypatch):
    win = make_window()  # an unsaved project: Save as starts at home, never the working folder
    dialog = win.import_model()
    qtbot.waitUntil(lambda: dialog.models.topLevelItemCount() == 2, timeout=5000)
    assert dialog.folder == str(Path.home()) != str(Path.cwd())
    dialog.models.setCurrentItem(dialog.models.findItems("resnet18", Qt.MatchExactly)[0])
    assert dialog.output.text() == str(Path.home() / "resnet18.cnnproj")

    weights = tmp_path / "resnet18.pth"
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: asked.append(a[2]) or (str(weights), ""))
    dialog.weights.setCurrentIndex(2)  # "from a file…" chosen as a user does: a file picker opens
    dialog.weights.activated.emit(2)
    assert dialog.weights_file.text() == str(weights) and asked == [str(Path.home())]
    dialog.weights_file.clear()
    dialog.weights.setCurrentIndex(0)
    browse = next(b for b in dialog.findChildren(type(dialog.import_button)) if b.text() == "Browse…"
                  and b.isVisibleTo(dialog) and dialog.weights_file.parentWidget() is b.parentWidget())
    qtbot.mouseClick(browse, Qt.LeftButton)  # the weights box's own Browse
    assert dialog.weights_file.text() == str(weights) and dialog.weights.currentIndex() == 2

    # an import written into another folder: the next dialog starts there
    (tmp_path / "models").mkdir()
    monkeypatch.setattr(win.docs, "open_path", lambda *a, **k: True)  # (no project is really written here)
    dialog._done({"project": str(tmp_path / "models" / "resnet18.cnnproj")})
    assert win.import_model().folder == str(tmp_path / "models")


def test_offline_weights_are_explained_in_the_window_s_words(monkeypatch):
    from cnnstudio.core import interop
    from cnnstudio.core.interop import InteropError
    from cnnstudio.core.interop.zoo import OfflineError
    from cnnstudio.gui.interop import import_dialog

    def offline(*a, **k):
        raise OfflineError("resnet18", "https://download.pytorch.org/models/resnet18.pth", "no network")
    monkeypatch.setattr(interop, "import_model", offline)
    with pytest.raises(InteropError) as e:
        import_dialog.run_import("torchvision:resnet18", "pretrained", None, "x.cnnproj", None, False)
    text = str(e.value)
    assert "offline" in text and "from a file…" in text and "Browse" in text and "--weights" not in text
    assert "--weights FILE" in str(OfflineError("resnet18", "u", "r"))  # the command line keeps its flag
