"""Editing inside a user block: the canvas shows the block's inner graph, with a breadcrumb
("Network › Stage › ConvRelu ×2") to go back.

The inner graph is a view of the block's params. An edit there is made on it and, at once,
recorded on the project's undo stack as the change of the outermost block's params it
amounts to (`EditInside`), so the outer checks follow every edit, and undo/redo (inside or
after leaving) work as for any edit. When the block's params change by other means (undo),
the inner graph is rebuilt from them.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from ...core.analysis.user_blocks import inner_graph
from ...core.blocks.custom import TYPE, effective_graph_doc, label, params_from_graph_doc
from ...core.analysis import analyze
from ...core.graph import Graph
from ...core.graph.doc import graph_to_doc
from ...core.analysis.recheck import Checker


class Scope:
    """The user block being edited: `path` of block ids from the project's graph down."""

    def __init__(self, top: Graph, top_analysis, path: list[str]):
        self.top, self.path = top, list(path)
        self.graph: Graph | None = None
        self.checker: Checker | None = None
        self.source: dict | None = None  # the outermost block's params the inner graph shows
        self.rebuild(top_analysis)

    def valid(self) -> bool:
        node = self.top.nodes.get(self.path[0])
        if node is None or node.type != TYPE:
            return False
        try:
            self._chain(None)
        except (KeyError, StopIteration):
            return False
        return True

    def stale(self) -> bool:
        return self.top.nodes[self.path[0]].params != self.source

    def _chain(self, top_analysis) -> list[tuple[dict, tuple | None]]:
        """[(params, input shape)] of each block on the path, outermost first."""
        nid = self.path[0]
        params = self.top.nodes[nid].params
        info = top_analysis.info.get(nid) if top_analysis else None
        shape = tuple(info.in_shapes[0]) if info and info.in_shapes else None
        chain = [(params, shape)]
        for nid in self.path[1:]:
            g = inner_graph(params, shape)
            if g.nodes[nid].type != TYPE:
                raise KeyError(nid)
            inner = analyze(g).info.get(nid) if shape else None
            shape = tuple(inner.in_shapes[0]) if inner and inner.in_shapes else None
            params = g.nodes[nid].params
            chain.append((params, shape))
        return chain

    def rebuild(self, top_analysis) -> None:
        params, shape = self._chain(top_analysis)[-1]
        g = inner_graph(params, shape)
        if self.graph is not None:  # blocks stay where they were on the canvas
            for nid, node in g.nodes.items():
                if nid in self.graph.nodes:
                    node.pos = self.graph.nodes[nid].pos
            self.checker.close()
        self.graph, self.checker = g, Checker(g)
        self.analysis = self.checker.analysis
        self.source = self.top.nodes[self.path[0]].params

    def update(self):
        self.analysis = self.checker.update()
        return self.analysis

    def params_after_edit(self, top_analysis, moved: dict | None = None) -> tuple[dict, bool]:
        """(the outermost block's params for the inner graph as it is now, whether the inner
        graph must be rebuilt to show them: an exposed parameter changed inside sets all its targets).
        `moved`: {(old id, parameter): (new id, parameter)} of the edit, which the block's
        exposed parameters follow."""
        chain = self._chain(top_analysis)
        doc = graph_to_doc(self.graph)
        new = params_from_graph_doc(chain[-1][0], doc, moved)
        shown = effective_graph_doc(new) != doc
        for (params, _), inner_id in zip(reversed(chain[:-1]), reversed(self.path[1:])):
            outer = effective_graph_doc(params)
            for n in outer["nodes"]:
                if n["id"] == inner_id:
                    n["params"] = new
            new = params_from_graph_doc(params, outer)
        self.source = new
        return new, shown

    def exposed(self, node_id: str) -> dict:
        """{parameter of this inner block: the block's own parameter that sets it}."""
        params = self._chain(None)[-1][0]
        return {name: key for key, targets in params.get("expose", {}).items()
                for nid, name in targets if nid == node_id}

    def names(self) -> list[str]:
        return [label(params) for params, _ in self._chain(None)]


class Breadcrumb(QWidget):
    """"Network › Stage › ConvRelu ×2" over the canvas's top-left corner while inside a block;
    each part goes back to that level."""

    go = Signal(int)  # how many levels to stay inside (0: the network itself)

    def __init__(self, parent):
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setStyleSheet("#breadcrumb { background: palette(window); border: 1px solid palette(mid); "
                           "border-radius: 4px; }")
        self.lay = QHBoxLayout(self)
        self.lay.setContentsMargins(6, 2, 6, 2)
        self.lay.setSpacing(2)
        self.hide()

    def show_path(self, names: list[str]) -> None:
        # hidden while its parts change: parts added to a visible widget show only later, so
        # its size would be taken without them (a sliver one level deeper)
        self.hide()
        while self.lay.count():
            w = self.lay.takeAt(0).widget()
            if w:  # gone at once, not at the next turn of the event loop (no stale part lingers)
                w.setParent(None)
                w.deleteLater()
        if not names:
            self.hide()
            return
        back = QToolButton(text="‹ Back")
        back.setObjectName("scope_back")
        back.setToolTip("Back to the enclosing network")
        back.clicked.connect(lambda: self.go.emit(len(names) - 1))
        self.lay.addWidget(back)
        for level, name in enumerate(["Network"] + names):
            if level:
                self.lay.addWidget(QLabel("›"))
            if level == len(names):
                here = QLabel(f"<b>{name}</b>")
                here.setObjectName("scope_here")
                self.lay.addWidget(here)
            else:
                b = QToolButton(text=name)
                b.setObjectName(f"scope_level_{level}")
                b.setAutoRaise(True)
                b.clicked.connect(lambda _=False, n=level: self.go.emit(n))
                self.lay.addWidget(b)
        self.outer = QLabel()
        self.outer.setObjectName("scope_outer")
        self.lay.addWidget(self.outer)
        self.adjustSize()
        self.move(8, 8)
        self.show()
        self.raise_()

    def show_outer(self, errors: list) -> None:
        """The network's own errors while inside a block: an edit here can break what follows it."""
        if self.isHidden():
            return
        self.outer.setText(f"  <span style='color:#c0392b'>✖ the network has {len(errors)} error(s)</span>"
                           if errors else "  <span style='color:#1e8449'>✓ network OK</span>")
        self.outer.setToolTip("<br>".join(p.message for p in errors[:5]))
        self.adjustSize()
