"""What a check can find wrong, as `Problem`s pinned to a block or wire, each with its message
in the user's terms and a `Fix` where one exists (checks.py decides when to look)."""
from __future__ import annotations

from dataclasses import dataclass

from ..blocks import BlockError
from ..blocks.params import clamp, range_error, type_error
from ..blocks.spec import Fix, prod
from ..graph import Edge, Graph


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


def _shape(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _size(s) -> str:
    return "×".join(map(str, s[1:]))


def cycle_problem(graph: Graph, stuck: set[str]) -> Problem:
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


def count_ok(want: int, src: list, nid: str, type_: str, err) -> bool:
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
    if want > 1 and n < want:  # a block with named inputs in order (MaxUnpool2d: values, then its pool)
        err(Problem("error", f"{nid} ({type_}) takes {want} inputs, in order, but {n} "
                    f"{'is' if n == 1 else 'are'} connected. Connect {want - n} more.", node=nid,
                    code="missing_input"))
        return False
    if want > 1 and n > want:
        err(Problem("error", f"{nid} ({type_}) takes {want} inputs but {n} are connected ({', '.join(src)}).",
                    node=nid, fix=Fix(f"Remove {src[-1]} → {nid}", "remove_edge", {"edge": [src[-1], nid]}),
                    code="extra_inputs"))
        return False
    if want == -1 and n < 2:
        err(Problem("error", f"{nid} ({type_}) merges two or more inputs but has {n}. "
                    "Connect another branch to it.", node=nid, code="missing_input"))
        return False
    return True


def param_problem(spec, node) -> Problem | None:
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


def pin(e: BlockError, graph, nid, src, shapes, s) -> Problem:
    """Turn a block's error into a pinned Problem; merges get edge-level detail."""
    if e.code == "add_mismatch":
        return merge_problem(graph, nid, src, shapes, s.rank, same="all")
    if e.code == "concat_mismatch":
        return merge_problem(graph, nid, src, shapes, s.rank, same="hw")
    type_ = graph.nodes[nid].type
    msg = e.message
    msg = f"{nid} ({type_}){msg[len(type_):]}" if msg.startswith(type_) else f"{nid}: {msg}"
    return Problem("error", msg, node=nid, fix=e.fix, code=e.code)


def merge_problem(graph, nid, src, shapes, rank, same) -> Problem:
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


def find_output(sinks, depth, info, nodes) -> tuple[str | None, list[Problem]]:
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
