"""Live checking: shapes, costs, errors and warnings for a whole graph, from the formulas.

`analyze(graph)` never raises for anything a user can build: every problem becomes a
`Problem` pinned to a node or edge, with a `Fix` where one exists. Errors upstream do
not cascade: a node whose input shape is unknown is simply left unknown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter

from ..blocks import CATALOGUE, BlockError, Out
from ..blocks.custom import display_type
from ..blocks.spec import Fix
from ..graph import Graph
from .problems import Problem, count_ok, cycle_problem, find_output, param_problem, pin


@dataclass(slots=True)
class NodeInfo:
    in_shapes: list | None = None
    out: Out | None = None  # None: unknown (an error here or upstream)

    @property
    def shape(self):
        return self.out.shape if self.out else None


@dataclass
class Analysis:
    order: list[str]
    info: dict[str, NodeInfo]
    problems: list[Problem]
    output: str | None  # the node whose output is the model's output
    # what differs from the analysis before it (views update only that): the nodes whose block,
    # wires, numbers or problems may have changed, and the wires added or removed; None: all
    changed: set | None = None
    rewired: set | None = None
    placed: set | None = None  # the nodes among `changed` added, removed or moved
    sums: dict | None = None  # see total(); kept up to date by an incremental Checker

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def problems_for(self, node_id: str) -> list[Problem]:
        return self._by_node.get(node_id, [])

    @cached_property
    def _by_node(self) -> dict:
        by: dict = {}
        for p in self.problems:
            by.setdefault(p.node, []).append(p)
        return by

    def receptive(self, graph: Graph, node_id: str) -> tuple[int, int] | None:
        """(receptive field on the input in pixels, cumulative stride: input pixels between
        neighbouring outputs) of a block whose output is known, else None. Worked out when asked
        (walking back over what the block depends on) and kept on this analysis: one edit
        changes it for everything downstream, too much to redo on every keystroke."""
        info, ins = self.info, graph._in
        if node_id not in info or info[node_id].out is None:
            return None
        memo = self.__dict__.setdefault("_rf", {})
        stack = [node_id]
        while stack:
            n = stack[-1]
            if n in memo:
                stack.pop()
                continue
            src = ins.get(n, ())
            todo = [x for x in src if x not in memo]
            if todo:
                stack += todo
                continue
            stack.pop()
            memo[n] = _receptive(info[n].out, [memo[x] for x in src])
        return memo[node_id]

    def total(self, attr: str) -> int:
        """Sum of params, buffers, macs or inner over the known blocks."""
        return self._sums[attr]

    @property
    def activation_elements(self) -> int:
        return self._sums["activations"]

    @property
    def _sums(self) -> dict:  # one pass, when first asked (views ask several times per edit)
        if self.sums is None:
            self.sums = dict.fromkeys(SUMS, 0)
            add_sums(self.sums, [i.out for i in self.info.values()], 1)
        return self.sums


SUMS = ("params", "buffers", "macs", "inner", "activations")


def add_sums(sums: dict, outs: list, sign: int) -> None:
    """Add (sign 1) or take away (-1) the numbers of these blocks' outputs (None: unknown)."""
    outs = [o for o in outs if o]
    for key in SUMS[:4]:
        sums[key] += sign * sum(map(attrgetter(key), outs))
    sums["activations"] += sign * sum(map(math.prod, map(attrgetter("shape"), outs)))


def analyze(graph: Graph) -> Analysis:
    """Every block's checks from scratch (each formula memoized on its block). Linear time."""
    return check_all(graph, Structure(graph, *graph.topological_order()))[0]


def check_all(graph: Graph, s: "Structure") -> tuple[Analysis, dict]:
    """(the analysis, each block's own problems by block)."""
    info: dict[str, NodeInfo] = {}
    found: dict[str, list[Problem]] = {}
    for nid in s.order:
        info[nid], probs = check_node(graph, nid, info, s)
        if probs:
            found[nid] = probs
    return s.analysis(graph, info, [p for n in s.order if n in found for p in found[n]]), found


