"""The compiled model drops each block's output as soon as no later block needs it, so its
eval-time memory is that of a hand-written model: the ResNet-18 sample against torchvision's
ResNet-18 at the same batch, each measured as the peak resident memory a no-grad forward adds (Linux's VmHWM, reset first),
in its own fresh process (run side by side)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys, torch
torch.set_num_threads(1)
which = sys.argv[1]
if which == "torchvision":
    import torchvision
    model = torchvision.models.resnet18(num_classes=10)
else:
    from cnnstudio.core import load_project
    from cnnstudio.core.build.compiler import compile_graph
    model = compile_graph(load_project(sys.argv[2]).graph)
model.eval()
x = torch.randn(16, 3, 160, 160)
def status(key):  # kB, from /proc/self/status
    return int(next(l for l in open("/proc/self/status") if l.startswith(key)).split()[1])
with torch.no_grad():
    model(x[:1])  # first-call allocations (thread pools, weight layouts) before the baseline
    open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from now
    before = status("VmRSS:")
    model(x)
print(status("VmHWM:") - before)  # kB the forward added at its peak
"""


def test_eval_memory_matches_torchvision_resnet18():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = {k: subprocess.Popen([sys.executable, "-c", SCRIPT, k, str(ROOT / "sample_projects" / "resnet18.cnnproj")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for k in ("torchvision", "compiled")}
    added = {}
    for k, p in procs.items():
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        added[k] = int(out.split()[-1])
    assert added["torchvision"] > 20_000  # KB: the forward really allocates (batch 16 at 160×160)
    print(added)
    assert added["compiled"] <= 1.1 * added["torchvision"], added
