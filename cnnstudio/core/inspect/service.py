"""The inspection worker: one loaded run (its model included) answering the panels' requests,
in a process of its own so the window never imports torch and never waits on a forward.

A request is a dict {"id": int, "op": str, ...}; a reply {"id", "op", ...} or {"id", "op",
"error": one line}. Every value in a reply is plain data (str, int, float, bool, None, lists,
dicts, numpy arrays): the window unpickles replies with `loads_plain`, which refuses anything
else, so a reply can never import torch there.

  load      {run_dir, which}            -> {view}: the run as `to_plain` writes it
  features  {sample | image, key, node, depth} -> {maps: {node: {acts, mosaic}}}: one layer's
                                         maps and mosaic for one input (node "*": every layer)
  filters   {layer}                     -> {mosaic, counts, edges, size, mean, std} of one conv
  detail    {sample | image + display, cam, target, node} -> {raw, heat, overlay (the picture
                                         with the heat map on it), cam_node, cam_class, cam_error,
                                         embedding (for an image)}
  taps      {node, sample | image, y, x} -> {points, mask} of a deformable unit
  unit      {node, channel}             -> {image, caption}: top patches + activation maximisation
  adopt     {inspection}                -> {view}: an Inspection built in the same process
Requests the worker finds waiting behind a newer one of the same op are skipped unanswered:
the window only wants the newest. A unit request (about a minute on ResNet-18) answers the
requests that come meanwhile between its batches, and gives way to a newer unit or load.
"""
from __future__ import annotations

import io
import pickle
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from .predictions import Predictions
from .source import Inspection

OPS = ("load", "adopt", "features", "filters", "detail", "taps", "unit")


class Superseded(Exception):
    """A long request gives way: a newer one of its kind (or a new run) came meanwhile."""


class InspectService:
    def __init__(self):
        self.inspection: Inspection | None = None
        self._acts, self._acts_key = {}, None  # the last sample's activations, by the window's key
        self.between = None  # set by serve_loop: answers what came meanwhile (long ops call it)

    def handle(self, req: dict) -> dict:
        op = req.get("op")
        out = {"id": req.get("id"), "op": op}
        try:
            if op not in OPS:
                raise ValueError(f"unknown request {op!r}")
            if op not in ("load", "adopt") and self.inspection is None:
                raise ValueError("no run is loaded")
            out.update(getattr(self, "_" + op)(req))
        except Superseded:
            raise
        except Exception as e:  # noqa: BLE001 - one line for the panel, never a traceback
            out["error"] = explain_load(Path(req["run_dir"]), e) if op == "load" else \
                f"Could not compute this: {e.__class__.__name__}: {str(e)[:300]}"
        return out

    # --- ops ------------------------------------------------------------------------------
    def _load(self, req) -> dict:
        """The run as plain data; its pictures are left out when the window has them already
        (`pictures`: a new epoch of the same run has the same samples; 75 MB for 500 ResNet ones)."""
        from .source import from_run
        self.inspection, self._acts_key = from_run(req["run_dir"], req.get("which")).warm(), None
        view = to_plain(self.inspection)
        if req.get("pictures") == view["pictures"]:
            view["display"] = None
        return {"view": view}

    def _adopt(self, req) -> dict:
        """An Inspection built in this process (tests, scripts: the in-process backend only)."""
        self.inspection, self._acts_key = req["inspection"].warm(), None
        return {"view": to_plain(self.inspection)}

    def _input(self, req) -> np.ndarray:
        if req.get("image") is not None:
            return np.asarray(req["image"], np.float32)
        insp = self.inspection
        return insp.images[min(max(int(req.get("sample", 0)), 0), len(insp.images) - 1)]

    def _features(self, req) -> dict:
        """One layer's maps and their mosaic (node "*": every layer's, smaller); the sample's
        forward is kept for the next layer asked of the same sample (`key`)."""
        from ..build.taps import activations
        from .features import feature_mosaic
        key = req.get("key")
        if key is None or key != self._acts_key:
            self._acts, self._acts_key = activations(self.inspection.net, self._input(req)), key
        graph, node = self.inspection.graph, req["node"]
        if node == "*":
            return {"maps": {n: {"acts": a, "mosaic": asdict(feature_mosaic(a, max_maps=32, target=28))}
                             for n, a in self._acts.items() if graph.nodes[n].type != "Input"}}
        a = self._acts[node]
        return {"maps": {node: {"acts": a, "mosaic": asdict(feature_mosaic(a, depth=req.get("depth")))}}}

    def _filters(self, req) -> dict:
        from ..build.taps import conv_layers
        from .filters import filter_mosaic, weight_histogram
        layer = next(l for l in conv_layers(self.inspection.net) if l.label == req["layer"])
        counts, edges = weight_histogram(layer.weight)
        w = layer.weight
        return {"mosaic": asdict(filter_mosaic(w)), "counts": counts, "edges": edges, "size": int(w.size),
                "mean": float(w.mean()), "std": float(w.std())}

    def _detail(self, req) -> dict:
        from .predictions import raw_outputs
        insp, x = self.inspection, self._input(req)
        out = {"raw": raw_outputs(insp.net, x[None])[0], "heat": None, "cam_node": None, "cam_class": None,
               "cam_error": None, "embedding": None}
        if req.get("cam") and insp.task != "box":
            from .gradcam import grad_cam
            from .mosaic import cam_overlay
            try:
                out["heat"], out["cam_node"], out["cam_class"] = grad_cam(
                    insp.net, x, req.get("target"), req.get("node"), insp.activation)
                display = req["display"] if req.get("image") is not None else insp.display[int(req["sample"])]
                out["overlay"] = cam_overlay(display, out["heat"])
            except ValueError as e:
                out["cam_error"] = str(e)
        if req.get("image") is not None and insp.task != "box":
            from .neighbours import embed
            out["embedding"] = embed(insp.net, x[None], insp.hidden)[0]
        return out

    def _taps(self, req) -> dict:
        from .deform import sampling_points
        points, mask = sampling_points(self.inspection.net, req["node"], self._input(req), req["y"], req["x"])
        return {"points": points, "mask": mask}

    def _unit(self, req) -> dict:
        from .units import unit_picture
        image, caption = unit_picture(self.inspection, req["node"], int(req["channel"]), between=self.between)
        return {"image": image, "caption": caption}