class Structure:
    """What depends on the wiring as a whole, not on one block: the order, loops, the Input,
    depths and dead ends. One linear pass, redone only when wires or blocks change."""

    def __init__(self, graph: Graph, order: list[str], stuck: set[str]):
        self.order, self.stuck = order, stuck
        nodes, ins, outs = graph.nodes, graph._in, graph._out
        self.head: list[Problem] = []  # graph-wide problems, listed before the blocks' own
        if stuck:
            self.head.append(cycle_problem(graph, stuck))
        inputs = [n for n in order if nodes[n].type == "Input"]
        self.root = None  # with no Input: the first block nothing feeds, which carries that error
        if not inputs and nodes:
            roots = [n for n in order if not ins.get(n)]
            self.root = roots[0] if roots else None
            self.head.append(Problem(
                "error", "The network has no Input block: add one and connect it to the first layer.",
                node=self.root, fix=Fix("Add an Input before it", "add_input", {}) if roots else None,
                code="no_input"))
        for extra in inputs[1:]:
            self.head.append(Problem("error", f"Only one Input is supported; {inputs[0]} is the model's input. "
                                     f"Delete {extra} or merge its branch.", node=extra,
                                     fix=Fix(f"Delete {extra}", "remove_node"), code="several_inputs"))
        self.has_input = bool(inputs)
        depth: dict[str, int] = {}
        for n in order:
            src = ins.get(n)
            depth[n] = 1 + max(depth[x] for x in src) if src else 0
        self.depth = depth
        self.sinks = [n for n in order if not outs.get(n)]
        self._rank = None

    @property
    def rank(self) -> dict:
        if self._rank is None:
            self._rank = {n: i for i, n in enumerate(self.order)}
        return self._rank

    def analysis(self, graph, info, node_problems, **kw) -> Analysis:
        output, self.tail = find_output(self.sinks, self.depth, info, graph.nodes)
        return Analysis(order=self.order, info=info, problems=self.head + node_problems + self.tail,
                        output=output, **kw)

    def pinned(self) -> dict:
        """The graph-wide problems (loops, Inputs, dead ends) by the block they are pinned to."""
        by: dict = {}
        for p in self.head + self.tail:
            by.setdefault(p.node, []).append((p.code, p.message))
        return by


def check_node(graph: Graph, nid: str, info: dict, s: Structure) -> tuple[NodeInfo, list[Problem]]:
    """One block against its inputs' results in `info`: (its result, its own problems; none: ()).
    (Run for every block after an Input-size edit: the common path is kept short.)"""
    node = graph.nodes[nid]
    spec = CATALOGUE[node.type]
    src = graph._in.get(nid, ())
    want, n = spec.inputs, len(src)
    if n != want and not (want == -1 and n > 1):  # not simply the right number of inputs
        if nid == s.root and not src:
            return NodeInfo(), ()  # "no Input" is already pinned here, with its fix
        problems: list[Problem] = []
        if not count_ok(want, src, nid, display_type(node.type, node.params), problems.append):
            return NodeInfo(), problems
    shapes = []
    for x in src:
        out = info[x].out
        if out is None:  # unknown upstream: reported there
            bad = param_problem(spec, node)
            return NodeInfo(), [bad] if bad else ()
        shapes.append(out.shape)
    # memoized per params object and input shapes: an edit re-infers only what it touched
    memo = node.memo
    if memo is not None and memo[0] is node.params and memo[1] == shapes:
        out = memo[2]
    else:
        out = param_problem(spec, node)
        if out is None:
            try:
                out = spec.infer(node.params, shapes)
            except BlockError as e:
                out = e
        node.memo = (node.params, shapes, out)
    if isinstance(out, Problem):
        return NodeInfo(shapes), [out]
    if isinstance(out, BlockError):
        return NodeInfo(shapes), [pin(out, graph, nid, list(src), shapes, s)]
    if spec.sources is not None:  # checked each time: the blocks feeding it may change, not their shapes
        try:
            spec.sources(node.params, [{"id": x, "type": graph.nodes[x].type, "params": graph.nodes[x].params,
                                        "in_shapes": info[x].in_shapes} for x in src], out)
        except BlockError as e:
            return NodeInfo(shapes, out), [pin(e, graph, nid, list(src), shapes, s)]
    return NodeInfo(shapes, out), [Problem("warning", message, node=nid, fix=fix, code="warning")
                                   for message, fix in out.warnings] if out.warnings else ()


def _receptive(out: Out, inputs: list) -> tuple[int, int]:
    """(receptive field, cumulative stride) of a block from its inputs' (rf, jump)."""
    if len(inputs) == 1:
        rf, jump = inputs[0]
        return rf + (out.rf_kernel - 1) * jump, jump * out.rf_stride
    if inputs:  # a merge sees as far as its widest input
        rf = max(i[0] for i in inputs)
        jump = max(i[1] for i in inputs)
        return rf + (out.rf_kernel - 1) * jump, jump * out.rf_stride
    return 1, 1
