"""CNN Studio's MACs of a PyTorch model, by the code docs/costs.md gives its users (fvcore plus
the extras it lists): run from the page itself, so the page stays true."""
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "costs.md"


def _load():
    code = DOC.read_text(encoding="utf-8").split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the project's own page
    return namespace["cnnstudio_macs"]


cnnstudio_macs = _load()
