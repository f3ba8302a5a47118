"""The graph an importer builds, before folding: blocks in order, edges, and for each block the
source tensors it holds (shared by the torch.fx and the ONNX importers)."""
from __future__ import annotations

from ..graph import Graph


class BuildGraph:
    restore_bn = False  # may a Conv2d with a bias stand for a ConvBNAct whose BatchNorm was folded into it?

    def __init__(self, name: str):
        self.name = name
        self.nodes: dict[str, tuple[str, dict]] = {}  # id → (block type, params), in order
        self.edges: list[tuple[str, str]] = []
        self.sources: dict[str, list[str]] = {}  # id → source modules or tensors, in the block's order
        self.output = None
        self.notes: list[str] = []

    def add(self, type_: str, ins: list, base: str, params: dict, sources=()) -> str:
        nid = base.replace(".", "_").strip("_") or type_.lower()
        if nid in self.nodes:
            i = 2
            while f"{nid}_{i}" in self.nodes:
                i += 1
            nid = f"{nid}_{i}"
        self.nodes[nid] = (type_, dict(params))
        self.edges += [(s, nid) for s in ins]
        self.sources[nid] = list(sources)
        return nid

    def inputs_of(self, nid):
        return [s for s, t in self.edges if t == nid]

    def outputs_of(self, nid):
        return [t for s, t in self.edges if s == nid]

    def as_cba_sources(self, nid) -> list:
        """The sources of a block used as a ConvBNAct inside a composite (see OnnxBuilder)."""
        return self.sources[nid]

    def graph(self) -> Graph:
        from ..blocks import CATALOGUE
        g = Graph()
        for nid, (type_, params) in self.nodes.items():
            g.add(type_, *self.inputs_of(nid), id=nid, **{**CATALOGUE[type_].defaults(), **params})
        return g

    def full(self, nid) -> tuple[str, dict]:
        from ..blocks import CATALOGUE
        type_, params = self.nodes[nid]
        return type_, {**CATALOGUE[type_].defaults(), **params}

    def only_next(self, nid):
        """The one block reading `nid`'s output, if it is the only one (and not the network's output)."""
        outs = self.outputs_of(nid)
        return outs[0] if len(outs) == 1 and nid != self.output else None

    def replace(self, inside: list, entry: list, type_: str, params: dict, sources: list) -> str:
        """One block of `type_` for the blocks `inside` (the last gives the output), fed by
        `entry`, in the first one's place and with its id; edges keep their order."""
        first, last, within = inside[0], inside[-1], set(inside)
        edges, fed = [], False
        for s, t in self.edges:
            if s in within and t in within:
                continue
            if t in within:
                if not fed:
                    edges += [(e, first) for e in entry]
                    fed = True
                continue
            edges.append((first if s == last else s, t) if s in within else (s, t))
        if not fed:
            edges += [(e, first) for e in entry]
        self.edges = edges
        self.nodes[first] = (type_, params)
        self.sources[first] = list(sources)
        for n in inside[1:]:
            del self.nodes[n], self.sources[n]
        if self.output in within:
            self.output = first
        return first

    def bypass(self, nid) -> None:
        """Drop a one-input block that changes nothing: its readers read its input."""
        (src,) = self.inputs_of(nid)
        self.edges = [(src if s == nid else s, t) for s, t in self.edges if t != nid]
        del self.nodes[nid], self.sources[nid]
        if self.output == nid:
            self.output = src