# --- the view: what the window holds of a run ------------------------------------------------

def to_plain(insp: Inspection) -> dict:
    """An Inspection → plain data (no model): what every panel shows without asking again."""
    from ..project import Project, project_to_dict
    from ..build.taps import conv_layers
    p = insp.predictions
    return {
        "project": project_to_dict(Project(insp.name, insp.graph)),
        "classes": [str(c) for c in insp.classes], "images_shape": list(insp.images.shape), "labels": insp.labels,
        "display": insp.display, "pictures": _fingerprint(insp.display), "mean": [float(v) for v in insp.mean], "std": [float(v) for v in insp.std],
        "task": insp.task, "threshold": float(insp.threshold), "activation": insp.activation, "name": insp.name,
        "run_dir": str(insp.run_dir) if insp.run_dir else None, "metrics": insp.metrics, "info": insp.info,
        "box_classes": insp.box_classes, "hidden": insp.hidden,
        "features": insp.features() if insp.hidden else None,
        "convs": [{"label": l.label, "node": l.node, "shape": list(l.weight.shape)} for l in conv_layers(insp.net)],
        "predictions": {f.name: getattr(p, f.name) for f in fields(Predictions)},
    }


def _fingerprint(pictures: np.ndarray) -> str:
    import zlib
    return f"{zlib.crc32(np.ascontiguousarray(pictures).data):08x}-{'x'.join(map(str, pictures.shape))}"


def from_plain(view: dict, previous: Inspection | None = None) -> Inspection:
    """The window's Inspection of a run: everything to show, no model (net is None). The test
    samples come as pictures (`display`, or those of `previous` when the view leaves them out
    as unchanged); `images` only has their shape (zeros that take no
    memory): requests name a sample by its index, so the network inputs (300 MB for 500
    ResNet-sized samples) stay in the inspection process."""
    from ..project import parse_project
    graph = parse_project(view["project"], source="inspection").graph
    hidden = view["hidden"]
    images = np.broadcast_to(np.zeros((), np.float32), tuple(view["images_shape"]))
    insp = Inspection(
        net=None, graph=graph, classes=view["classes"], images=images, labels=view["labels"],
        mean=view["mean"], std=view["std"], task=view["task"], threshold=view["threshold"],
        activation=view["activation"], name=view["name"], run_dir=Path(view["run_dir"]) if view["run_dir"] else None,
        metrics=view["metrics"], info=view["info"], box_classes=view["box_classes"], hidden=hidden,
        convs=view["convs"], _preds=Predictions(**view["predictions"]))
    insp._display = view["display"] if view["display"] is not None else previous.display
    insp.pictures = view["pictures"]
    if hidden is not None:
        insp._features[hidden] = view["features"]
    return insp


