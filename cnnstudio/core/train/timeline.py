"""Recording the epoch timeline while training: a small snapshot per epoch (first conv layer's
filters, the feature maps of one fixed probe image) saved into the run folder. Reading it
back is inspection's (inspect/timeline.py).

Files: RUN/timeline/epoch_0001.npz ... written with numpy.savez (no pickle: only numeric
and unicode arrays). float16 keeps a LeNet epoch ≈30 KB.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..project.atomic import atomic_write

FOLDER = "timeline"
MAX_MAPS = 16  # channels kept per layer
MAX_LAYERS = 12  # spatial layers kept (spread over the depth)
MAX_SIDE = 64  # larger maps are subsampled to at most this many pixels a side


def _save_npz(path: Path, arrays: dict) -> None:
    """numpy.savez, atomically: a reader never sees half a file."""
    atomic_write(path, lambda tmp: _write_npz(tmp, arrays))


def _write_npz(tmp: str, arrays: dict) -> None:
    with open(tmp, "wb") as f:  # a file object: savez would otherwise append ".npz" to the name
        np.savez(f, **arrays)


def _half(a: np.ndarray) -> np.ndarray:
    """float16 to keep snapshots small; clipped so a large activation is not stored as inf."""
    limit = np.finfo(np.float16).max
    return np.clip(a, -limit, limit).astype(np.float16)


def snapshot(net, probe) -> dict:
    """{name: array} for one epoch: 'filters' (+ 'filters_node') and 'map:<node>' arrays."""
    from ..build.taps import activations, conv_layers

    arrays = {}
    convs = conv_layers(net, first_only=True)
    if convs:
        arrays["filters"] = _half(convs[0].weight)
        arrays["filters_node"] = np.array(convs[0].label)
    acts = activations(net, probe)
    # maps of signals (C×L), images (C×H×W) and volumes (C×D×H×W), not flat vectors; not the input
    spatial = [n for n, a in acts.items() if a.ndim in (2, 3, 4)][1:]
    if len(spatial) > MAX_LAYERS:
        spatial = [spatial[round(i)] for i in np.linspace(0, len(spatial) - 1, MAX_LAYERS)]
    for n in spatial:
        a = acts[n][:MAX_MAPS]
        step = max(1, -(-max(a.shape[1:]) // MAX_SIDE))
        arrays["map:" + n] = _half(a[(slice(None),) + (slice(None, None, step),) * (a.ndim - 1)])
    return arrays


class TimelineCallback:
    """Training callback: saves `snapshot` after every epoch into RUN/timeline/.

    The probe is the first test image (the same every epoch and on resume); `probe` in the
    constructor overrides it. A failure here never stops training: it is reported once.
    """

    def __init__(self, probe=None):
        self.probe = probe

    def _probe(self, ctx):
        if self.probe is None:
            ds = getattr(ctx, "dataset", None)
            split = getattr(ds, "test", None) if ds is not None else None
            if split is None or len(split) == 0:
                split = getattr(ds, "val", None)
            if split is None or len(split) == 0:
                return None
            self.probe = split.head(1)[0].detach().float().cpu().numpy()[0]
        return self.probe

    def on_epoch_end(self, ctx) -> None:
        # a failure here propagates: the engine switches this optional callback off and says so
        # in run.json's notes, and the run goes on
        run_dir = Path(ctx.run_dir)
        net = getattr(ctx, "model", None) or ctx.net
        probe = self._probe(ctx)
        if probe is None:
            return
        folder = run_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "probe.npy").exists():
            np.save(folder / "probe.npy", np.asarray(probe, np.float32), allow_pickle=False)
        _save_npz(folder / f"epoch_{int(ctx.epoch):04d}.npz", snapshot(net, probe))
