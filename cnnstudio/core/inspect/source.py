"""What the panels inspect: one trained (or training) model with its test samples, as plain
data. Built from a run folder (`from_run`, in the inspection process: it imports torch) or
from parts (`Inspection(...)`, tests and scripts). The window holds one without its model
(`net` None, see service.from_plain): the predictions, embeddings and pictures come with it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analysis import Analysis, analyze
from ..graph import Graph
from .mosaic import resize_bilinear

MAX_SAMPLES = 500  # test samples evaluated for the gallery, the matrix and neighbours (after every
# epoch while training: 2,000 cost a ResNet-18 ≈70 training steps' worth each time)


@dataclass
class Inspection:
    net: object  # a CompiledNet with weights, in eval mode (None in the window)
    graph: Graph
    classes: list
    images: np.ndarray  # N×C×H×W float32, as the net sees them
    labels: np.ndarray  # N classes (int), N×K 0/1 (multi-label) or N×4 boxes
    mean: list = field(default_factory=lambda: [0.0])
    std: list = field(default_factory=lambda: [1.0])
    task: str = "classify"  # "classify" | "binary" | "multilabel" | "box"
    threshold: float = 0.5  # multi-label: a class is predicted at this probability or above
    activation: str = "none"  # the head's final activation, kept in the saved model
    name: str = ""
    run_dir: Path | None = None
    metrics: list = field(default_factory=list)  # one dict per epoch
    info: dict = field(default_factory=dict)
    box_classes: np.ndarray | None = None  # box task: the class of each sample's shape
    analysis: Analysis | None = None
    hidden: str | None = None  # the last hidden layer, whose outputs are the embeddings (warm() sets it)
    convs: list = field(default_factory=list)  # in the window: [{label, node, shape}] of every convolution
    pictures: str = ""  # in the window: a fingerprint of `display` (a reload need not send them again)
    _preds: object = None
    _ml: tuple | None = None  # (threshold, samples) and the multi-label metrics at it
    _display: np.ndarray | None = None
    _features: dict = field(default_factory=dict)

    def __post_init__(self):
        self.analysis = self.analysis or analyze(self.graph)
        self.images = np.asarray(self.images, np.float32)
        self.labels = np.asarray(self.labels)

    # --- images ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(self.images.shape[1:])

    def to_display(self, images) -> np.ndarray:
        """Net inputs (one sample or N) → uint8 N×H×W×C pictures: images as they are, a
        volume's middle depth slice, a signal as a line plot."""
        from ..data.display import display_samples
        return display_samples(images, self.mean, self.std, len(self.shape))

    @property
    def display(self) -> np.ndarray:
        """Every sample as a uint8 picture, N×H×W×C (computed once)."""
        if self._display is None:
            self._display = self.to_display(self.images)
        return self._display

    def from_pixels(self, rgb: np.ndarray) -> np.ndarray:
        """A picture (uint8 H×W×3 or H×W) of any size → C×H×W as the net expects it:
        resized, grey or colour as needed, normalised like the training data."""
        a = np.asarray(rgb, np.float32) / 255.0
        if a.ndim == 2:
            a = a[:, :, None]
        c, h, w = self.shape
        if c == 1 and a.shape[2] >= 3:
            a = (a[:, :, :3] @ np.array([0.299, 0.587, 0.114], np.float32))[:, :, None]
        elif c == 3 and a.shape[2] == 1:
            a = np.repeat(a, 3, axis=2)
        a = np.stack([resize_bilinear(a[:, :, i], h, w) for i in range(c)])
        mean = np.resize(np.asarray(self.mean, np.float32), c).reshape(c, 1, 1)
        std = np.resize(np.asarray(self.std, np.float32), c).reshape(c, 1, 1)
        return ((a - mean) / std).astype(np.float32)

    def class_name(self, i: int) -> str:
        return str(self.classes[i]) if 0 <= i < len(self.classes) else str(i)

    # --- derived, cached ----------------------------------------------------------------
    @property
    def predictions(self):
        if self._preds is None:
            from .predictions import predict
            self._preds = predict(self.net, self.images, self.labels, self.task, self.activation, self.threshold)
        return self._preds

    def multilabel_metrics(self) -> dict:
        """Multi-label: mAP, mean F1, exact match and each class's precision, recall, F1 and AP
        at the current threshold, as core.train.metrics defines them for every view."""
        from ..train.metrics import multilabel_metrics
        p = self.predictions
        key = (p.threshold, len(p.conf))
        if self._ml is None or self._ml[0] != key:
            names = [self.class_name(c) for c in range(p.targets.shape[1])]
            self._ml = (key, multilabel_metrics(p.probs, p.targets, names, p.threshold))
        return self._ml[1]

    def features(self, node: str | None = None) -> np.ndarray:
        from .neighbours import embed, hidden_node
        node = node or self.hidden or hidden_node(self.net, self.graph)
        if node not in self._features:
            self._features[node] = embed(self.net, self.images, node)
        return self._features[node]

    def warm(self) -> "Inspection":
        """Compute what the panels need up front (call it off the UI thread): predictions and
        the neighbours' embeddings from one forward over the samples, the display pictures."""
        from .neighbours import hidden_node
        from .predictions import evaluate, from_outputs
        hidden = self.hidden = hidden_node(self.net, self.graph) if self.task != "box" else None
        if self._preds is None and (hidden is None or hidden not in self._features):
            raw, feats = evaluate(self.net, self.images, hidden)
            self._preds = from_outputs(raw, self.labels, self.task, self.activation, self.threshold)
            if hidden is not None:
                self._features[hidden] = feats
        _ = self.predictions
        if hidden is not None:
            self.features(hidden)
        _ = self.display
        return self


_DATA_CACHE: dict = {}  # the last dataset loaded, by its spec: live refreshes reuse it


def _dataset(run):
    import json
    key = json.dumps(run.project.dataset, sort_keys=True) + str(run.info.get("task"))
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = run.dataset()
    return _DATA_CACHE[key]


def from_run(run_dir, which: str | None = None, max_samples: int = MAX_SAMPLES) -> Inspection:
    """A run folder → Inspection: its project, weights and test split. Imports torch.
    which: "best" or "last" checkpoint; default "last" while the run is training (the
    panels follow it live), else "best"."""
    from ..train.head import find_head
    from ..train.runs import load_run

    import torch

    from ..train.config import cpu_thread_count
    torch.set_num_threads(cpu_thread_count())  # beside a training worker: never more threads than cores
    run = load_run(run_dir)
    which = which or ("last" if run.status == "running" else "best")
    net = run.model(which=which)
    ds = _dataset(run)
    test = ds.test if len(ds.test) else ds.val
    n = min(len(test), max_samples)
    graph = run.project.graph
    analysis = analyze(graph)
    head = find_head(graph, analysis)
    info = dict(getattr(run, "info", {}) or {})
    task = info.get("task") or ds.task
    if task not in ("box",) and head is not None and head.out_shape == (1,) and len(ds.classes) == 2:
        task = "binary"
    box_classes = None
    if getattr(test, "classes", None) is not None:
        box_classes = test.classes[:n].cpu().numpy()
    images, labels = test.head(n)  # a streamed folder reads just these from disk
    return Inspection(
        net=net, graph=graph, analysis=analysis, classes=list(ds.classes),
        images=images.cpu().numpy(), labels=labels.cpu().numpy(),
        mean=list(ds.mean), std=list(ds.std), task=task,
        activation=head.activation if head else "none", name=run.project.name,
        run_dir=Path(run_dir), metrics=list(getattr(run, "metrics", []) or []), info=info,
        box_classes=box_classes)
