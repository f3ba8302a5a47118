"""New project: an empty canvas or a template from sample_projects/, with its size at a glance."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout)

from ..core import ProjectError, analyze, load_project
from ..core.cost import totals
from .text import fmt_count, fmt_shape
from .theme import icon

PATH_ROLE = Qt.UserRole + 1


def templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for d in (here.parent / "sample_projects", here / "sample_projects"):
        if d.is_dir():
            return d
    return here.parent / "sample_projects"


def list_templates() -> list[tuple[Path, str]]:
    """(file, one-line description) for every readable template, in name order."""
    out = []
    for path in sorted(templates_dir().glob("*.cnnproj")):
        try:
            p = load_project(path)
        except ProjectError:
            continue  # a broken template is skipped, never fatal
        a = analyze(p.graph)
        inp = next((n for n in p.graph.nodes.values() if n.type == "Input"), None)
        shape = fmt_shape(inp.params["shape"]) if inp else "no input"
        ds = p.dataset.get("id", "")
        out.append((path, f"{p.name} — {len(p.graph.nodes)} blocks · {fmt_count(totals(a)['total_params'])} "
                          f"parameters · input {shape}" + (f" · {ds}" if ds else "")))
    return out


class GalleryDialog(QDialog):
    """`exec()`, then `choice`: None for an empty project, or the template's path."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.resize(560, 460)
        self.choice: Path | None = None
        lay = QVBoxLayout(self)
        title = QLabel("<span style='font-size:14pt; font-weight:600'>Start a new network</span>")
        hint = QLabel("Start from an empty canvas, or from a classic architecture you can change.")
        hint.setObjectName("hint")
        self.list = QListWidget()
        self.list.setIconSize(QSize(28, 28))
        self.list.setSpacing(2)
        empty = QListWidgetItem(icon("app"), "Empty project — drag blocks in from the palette, starting with Input")
        empty.setData(PATH_ROLE, "")
        self.list.addItem(empty)
        for path, text in list_templates():
            it = QListWidgetItem(icon("convolution"), text)
            it.setData(PATH_ROLE, str(path))
            it.setToolTip(str(path))
            self.list.addItem(it)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(title)
        lay.addWidget(hint)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)

    def select(self, name: str) -> bool:
        """Pick the template whose file stem is `name` (keyboard users and tests)."""
        for i in range(self.list.count()):
            p = self.list.item(i).data(PATH_ROLE)
            if p and Path(p).stem == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def accept(self):
        it = self.list.currentItem()
        p = it.data(PATH_ROLE) if it else ""
        self.choice = Path(p) if p else None
        super().accept()
