"""What makes `cnnstudio report` quick changes nothing it shows: a tiny network's report made
with PyTorch's own convolutions (not oneDNN's) has the same pictures and figures; and the
command line imports only the subcommand it runs, while --help still lists every one."""
import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnstudio.core.inspect.report import build_report
from cnnstudio.core.inspect.source import from_run

ROOT = Path(__file__).resolve().parents[2]


def shown(text: str) -> tuple[dict, str]:
    """The report's pictures ([(alt text, pixels)]) and its text without them or its date."""
    images = [(alt, np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))))
              for data, alt in re.findall(r'src="data:image/png;base64,([^"]+)" alt="([^"]*)"', text)]
    return images, re.sub(r"<img[^>]*>|CNN Studio report, [0-9: -]*", "", text)


def test_a_tiny_networks_report_is_the_same_with_pytorchs_own_convolutions(small_run, monkeypatch):
    insp = from_run(small_run)
    images, text = shown(build_report(insp))
    assert len(images) == 2 + 5 + 4 + 24  # filters, input and feature maps, the four units, the samples
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", False)  # what the CLI does for LeNet-5
    insp._preds = None  # predicted again
    plain, plain_text = shown(build_report(insp))
    assert plain_text == text and [alt for alt, _ in plain] == [alt for alt, _ in images]
    for (alt, img), (_, same) in zip(images, plain):
        assert np.array_equal(same, img), alt


def test_grad_cams_of_several_samples_are_each_ones_own(small_run, monkeypatch):
    """The report's 24 Grad-CAM maps come from one forward and backward: the same maps, layer and
    classes as one sample at a time, in batches too."""
    from cnnstudio.core.inspect import gradcam
    insp = from_run(small_run)
    images = insp.images[:5]
    monkeypatch.setattr(gradcam, "BATCH_VALUES", 2 * images[0].size)  # batches of 2, 2 and 1
    for target in (None, 3):  # the predicted class, or class 3 for each
        alone = [gradcam.grad_cam(insp.net, img, target, None, insp.activation) for img in images]
        together = gradcam.grad_cams(insp.net, images, [target] * 5, None, insp.activation)
        assert [(node, cls) for _, node, cls in together] == [(node, cls) for _, node, cls in alone]
        for (heat, _, _), (one, _, _) in zip(together, alone):
            assert heat.shape == (28, 28) and np.allclose(heat, one, atol=1e-5)
    assert {cls for _, _, cls in together} == {3} and len({cls for _, _, cls in alone}) == 1
    assert gradcam.grad_cams(insp.net, images[:0]) == []


def test_a_subcommand_imports_only_its_own_module_and_help_lists_all():
    code = ("import sys, cnnstudio.cli as cli; cli.build_parser(['report', 'RUN']).parse_args(['report', 'RUN']); "
            "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('cnnstudio.cli.')))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['output',", "'report']"]
    helped = subprocess.run([sys.executable, "-m", "cnnstudio", "--help"], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=True).stdout
    for command in ("summary", "open", "train", "sweep", "datasets", "report", "import", "export", "evaluate"):
        assert f"    {command} " in helped
    bad = subprocess.run([sys.executable, "-m", "cnnstudio", "reprot"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'reprot'" in bad.stderr and "Traceback" not in bad.stderr
