"""The epoch timeline records the probe's feature maps for signals and volumes too, and the
panel's mosaic draws them (it recorded images only: a 1-D or 3-D run's timeline had no maps)."""
from __future__ import annotations

import numpy as np
import pytest

from cnnstudio.core import Graph, analyze
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.inspect.features import feature_mosaic
from cnnstudio.core.train.timeline import snapshot


@pytest.mark.parametrize("dims", [1, 3], ids=["signal", "volume"])
def test_snapshot_keeps_the_maps_of_signals_and_volumes(dims):
    g = Graph()
    shape = [1, 40] if dims == 1 else [1, 8, 8, 8]
    x = g.add("Input", shape=shape)
    c = g.add(f"Conv{dims}d", x, id="c", out_channels=4, kernel_size=3, padding=1, activation="relu")
    p = g.add(f"MaxPool{dims}d", c, id="p", kernel_size=2)
    g.add("Linear", g.add("Flatten", p), out_features=3)
    net = compile_graph(g, analyze(g))
    arrays = snapshot(net, np.random.default_rng(0).normal(size=shape).astype(np.float32))
    assert str(arrays["filters_node"]) == "c"
    assert arrays["map:c"].shape == (4, *shape[1:]) and arrays["map:p"].shape == (4, *(s // 2 for s in shape[1:]))
    assert not any(k.startswith("map:") and arrays[k].ndim == 1 for k in arrays)  # no flat vectors
    picture = feature_mosaic(arrays["map:c"].astype(np.float32)).image
    assert picture.ndim == 3 and picture.shape[2] == 3 and picture.size > 0
