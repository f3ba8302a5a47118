"""`cnnstudio train` and `cnnstudio datasets`, through the real entry point."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cnnstudio.cli import main
from cnnstudio.core import load_project, save_project
from cnnstudio.core.train.pointer import checkpoint_file

from .conftest import small_project


def test_train_json_lines_and_run_folder(project_file, tmp_path, capsys):
    code = main(["train", str(project_file), "--epochs", "2", "--json", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    rows = [json.loads(line) for line in out]
    assert [r["epoch"] for r in rows[:2]] == [1, 2] and rows[-1]["done"] and rows[-1]["status"] == "finished"
    for r in rows[:2]:
        assert {"epoch", "train_loss", "val_loss", "val_accuracy", "lr", "seconds", "images_per_s"} <= set(r)
    assert checkpoint_file(tmp_path / "run", "best").exists()


def test_resume_extends_a_run(project_file, tmp_path, capsys):
    assert main(["train", str(project_file), "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    assert main(["train", str(project_file), "--epochs", "2", "--json", "--resume", str(tmp_path / "run")]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert [r["epoch"] for r in rows if "epoch" in r] == [2]


def test_resume_remembers_its_new_epochs(project_file, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(project_file), "--epochs", "1", "--out", str(run)]) == 0
    assert main(["train", str(project_file), "--epochs", "2", "--resume", str(run)]) == 0
    assert load_project(run / "project.cnnproj").training["epochs"] == 2
    capsys.readouterr()
    # a plain resume now has nothing left to do, instead of forgetting the second epoch
    assert main(["train", str(project_file), "--resume", str(run)]) == 0
    assert "Already trained 2 epoch(s)" in capsys.readouterr().err


def test_out_that_cannot_be_a_folder_is_bad_input_before_any_data(project_file, tmp_path, capsys):
    a_file = tmp_path / "afile"
    a_file.write_text("keep me")
    for out, text in ((a_file, "is a file, not a folder"), (a_file / "sub", "is a file, not a folder")):
        assert main(["train", str(project_file), "--epochs", "1", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err and "Loading dataset" not in err
    assert a_file.read_text() == "keep me"


def test_default_run_folder_is_beside_the_project(project_file, capsys):
    assert main(["train", str(project_file), "--epochs", "1", "--lr", "0.01", "--batch-size", "16"]) == 0
    runs = list((project_file.parent / "tiny.runs").iterdir())
    assert len(runs) == 1
    trained = load_project(runs[0] / "project.cnnproj")
    assert trained.training["lr"] == 0.01 and trained.training["batch_size"] == 16


@pytest.mark.parametrize("case, code, text", [
    ("head", 1, "gives 5 outputs"),
    ("missing", 2, "no such file"),
    ("dataset", 2, "Unknown dataset"),
    ("offline", 2, "could not be downloaded"),
    ("epochs", 2, '"epochs" must be'),
    ("device", 2, "no CUDA GPU"),
])
def test_exit_codes_and_messages(tmp_path, capsys, monkeypatch, case, code, text):
    import urllib.error
    import urllib.request

    def offline(*a, **k):
        raise urllib.error.URLError("no network")
    monkeypatch.setattr(urllib.request, "urlopen", offline)  # offline even on a machine with internet
    monkeypatch.setenv("CNNSTUDIO_DATA", str(tmp_path / "data"))
    path = tmp_path / "p.cnnproj"
    save_project(small_project(classes=5 if case == "head" else 3), path)
    args = {"head": [], "missing": [], "dataset": ["--dataset", "nope"], "offline": ["--dataset", "kmnist"],
            "epochs": ["--epochs", "0"], "device": ["--device", "cuda"]}[case]
    target = str(tmp_path / "nothing.cnnproj") if case == "missing" else str(path)
    if case == "device":
        import torch
        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    assert main(["train", target, "--out", str(tmp_path / "run"), *args]) == code
    assert text in capsys.readouterr().err


def test_datasets_lists_ids_offline_shape_and_classes(capsys):
    assert main(["datasets", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_id = {d["id"]: d for d in doc["datasets"]}
    assert {"mnist", "fashion_mnist", "kmnist", "cifar10", "cifar100", "svhn", "mnist5k", "shapes",
            "image_folder"} <= set(by_id)
    assert by_id["mnist5k"]["available_offline"] and by_id["mnist5k"]["shape"] == [1, 28, 28]
    assert by_id["cifar10"]["classes"][0] == "airplane"
    assert main(["datasets"]) == 0
    assert "mnist5k" in capsys.readouterr().out


def test_lenet5_sample_reaches_95_percent_on_mnist5k(tmp_path, capsys):
    """The issue's claim, headless on CPU with the sample's own settings (8 epochs)."""
    t = time.perf_counter()
    sample = Path(__file__).resolve().parents[2] / "sample_projects" / "lenet5.cnnproj"
    assert main(["train", str(sample), "--json", "--out", str(tmp_path / "run")]) == 0
    seconds = time.perf_counter() - t
    rows = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    best = max(r["val_accuracy"] for r in rows if "epoch" in r)
    print(f"LeNet-5 on MNIST 5k: best val accuracy {best:.4f} in {seconds:.1f} s")
    assert best >= 0.95


def test_ctrl_c_stops_cleanly_with_exit_code_3(project_file, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "cnnstudio", "train", str(project_file), "--epochs", "2000",
                             "--json", "--out", str(tmp_path / "run")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(root))
    first = json.loads(proc.stdout.readline())  # one epoch done
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert first["epoch"] == 1 and "Stopped during epoch" in err and "Resume with: cnnstudio train" in err
    last = json.loads(out.strip().splitlines()[-1])
    assert last["status"] == "stopped"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "stopped"


def test_a_second_ctrl_c_interrupts_at_once_without_a_traceback(project_file, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "cnnstudio", "train", str(project_file), "--epochs", "2000",
                             "--json", "--out", str(tmp_path / "run")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(root))
    json.loads(proc.stdout.readline())  # one epoch done
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    # 3 when the second Ctrl-C cuts the run short; killed by SIGINT (-2) when it lands after the
    # clean stop already finished, during exit. Either way: no traceback, nothing lost.
    assert proc.returncode in (3, -signal.SIGINT)
    assert "Traceback" not in err and ("interrupted" in err or "Stopped" in err)
    assert (tmp_path / "run" / "metrics.jsonl").read_text().strip()  # the finished epoch is kept


def test_datasets_download_offers_every_downloadable_dataset(capsys):
    from cnnstudio.cli import main as cli
    assert cli(["datasets", "--download", "shapes"]) == 2
    err = capsys.readouterr().err
    assert "not a downloadable dataset" in err and "cifar10" in err and "medmnist" in err


def test_a_network_error_names_its_block_once(tmp_path, capsys):
    from cnnstudio.cli import main as cli
    bad = tmp_path / "bad.cnnproj"
    text = (Path(__file__).resolve().parents[2] / "sample_projects" / "lenet5.cnnproj").read_text()
    bad.write_text(text.replace('"kernel_size": 5, "stride": 1, "padding": 0', '"kernel_size": 30, "stride": 1, "padding": 0'))
    assert cli(["train", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "before training: c3 (Conv2d): kernel 30×30 is larger than the 14×14 input" in err and "c3: c3" not in err