def explain_load(run_dir: Path, e: Exception) -> str:
    """A run folder that cannot be inspected (yet), in one line."""
    text = str(e) or e.__class__.__name__
    if isinstance(e, FileNotFoundError) and (run_dir / "run.json").exists() and "checkpoint" in text:
        return f"Waiting for the first epoch of {run_dir.name} to finish …"
    if isinstance(e, FileNotFoundError):
        return f"{run_dir}: not a complete run folder yet ({text})."
    if isinstance(e, (ImportError, ModuleNotFoundError)):
        return f"Cannot inspect runs: {text}."
    return f"Cannot open the run {run_dir.name}: {text}"


# --- plain-data pickles -----------------------------------------------------------------------

_ALLOWED = {("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"), ("builtins", "slice")}
_NUMPY = {"_reconstruct", "ndarray", "dtype", "scalar", "_frombuffer"}


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED or (module.split(".")[0] == "numpy" and name in _NUMPY):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"not plain data: {module}.{name}")


def dumps(msg) -> bytes:
    return pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)


def loads_plain(data: bytes):
    """Unpickle a reply, refusing anything but plain data and numpy arrays."""
    return _PlainUnpickler(io.BytesIO(data)).load()


# --- the worker loop --------------------------------------------------------------------------

def newest_per_op(requests: list) -> list:
    """The requests worth answering: for each op only the last one, in arrival order."""
    last = {r.get("op"): i for i, r in enumerate(requests)}
    return [r for i, r in enumerate(requests) if last[r.get("op")] == i]


def serve(conn, set_threads: bool = True) -> None:
    """Entry point of the spawned process: answer requests from `conn` until it closes. Torch
    uses the trainer's thread count, so beside a training worker no core is oversubscribed."""
    if set_threads:
        import torch

        from ..train.config import cpu_thread_count
        torch.set_num_threads(cpu_thread_count())
    serve_loop(lambda: _receive(conn), lambda reply: conn.send_bytes(dumps(reply)), poll=lambda: _waiting(conn))


def _receive(conn) -> list | None:
    try:
        return [conn.recv()] + _waiting(conn)
    except (EOFError, OSError):  # the window closed its end (or died): stop
        return None


def _waiting(conn) -> list:
    """The requests that came meanwhile, without waiting (None: the window closed)."""
    out = []
    try:
        while conn.poll(0):
            out.append(conn.recv())
    except (EOFError, OSError):
        out.append(None)
    return out


class _Stop(Exception):
    pass


def serve_loop(receive, send, service: InspectService | None = None, poll=None) -> None:
    """receive() → a list of pending requests (blocking for at least one) or None to stop;
    poll() → those waiting now, without blocking (long requests answer them between chunks)."""
    service = service or InspectService()
    todo: list = []  # received, not yet answered

    def answer(req) -> None:
        try:
            send(service.handle(req))
        except (BrokenPipeError, EOFError, OSError):
            raise _Stop from None

    def between() -> None:  # inside a long request: answer the quick ones that wait
        todo.extend(poll() if poll else [])
        if any(r is None for r in todo):
            raise _Stop
        todo[:] = newest_per_op(todo)
        if any(r.get("op") in ("unit", "load", "adopt") for r in todo):
            raise Superseded  # its answer would be stale: the newer request comes next
        while todo:
            answer(todo.pop(0))

    service.between = between
    try:
        while True:
            if not todo:
                batch = receive()
                if batch is None:
                    return
                todo.extend(batch)
            if any(r is None for r in todo):
                return
            todo[:] = newest_per_op(todo)
            try:
                answer(todo.pop(0))
            except Superseded:
                pass
    except _Stop:
        return
