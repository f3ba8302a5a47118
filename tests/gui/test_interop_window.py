"""Models in and out from the window, as a person does it: File → Import model… (search the
torchvision list, a local weights file, fit to a dataset with the backbone frozen), the locks on
the canvas, "freeze everything before this block" from a block's menu, train the head, unfreeze
and fine-tune from the head run's weights, File → Export… to ONNX."""
import json

import torch
import torchvision
from PySide6.QtCore import Qt
from safetensors.torch import load_file

from cnnstudio.core import load_project
from cnnstudio.core.train.runs import load_run

from .conftest import click_item


def test_import_freeze_and_export_from_the_window(qtbot, make_window, tmp_path):
    win = make_window()
    source = torchvision.models.resnet18()
    torch.save(source.state_dict(), tmp_path / "resnet18.pth")

    dialog = win.import_model()
    qtbot.waitUntil(lambda: dialog.models.topLevelItemCount() > 60, timeout=60000)
    assert "vit_b_16" not in dialog.visible_models()
    qtbot.keyClicks(dialog.search, "resnet1")
    assert dialog.visible_models() == ["resnet101", "resnet152", "resnet18", "wide_resnet101_2"]
    item = dialog.models.findItems("resnet18", Qt.MatchExactly)[0]
    assert item.text(1) == "11,689,512" and item.text(2) == "224×224"
    dialog.models.setCurrentItem(item)  # as a click on the row does
    dialog.weights.setCurrentIndex(2)  # from a file…
    qtbot.keyClicks(dialog.weights_file, str(tmp_path / "resnet18.pth"))
    dialog.dataset.setCurrentIndex(dialog.dataset.findData("shapes"))
    dialog.freeze.setCurrentIndex(1)
    out = tmp_path / "shapes_resnet18.cnnproj"
    dialog.output.clear()
    qtbot.keyClicks(dialog.output, str(out))
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.session.path == out, timeout=60000)

    scene = win.canvas.graph_scene
    assert len(scene.nodes) == 14 and scene.nodes["layer4_1"].frozen and not scene.nodes["fc"].frozen
    assert win.session.graph.nodes["fc"].params["out_features"] == 5  # the dataset's classes
    assert torch.equal(load_file(str(tmp_path / "shapes_resnet18.safetensors"))["conv1.0.weight"],
                       source.conv1.weight)
    win.canvas.centerOn(scene.nodes["layer4_1"])
    win.canvas.grab().save(str(tmp_path / "frozen.png"))

    # a block's menu: unfreeze everything, then freeze everything before the head again
    menu = win.canvas.node_menu("fc")
    next(a for a in menu.actions() if a.text().startswith("Unfreeze all")).trigger()
    assert not any(n.frozen for n in win.session.graph.nodes.values())
    menu = win.canvas.node_menu("fc")
    next(a for a in menu.actions() if a.text() == "Freeze everything before this block").trigger()
    frozen = {n for n, node in win.session.graph.nodes.items() if node.frozen}
    assert "conv1" in frozen and "layer4_1" in frozen and "fc" not in frozen
    win.session.undo()
    assert not any(n.frozen for n in win.session.graph.nodes.values())
    win.session.redo()
    win.docs.save()
    assert json.loads(out.read_text())["graph"]["nodes"][1].get("frozen") is True
    assert load_project(out).weights == "shapes_resnet18.safetensors"

    # train the head from the Training dock (a small dataset: fewer images in the file)
    doc = json.loads(out.read_text())
    doc["dataset"].update(count=60, val_fraction=0.25)
    doc["training"].update(epochs=1, batch_size=15, cpu_threads=1)
    out.write_text(json.dumps(doc))
    win.docs.open_path(out, confirmed=True)
    qtbot.waitUntil(lambda: win.training.start_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(win.training.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not win.training.running and win.session.run_dir is not None
                    and (win.session.run_dir / "run.json").exists()
                    and load_run(win.session.run_dir).info.get("status") == "finished", timeout=120000)
    trained = load_file(str(load_run(win.session.run_dir).checkpoint("last")))
    start = load_file(str(tmp_path / "shapes_resnet18.safetensors"))
    assert torch.equal(trained["layer3_0.conv1.weight"], start["layer3_0.conv1.weight"])  # frozen
    assert torch.equal(trained["conv1.1.running_mean"], start["conv1.1.running_mean"])  # BatchNorm in eval
    # fine-tuning starts from what the head run learned: chosen in the Training dock's transfer group
    head_run = win.session.run_dir
    box = win.training.transfer
    box.start_from.setCurrentIndex(box.start_from.findData(str(head_run)))
    box.start_from.activated.emit(box.start_from.currentIndex())
    name = win.session.project.weights
    assert name == f"shapes_resnet18-{head_run.name}.safetensors" and (tmp_path / name).exists()

    # unfreeze every block there too, and fine-tune everything from the head run's weights
    box.freeze.showPopup()
    box.freeze.hidePopup()
    box.freeze.setCurrentIndex(0)  # nothing: train every block
    box.freeze.activated.emit(0)
    assert not any(node.frozen for node in win.session.graph.nodes.values())
    qtbot.waitUntil(lambda: win.training.start_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(win.training.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not win.training.running and win.session.run_dir not in (None, head_run)
                    and (win.session.run_dir / "run.json").exists()
                    and load_run(win.session.run_dir).info.get("status") == "finished", timeout=120000)
    tuned = load_file(str(load_run(win.session.run_dir).checkpoint("last")))
    adopted = load_file(str(tmp_path / name))
    assert torch.equal(adopted["fc.weight"], trained["fc.weight"])  # it started where the head run ended
    assert not torch.equal(tuned["layer3_0.conv1.weight"], adopted["layer3_0.conv1.weight"])  # the backbone learns
    assert not torch.equal(tuned["fc.weight"], adopted["fc.weight"])

    dialog = win.export_model()
    dialog.format.setCurrentIndex(0)  # ONNX
    dialog.weights.setCurrentIndex(1)  # the run just trained
    assert dialog.output.text().endswith("shapes_resnet18.onnx")
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "Wrote" in dialog.status.text() or "annot" in dialog.status.text(), timeout=60000)
    assert "Checked: max |difference|" in dialog.status.text(), dialog.status.text()
    assert "best checkpoint" in dialog.status.text()
    assert (tmp_path / "shapes_resnet18.onnx").exists()
    dialog.close()
