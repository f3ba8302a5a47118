"""Incremental checking for the editor: after an edit, only the edited blocks and what lies
downstream of them are checked again, and only while their results keep changing.

A `Checker` listens to its graph's events and gives, on `update()`, exactly what
`analyze(graph)` would give (a property test holds it to that), plus which nodes and wires
changed, so views touch only those. Wiring changes redo the linear structure pass (order,
loops, depths), except blocks added at the end and wired among themselves (a paste, a drop),
which extend it; a parameter edit does not even that. With a loop or without an Input the
whole graph is checked: those are short-lived states of small edits. Receptive fields are not
kept here: most edits change them for everything downstream, so the analysis works them out
when asked (`Analysis.receptive`).
"""
from __future__ import annotations

from .checks import Analysis, Structure, add_sums, check_all, check_node
from ..blocks import CATALOGUE
from ..graph import Graph

MERGE_CODES = ("add_mismatch", "concat_mismatch")


class Checker:
    def __init__(self, graph: Graph):
        self.graph = graph
        self._dirty: set[str] = set()  # blocks to check again
        self._touched: set[str] = set()  # blocks a view must look at (moved, rewired, ...)
        self._rewired: set = set()
        self._placed: set[str] = set()  # blocks added, removed or moved
        self._restructured = False
        self._appended: dict | None = {}  # blocks added at the end, wired only among themselves (None: not only that)
        self._unsubscribe = graph.subscribe(self._on_event)
        self._full(Structure(graph, *graph.topological_order()))

    def close(self) -> None:
        self._unsubscribe()

    def _on_event(self, e) -> None:
        kind = e.kind
        if kind == "params_changed":
            self._dirty.add(e.node)
            # a block that checks the blocks feeding it (an unpool its pool) is checked again too
            self._dirty.update(t for t in self.graph._out.get(e.node, ()) if CATALOGUE[self.graph.nodes[t].type].sources)
        elif kind in ("edge_added", "edge_removed"):
            self._dirty.add(e.edge[1])
            self._touched.update(e.edge)
            self._rewired.add(e.edge)
            self._restructured = True
            if kind == "edge_removed" or self._appended is None or not (e.edge[0] in self._appended
                                                                         and e.edge[1] in self._appended):
                self._appended = None
        elif kind in ("node_added", "node_removed"):
            self._dirty.add(e.node)
            self._placed.add(e.node)
            self._restructured = True
            if kind == "node_removed" or self._appended is None or next(reversed(self.graph.nodes)) != e.node:
                self._appended = None
            else:
                self._appended[e.node] = None
        elif kind == "moved":
            self._touched.add(e.node)
            self._placed.add(e.node)

    def update(self) -> Analysis:
        """The analysis after the edits since the last call."""
        g = self.graph
        dirty, rewired, placed = self._dirty, self._rewired, self._placed
        touched = dirty | self._touched
        self._dirty, self._touched, self._rewired, self._placed = set(), set(), set(), set()
        before = self._s.pinned()
        s = self._s
        if self._restructured:
            self._restructured, appended, self._appended = False, self._appended, {}
            s = (appended and self._extended(list(appended))) or Structure(g, *g.topological_order())
            if s.stuck or not s.has_input or self._s.root is not None:
                return self._full(s)
            # a merge's error names its deepest input by order, which may have changed
            dirty |= {n for n, probs in self._found.items() if any(p.code in MERGE_CODES for p in probs)}
        info = dict(self.analysis.info)
        sums = dict(self.analysis.sums)
        found = self._found
        before_outs, after_outs = [], []  # of the blocks whose results changed: for the totals
        for n in dirty:
            if n not in g.nodes:  # removed
                gone = info.pop(n, None)
                before_outs.append(gone and gone.out)
                found.pop(n, None)
        order, rank, outs = s.order, s.rank, g._out
        pending = {n for n in dirty if n in rank}  # blocks behind a loop stay unknown
        i = min(map(rank.__getitem__, pending), default=0)
        while pending:  # in order, so a block's inputs are final before it is looked at
            n = order[i]
            i += 1
            if n not in pending:
                continue
            pending.discard(n)
            old = info.get(n)
            new, probs = check_node(g, n, info, s)
            info[n] = new
            was, out = old and old.out, new.out
            if was is not out:
                before_outs.append(was)
                after_outs.append(out)
            if (old is None or was is not out or old.in_shapes != new.in_shapes
                    or (probs or None) != found.get(n)):
                touched.add(n)
            if probs:
                found[n] = probs
            else:
                found.pop(n, None)
            # what it feeds sees a different input only if its output's shape changed
            if old is None or (out.shape if out else None) != (was.shape if was else None):
                nxt = outs.get(n, ())
                pending.update(nxt if not s.stuck else [t for t in nxt if t in rank])
        add_sums(sums, before_outs, -1)
        add_sums(sums, after_outs, 1)
        node_problems = [p for n in sorted(found, key=rank.__getitem__) for p in found[n]]
        a = s.analysis(g, info, node_problems, sums=sums)
        after = s.pinned()  # graph-wide problems that moved between blocks show on both
        touched |= {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
        a.changed, a.rewired, a.placed = touched, rewired, placed
        self._s, self.analysis = s, a
        return a

    def _extended(self, new: list[str]) -> Structure | None:
        """The structure after blocks were added at the end of the graph, wired only among
        themselves (a paste, a palette drop): what a whole pass gives, from the last one and a
        walk of the new blocks alone. None where that does not hold, where there was no Input or
        loop-free order before, or where they bring an Input (the whole pass names a second one)."""
        g, old = self.graph, self._s
        keys = reversed(g.nodes)
        if old.stuck or not old.has_input or [next(keys) for _ in new][::-1] != new:
            return None  # (an undo or redo in between put some back elsewhere)
        order, stuck = g.topological_order(among=new)
        if stuck or any(g.nodes[n].type == "Input" for n in new):
            return None
        s = Structure.__new__(Structure)
        s.__dict__.update(old.__dict__)  # head (no loop, the one Input), root and has_input stay
        s.order, s._rank = old.order + order, None
        depth, ins = dict(old.depth), g._in
        for n in order:  # as Structure does it
            src = ins.get(n)
            depth[n] = 1 + max(depth[x] for x in src) if src else 0
        s.depth = depth
        s.sinks = old.sinks + [n for n in order if not g._out.get(n)]
        return s

    def _full(self, s: Structure) -> Analysis:
        a, self._found = check_all(self.graph, s)
        a._sums  # summed once here, then kept up to date
        a.changed = a.rewired = a.placed = None  # views look at everything

        self._s, self.analysis = s, a
        return a
