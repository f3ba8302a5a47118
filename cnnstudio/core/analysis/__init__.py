"""Layer 3, analysis: live checks (shapes, costs, problems) from the catalogue's formulas,
incremental re-check, totals, explanations, one-click fixes, the summary table, Make block.

Importing it teaches user blocks to analyse their inner graph (see user_blocks.py): the
catalogue below knows a user block's structure, not how to check what is inside it.
"""
from . import user_blocks  # noqa: F401  (registration)
from ..blocks.spec import Fix
from .checks import Analysis, NodeInfo, analyze
from .problems import Problem

__all__ = ["Analysis", "Fix", "NodeInfo", "Problem", "analyze"]
