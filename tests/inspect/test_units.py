"""What each unit looks for (Zeiler & Fergus): top-9 patches cropped to the receptive field,
and activation maximisation, for a unit built to detect one pattern."""
from __future__ import annotations

import numpy as np
import torch

from cnnstudio.core import Graph, analyze
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.inspect.units import activation_maximisation, top_patches

PLUS = np.array([[-1, 1, -1], [1, 1, 1], [-1, 1, -1]], np.float32)


def plus_detector():
    g = Graph()
    x = g.add("Input", shape=[1, 16, 16])
    c = g.add("Conv2d", x, id="c", out_channels=2, kernel_size=3, padding=1)
    g.add("MaxPool2d", g.add("ReLU", c, id="r"), id="p", kernel_size=2)
    a = analyze(g)
    net = compile_graph(g, a)
    with torch.no_grad():
        net.c.weight.zero_()
        net.c.bias.zero_()
        net.c.weight[0, 0] = torch.tensor(PLUS)
    return g, a, net


def images_with_plus_and_decoys(seed=0):
    """60 noisy images: 12 with a plus sign somewhere, 12 with an equally bright square."""
    rng = np.random.default_rng(seed)
    imgs = rng.normal(0, 0.1, (60, 1, 16, 16)).astype(np.float32)
    where = {}
    for i in range(0, 60, 5):
        y, x = rng.integers(0, 14, 2)
        imgs[i, 0, y:y + 3, x:x + 3] = np.maximum(imgs[i, 0, y:y + 3, x:x + 3], PLUS)
        where[i] = (y, x)
    for i in range(1, 60, 5):
        y, x = rng.integers(0, 14, 2)
        imgs[i, 0, y:y + 3, x:x + 3] = 1.0
    return imgs, where


def test_top_patches_of_a_plus_detector_are_the_plus_signs():
    g, a, net = plus_detector()
    imgs, where = images_with_plus_and_decoys()
    for node, size in (("r", 3), ("p", 4)):  # after pooling the receptive field grows to 4×4
        patches = top_patches(net, g, a, imgs, node, 0, k=9)
        assert len(patches) == 9 and [p.value for p in patches] == sorted((p.value for p in patches), reverse=True)
        for p in patches:
            assert p.index in where, p.index  # never a decoy square or plain noise
            y, x = where[p.index]
            y0, y1, x0, x1 = p.box
            assert y0 <= y and y + 2 <= y1 and x0 <= x and x + 2 <= x1  # the box holds the whole plus
            assert p.patch.shape == (1, y1 - y0 + 1, x1 - x0 + 1) and y1 - y0 + 1 <= size
            cut = imgs[p.index, 0, y:y + 3, x:x + 3]
            assert np.corrcoef(cut.ravel(), PLUS.ravel())[0, 1] > 0.9


def test_activation_maximisation_draws_the_pattern():
    g, a, net = plus_detector()
    img = activation_maximisation(net, "r", 0, (1, 16, 16))
    centre = img[0, 7:10, 7:10]
    assert np.corrcoef(centre.ravel(), PLUS.ravel())[0, 1] > 0.9
    assert all(p.requires_grad for p in net.parameters())  # the net is left trainable


def test_top_patches_of_a_signal_unit_are_the_rising_edges():
    g = Graph()
    x = g.add("Input", shape=[1, 40])
    g.add("Conv1d", x, id="c", out_channels=1, kernel_size=4)
    a = analyze(g)
    net = compile_graph(g, a)
    edge = np.array([-1, -1, 1, 1], np.float32)
    with torch.no_grad():
        net.c.weight[0, 0] = torch.tensor(edge)
        net.c.bias.zero_()
    rng = np.random.default_rng(1)
    sig = rng.normal(0, 0.05, (30, 1, 40)).astype(np.float32)
    starts = {}
    for i in range(0, 30, 3):
        s = int(rng.integers(0, 36))
        sig[i, 0, s + 2:] += 1.0  # a step up
        starts[i] = s
    patches = top_patches(net, g, a, sig, "c", 0, k=9)
    assert all(p.index in starts and p.box == (starts[p.index], starts[p.index] + 3) for p in patches)


def test_several_units_found_together_are_the_same_as_one_at_a_time():
    """The report finds its units' patches and pictures in one pass and one batch: the same as
    one unit at a time, and the gradient ascent is Adam's, step for step."""
    g, a, net = plus_detector()
    imgs, _ = images_with_plus_and_decoys()
    alone = [top_patches(net, g, a, imgs, "r", c, k=5) for c in (0, 1)]
    together = top_patches(net, g, a, imgs, "r", [0, 1], k=5)
    assert [[(p.index, p.box) for p in ps] for ps in together] == [[(p.index, p.box) for p in ps] for ps in alone]
    pictures = activation_maximisation(net, "r", [0, 1], (1, 16, 16), steps=30)
    for c in (0, 1):
        assert np.allclose(pictures[c], activation_maximisation(net, "r", c, (1, 16, 16), steps=30), atol=1e-5)
    # the same ascent with torch.optim.Adam (decay and blur off, so only the optimiser differs)
    x = (0.01 * torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.1)
    for _ in range(30):
        x.grad, = torch.autograd.grad(-net(x, return_all=True)["r"][0, 0, 8, 8], x)
        opt.step()
    mine = activation_maximisation(net, "r", 0, (1, 16, 16), steps=30, decay=0, blur_every=0)
    assert np.allclose(mine, x.detach().numpy()[0], atol=1e-5)


def test_activation_maximisation_does_not_load_torch_dynamo():
    """torch.optim's first optimizer imported torch._dynamo: ≈1.4 s of every `cnnstudio report`."""
    import subprocess
    import sys
    code = ("import sys, torch; from tests.inspect.test_units import plus_detector; "
            "from cnnstudio.core.inspect.units import activation_maximisation; "
            "activation_maximisation(plus_detector()[2], 'r', [0, 1], (1, 16, 16), steps=2); "
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


def test_a_unit_silent_for_faint_noise_still_draws_its_pattern():
    """A conv block with its own ReLU and a negative bias is 0 for the faint noise the ascent
    starts from: no gradient through the ReLU, and the picture stayed that noise (three of the
    LeNet-5 report's four pictures). The ascent climbs its value before the activation."""
    g = Graph()
    x = g.add("Input", shape=[1, 16, 16])
    g.add("Conv2d", x, id="c", out_channels=1, kernel_size=3, padding=1, activation="relu")
    net = compile_graph(g, analyze(g))
    with torch.no_grad():
        net.c.weight[0, 0] = torch.tensor(PLUS)
        net.c.bias.fill_(-1.0)
    start = 0.01 * torch.randn(1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert net(start[None], until="c")[0, 0, 8, 8] == 0  # silent where the ascent starts
    img = activation_maximisation(net, "c", 0, (1, 16, 16))
    assert np.corrcoef(img[0, 7:10, 7:10].ravel(), PLUS.ravel())[0, 1] > 0.9
    assert net(torch.as_tensor(img)[None], until="c")[0, 0, 8, 8] > 0  # the picture excites the unit
