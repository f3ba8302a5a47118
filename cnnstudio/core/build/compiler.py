"""Graph → torch.nn.Module. Imports torch: keep it off the GUI's start-up path."""
from __future__ import annotations

import keyword

import torch.nn as nn

from ..blocks import CATALOGUE, BlockError
from ..analysis.user_blocks import passes
from ..blocks.activations import build_activation
from ..blocks.custom import provide
from ..analysis import Analysis, Problem, analyze
from ..graph import Graph


INDICES = "#indices"  # a MaxPool2d's second output, read by the MaxUnpool2d it feeds (blocks/unpool.py)


def indexed_pools(graph: Graph) -> set[str]:
    """The MaxPool2d blocks whose indices an unpool reads: their second input's source."""
    return {graph.inputs_of(n)[1] for n, node in graph.nodes.items()
            if node.type == "MaxUnpool2d" and len(graph.inputs_of(n)) == 2}


def _sources(graph: Graph, nid: str, names: dict) -> list[str]:
    src = [names[s] for s in graph.inputs_of(nid)]
    if graph.nodes[nid].type == "MaxUnpool2d":
        src[1] += INDICES
    return src


class CompileError(ValueError):
    def __init__(self, problems):
        self.problems = problems
        # a block's message names it already ("c3 (Conv2d): kernel ..."): name it once
        lines = "\n".join(f"  {p.message}" if p.node and p.message.startswith(p.node) else f"  {p.node or '-'}: {p.message}"
                          for p in problems)
        super().__init__(f"the network has {len(problems)} error(s):\n{lines}")


class CompiledNet(nn.Module):
    """Runs the graph's blocks in topological order; submodules are named by node id."""

    def __init__(self, plan: list[tuple[str, str, list[str]]], output: str, node_names: dict):
        super().__init__()
        self._plan = plan  # (module name, node id, source module names)
        self._output = node_names[output]
        self.node_names = node_names  # node id → submodule name
        self.activations = nn.ModuleDict()
        # after each step, the outputs no later step reads: dropped at once, so a forward holds
        # only what is still needed (as a hand-written forward does), not every node's output
        last = {}
        for i, (_, _, sources) in enumerate(plan):
            for s in sources:
                last[s] = i
        self._done_after = [[s for s in dict.fromkeys(sources) if last[s] == i and s != self._output]
                            for i, (_, _, sources) in enumerate(plan)]
        self.frozen: set[str] = set()  # submodule names of frozen blocks: kept in eval mode
        self.indexed: set[str] = set()  # pools that also give their indices (to an unpool)

    def train(self, mode: bool = True):
        """Frozen blocks stay in eval mode (BatchNorm keeps its running statistics)."""
        super().train(mode)
        for name in self.frozen:
            self._modules[name].eval()
        return self

    def forward(self, x, return_all: bool = False, keep: tuple = (), until: str | None = None,
                before_activation: bool = False):
        """The model's output; with return_all, {node id: output} for every node; with `keep`
        (node ids), (output, {node id: output}) for those: e.g. predictions and embeddings
        from one forward; with `until` (a node id), that node's output, the layers after it
        not run (a look at an early layer of a ResNet runs a fifteenth of it), before the
        block's own activation with `before_activation`."""
        values = {}
        mods, acts = self._modules, self.activations
        kept = {self.node_names[n] for n in keep}
        stop = self.node_names[until] if until is not None else None
        for (name, _, sources), done in zip(self._plan, self._done_after):
            if not sources:
                y = x
            else:
                y = mods[name](*[values[s] for s in sources])
                if name in self.indexed:
                    y, values[name + INDICES] = y
            if name == stop and before_activation:
                return y
            if name in acts:
                y = acts[name](y)
            values[name] = y
            if name == stop:
                return y
            if not return_all:
                for s in done:
                    if s not in kept:
                        del values[s]
        if return_all:
            return {nid: values[name] for name, nid, _ in self._plan}
        if keep:
            return values[self._output], {n: values[self.node_names[n]] for n in keep}
        return values[self._output]


# attributes a module has once constructed (training, _modules, ...) besides its class's own
_RESERVED = set(dir(nn.Module())) | {"activations", "node_names", "forward"}


def module_name(node_id: str, taken: set) -> str:
    """A node id as an attribute name that cannot clash with nn.Module's own. A leading "_" is
    never kept: nn.Module keeps its state in _-names, and a class body mangles __-names."""
    name = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in node_id) or "node"
    if name[0].isdigit() or name[0] == "_" or keyword.iskeyword(name) or name in _RESERVED:
        name = "n_" + name
    base, i = name, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def check_compilable(graph: Graph, analysis: Analysis | None = None) -> Analysis:
    """The analysis of a graph that can become a model; CompileError with the reasons otherwise."""
    analysis = analysis or analyze(graph)
    if not analysis.ok:
        raise CompileError(analysis.errors)
    if analysis.output is None:
        raise CompileError([Problem("error", "The network is empty: add an Input block and the layers after it.",
                                    code="empty")])
    return analysis


def compile_graph(graph: Graph, analysis: Analysis | None = None) -> CompiledNet:
    analysis = check_compilable(graph, analysis)
    taken: set = set()
    names = {nid: module_name(nid, taken) for nid in analysis.order}
    plan = [(names[nid], nid, _sources(graph, nid, names)) for nid in analysis.order]
    net = CompiledNet(plan, analysis.output, names)
    pools = indexed_pools(graph)
    for nid in analysis.order:
        node = graph.nodes[nid]
        spec = CATALOGUE[node.type]
        info = analysis.info[nid]
        try:
            module = spec.build(node.params, info.in_shapes or [])
        except BlockError as e:  # a block that cannot be built here (a PyTorch-module block's package): its message
            raise CompileError([Problem("error", f"{nid}: {e.message}", node=nid, code=e.code)]) from None
        if nid in pools:
            module.return_indices = True
            net.indexed.add(names[nid])
        net.add_module(names[nid], module)
        act = node.params.get("activation", "none") if spec.activation_param else "none"
        if act != "none":
            net.activations[names[nid]] = build_activation(act)
        if node.frozen:
            net.frozen.add(names[nid])
            for p in net._modules[names[nid]].parameters():
                p.requires_grad_(False)
    net.train(net.training)
    return net


def _build_user_block(params, shapes):
    """A user block: its inner graph compiled once per repeat, in a row."""
    nets = [compile_graph(g, a) for _, g, a in passes(params, tuple(shapes[0]))]
    return nets[0] if len(nets) == 1 else nn.Sequential(*nets)


provide(build=_build_user_block)
