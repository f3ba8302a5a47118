""""Vary in an experiment…": a name and a SPEC in the command line's own syntax, checked at once."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from ...core.sweep.apply import check_space
from ...core.sweep.space import SweepError, parse_vary

HINT = "a,b,c: these values · lo:hi: a range (whole numbers when both ends are) · lo:hi:log: a log-scale range"


def suggest_spec(param, value) -> str:
    """A first guess a person edits: around the current value, or every choice."""
    if param is not None and param.kind == "choice":
        return ",".join(param.choices)
    if isinstance(value, bool) or (param is not None and param.kind == "bool"):
        return "true,false"
    if isinstance(value, int):
        return ",".join(str(v) for v in dict.fromkeys([max(1, value // 2), value, value * 2]))
    if isinstance(value, float) and value > 0:
        return f"{value / 10:g}:{value * 10:g}:log"
    return "" if value is None else str(value)


class VaryDialog(QDialog):
    def __init__(self, project, name: str = "", spec: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("Vary in an experiment")
        self.project, self.dim = project, None
        self.name, self.spec = QLineEdit(name), QLineEdit(spec)
        self.name.setObjectName("vary_name")
        self.spec.setObjectName("vary_spec")
        self.name.setPlaceholderText("block.param or a training setting (lr, optimizer, augment.flip, …)")
        hint = QLabel(HINT)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("Setting", self.name)
        form.addRow("Values", self.spec)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(hint)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def accept(self) -> None:
        try:
            dim = parse_vary(f"{self.name.text().strip()}={self.spec.text().strip()}")
            check_space(self.project, [dim])
        except SweepError as e:
            self.error.setText(str(e))
            self.error.show()
            return
        self.dim = dim
        super().accept()


def plan_text(dims, trials: int, sampler: str, objective: str, kept: str | None = None) -> str:
    """The sweep's notes on its search (a small space listed once as a grid), as the CLI prints them;
    `kept`: the search of the study it would resume."""
    from ...core.sweep.setup import search
    try:
        notes = search(dims, trials, sampler, objective.split(","), kept)[2] if dims else []
    except SweepError as e:  # a grid over a float range: what the sweep would refuse
        notes = [str(e)]
    return " ".join(n[:1].upper() + n[1:] if n.startswith(("the ", "pruning")) else n for n in notes)
