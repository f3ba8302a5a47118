"""Names in a space and what they set: `block.param` (any parameter the block's form shows,
a user block's `repeat` and exposed ones included), a training setting (`lr`, `optimizer`,
`batch_size`, ...) or `augment.KEY`. Checked against the project before any trial runs."""
from __future__ import annotations

import copy
from dataclasses import fields, replace

from ..blocks.custom import form_params, with_value
from ..blocks.params import range_error, type_error
from ..train.config import ConfigError, TrainConfig, parse_config

from .space import Dim, SweepError

TRAINING = tuple(f.name for f in fields(TrainConfig) if f.name not in ("extra", "report_hz"))
AUGMENT = ("flip", "rotation", "translation", "scale", "shear", "stretch")  # data/augment.py's KEYS


def target(project, name: str):
    """→ ("node", node id, Param) | ("training", key, None) | ("augment", key, None)."""
    nid, dot, pname = name.partition(".")
    node = project.graph.nodes.get(nid) if dot else None
    if node is not None:
        param = next((p for p in form_params(node.type, node.params) if p.name == pname), None)
        if param is None:
            names = ", ".join(p.name for p in form_params(node.type, node.params)) or "none"
            raise SweepError(f"{name}: block {nid} ({node.type}) has no parameter {pname!r}; its parameters: {names}.")
        return "node", nid, param
    if dot and nid == "augment":
        if pname not in AUGMENT:
            raise SweepError(f"{name}: unknown augmentation; choose from {', '.join(AUGMENT)}.")
        return "augment", pname, None
    if not dot and name in TRAINING:
        return "training", name, None
    if dot:
        raise SweepError(f"{name}: there is no block {nid!r} in {project.name} (blocks: "
                         f"{', '.join(list(project.graph.nodes)[:12])}).")
    raise SweepError(f"{name}: not a training setting ({', '.join(TRAINING[:8])}, ...) nor block.param "
                     "(e.g. c1.out_channels).")


def check_space(project, dims: list[Dim]) -> None:
    """Every name exists and every end of every range is a value its block or setting takes."""
    seen = set()
    for d in dims:
        if d.name in seen:
            raise SweepError(f"{d.name} is varied twice; give it once.")
        seen.add(d.name)
        kind, key, param = target(project, d.name)
        for v in d.ends():
            problem = _refused(project, kind, key, param, v)
            if problem:
                raise SweepError(f"{d.name} = {v!r} is refused: {problem}")


def _refused(project, kind, key, param, v) -> str | None:
    if kind == "node":
        if param.kind == "float" and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        msg = type_error(param, v) or range_error(param, v)
        return f"{param.name} {msg}." if msg else None
    if kind == "training":
        try:
            parse_config(project.training, {key: v})
        except ConfigError as e:
            return str(e)
        return None
    want_bool = key == "flip"
    if want_bool != isinstance(v, bool) or (not want_bool and not (isinstance(v, (int, float)) and v >= 0)):
        return f'augment "{key}" must be ' + ("true or false." if want_bool else "a number from 0 up.")
    return None


def apply_params(project, params: dict):
    """A copy of `project` with `params` {name: value} set; the original is not touched."""
    graph = project.graph.copy()
    training, dataset = copy.deepcopy(project.training), copy.deepcopy(project.dataset)
    for name, value in params.items():
        kind, key, param = target(project, name)
        if kind == "node":
            node = graph.nodes[key]
            graph.nodes[key].params = {**node.params, **with_value(node.type, node.params, param.name, value)}
        elif kind == "training":
            training[key] = value
        else:
            dataset["augment"] = {**(dataset.get("augment") or {}), key: value}
    return replace(project, graph=graph, training=training, dataset=dataset)
