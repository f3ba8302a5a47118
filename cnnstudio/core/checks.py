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

from .blocks import CATALOGUE, BlockError, Out
from .blocks.custom import display_type
from .blocks.spec import Fix
from .blocks.spec import prod
from .graph import Edge, Graph
from .params import clamp, range_error, type_error


@dataclass
class Problem:
    severity: str  # "error" or "warning"
    message: str
    node: str | None = None
    edge: Edge | None = None
    fix: Fix | None = None
    code: str = "error"

    def to_dict(self) -> dict:
        d = {"severity": self.severity, "node": self.node, "message": self.message, "code": self.code}
        if self.edge:
            d["edge"] = list(self.edge)
        if self.fix:
            d["fix"] = self.fix.label
        return d


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


def _shape(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _size(s) -> str:
    return "×".join(map(str, s[1:]))


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
            self.head.append(_cycle_problem(graph, stuck))
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
        output, self.tail = _find_output(self.sinks, self.depth, info, graph.nodes)
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
        if not _count_ok(want, src, nid, display_type(node.type, node.params), problems.append):
            return NodeInfo(), problems
    shapes = []
    for x in src:
        out = info[x].out
        if out is None:  # unknown upstream: reported there
            bad = _param_problem(spec, node)
            return NodeInfo(), [bad] if bad else ()
        shapes.append(out.shape)
    # memoized per params object and input shapes: an edit re-infers only what it touched
    memo = node.memo
    if memo is not None and memo[0] is node.params and memo[1] == shapes:
        out = memo[2]
    else:
        out = _param_problem(spec, node)
        if out is None:
            try:
                out = spec.infer(node.params, shapes)
            except BlockError as e:
                out = e
        node.memo = (node.params, shapes, out)
    if isinstance(out, Problem):
        return NodeInfo(shapes), [out]
    if isinstance(out, BlockError):
        return NodeInfo(shapes), [_pin(out, graph, nid, list(src), shapes, s)]
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


def _cycle_problem(graph: Graph, stuck: set[str]) -> Problem:
    """Report a loop once, on its newest wire: the one most likely a mistake."""
    comp = _components(graph, stuck)
    for s, t in reversed(list(graph.edges)):
        if s in stuck and t in stuck and comp[s] == comp[t]:
            return Problem("error", f"{s} → {t} closes a loop: data must flow one way, from Input "
                           "to output. Remove this connection.", node=t, edge=(s, t),
                           fix=Fix(f"Remove {s} → {t}", "remove_edge", {"edge": [s, t]}), code="cycle")
    raise AssertionError("stuck nodes without a loop")


def _components(graph: Graph, within: set[str]) -> dict[str, int]:
    """Strongly connected components of the nodes `within` (Tarjan's, without recursion):
    a wire lies on a loop exactly when both its ends are in one component."""
    outs = graph._out
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in within:
        if root in index:
            continue
        work = [(root, iter([t for t in outs.get(root, ()) if t in within]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter([t for t in outs.get(w, ()) if t in within])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp[w] = index[v]
                        if w == v:
                            break
    return comp


def _count_ok(want: int, src: list, nid: str, type_: str, err) -> bool:
    n = len(src)
    if want == 0 and n:
        err(Problem("error", f"{nid} is an Input and takes no inputs, but {n} "
                    f"{'is' if n == 1 else 'are'} connected.", node=nid,
                    fix=Fix(f"Remove {src[0]} → {nid}", "remove_edge", {"edge": [src[0], nid]}),
                    code="extra_inputs"))
        return False
    if want == 1 and n == 0:
        err(Problem("error", f"{nid} ({type_}) is not connected: nothing feeds it. "
                    "Drag a wire from a block's output to it.", node=nid, code="missing_input"))
        return False
    if want == 1 and n > 1:
        err(Problem("error", f"{nid} ({type_}) takes one input but {n} are connected "
                    f"({', '.join(src)}). Merge them with Add or Concat first, or remove one.",
                    node=nid, fix=Fix(f"Remove {src[-1]} → {nid}", "remove_edge", {"edge": [src[-1], nid]}),
                    code="extra_inputs"))
        return False
    if want == -1 and n < 2:
        err(Problem("error", f"{nid} ({type_}) merges two or more inputs but has {n}. "
                    "Connect another branch to it.", node=nid, code="missing_input"))
        return False
    return True


def _param_problem(spec, node) -> Problem | None:
    """The first parameter with a wrong type or out-of-range value, as a Problem
    (kept per params object: an Input-size edit re-infers every block, not its parameters)."""
    seen = node.params_checked
    if seen is not None and seen[0] is node.params:
        return seen[1]
    problem = _first_bad_param(spec, node)
    node.params_checked = (node.params, problem)
    return problem


def _first_bad_param(spec, node) -> Problem | None:
    for p in spec.params:
        v = node.params.get(p.name, p.default)
        msg = type_error(p, v)
        if msg is None and (msg := range_error(p, v)) is not None:
            fixed = clamp(p, v)
            return Problem("error", f"{node.id}: {p.name} {msg}.", node=node.id,
                           fix=Fix(f"Set {p.name} to {fixed}", "set_params", {"params": {p.name: fixed}}),
                           code="param_range")
        if msg is not None:
            return Problem("error", f"{node.id}: {p.name} {msg}.", node=node.id, code="param_type")
    return None


def _pin(e: BlockError, graph, nid, src, shapes, s: Structure) -> Problem:
    """Turn a block's error into a pinned Problem; merges get edge-level detail."""
    if e.code == "add_mismatch":
        return _merge_problem(graph, nid, src, shapes, s.rank, same="all")
    if e.code == "concat_mismatch":
        return _merge_problem(graph, nid, src, shapes, s.rank, same="hw")
    type_ = graph.nodes[nid].type
    msg = e.message
    msg = f"{nid} ({type_}){msg[len(type_):]}" if msg.startswith(type_) else f"{nid}: {msg}"
    return Problem("error", msg, node=nid, fix=e.fix, code=e.code)


def _merge_problem(graph, nid, src, shapes, rank, same) -> Problem:
    if same == "all":
        # the deepest input is the main path; the others are shortcuts to adapt
        main = max(range(len(src)), key=lambda i: rank[src[i]])
        target = shapes[main]
        bad = next(i for i in range(len(src)) if tuple(shapes[i]) != tuple(target))
    else:
        # concat: shrink the larger inputs to the smallest H×W
        main = min(range(len(src)), key=lambda i: prod(shapes[i][1:]))
        target = shapes[main]
        bad = next(i for i in range(len(src)) if tuple(shapes[i][1:]) != tuple(target[1:]))
    a, b = src[bad], src[main]
    sa, sb = shapes[bad], shapes[main]
    edge = (a, nid)
    fix = None
    nd = len(sa) - 1
    if len(sa) == len(sb) and nd in (1, 2, 3):
        hw = [int(v) for v in sb[1:]]
        if same == "all":
            stride = sa[1] // sb[1] if sb[1] and sa[1] % sb[1] == 0 else 0
            if stride and all((x - 1) // stride + 1 == y for x, y in zip(sa[1:], sb[1:])):
                fix = Fix(f"Add a 1×1 projection {sa[0]}→{sb[0]} (stride {stride}) on the shortcut",
                          "insert_on_edge", {"edge": [a, nid], "type": f"Conv{nd}d",
                                             "params": {"out_channels": sb[0], "kernel_size": 1,
                                                        "stride": stride, "bias": False}})
        else:
            fix = Fix(f"Pool {a} to {_size(sb)}", "insert_on_edge",
                      {"edge": [a, nid], "type": f"AdaptiveAvgPool{nd}d",
                       "params": {"output_size": hw if nd > 1 else hw[0]}})
    if same == "all":
        msg = (f"{nid} (Add) needs inputs of the same shape, but gets {_shape(sa)} from {a} and "
               f"{_shape(sb)} from {b}." + (" A 1×1 convolution on the shortcut can match them." if fix else ""))
        code = "add_mismatch"
    else:
        msg = (f"{nid} (Concat) joins channels, so its inputs must share their size after the channels, "
               f"but {a} gives {_size(sa)} and {b} gives {_size(sb)}.")
        code = "concat_mismatch"
    return Problem("error", msg, node=nid, edge=edge, fix=fix, code=code)


def _find_output(sinks, depth, info, nodes) -> tuple[str | None, list[Problem]]:
    """The model's output: the deepest node nothing consumes. Other dead ends are errors."""
    if not sinks:
        return None, []
    output = max(sinks, key=lambda n: (info[n].out is not None, depth[n]))
    problems = []
    for n in sinks:
        # unknown ones have their error upstream; extra Inputs are reported as such
        if n != output and info[n].out is not None and nodes[n].type != "Input":
            problems.append(Problem(
                "error", f"{n} leads nowhere: the model has one output ({output}), and {n}'s result "
                "is unused. Connect it onward or delete it.", node=n,
                fix=Fix(f"Delete {n}", "remove_node"), code="several_outputs"))
    return output, problems
