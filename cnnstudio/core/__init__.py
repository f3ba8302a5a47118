"""CNN Studio's Qt-free core: blocks, graph, checks, costs, project files.

Nothing here imports PySide6, and nothing imported here imports torch: the compiler
(`cnnstudio.core.build.compiler`) and the trainer load torch when they are used.
"""
from .blocks import CATALOGUE, CATEGORIES, BlockSpec, Param
from .analysis import Analysis, Fix, NodeInfo, Problem, analyze
from .graph.commands import UndoStack
from .analysis.explain import explain
from .graph import Graph, GraphEvent, Node
from .project import Project, ProjectError, load_project, save_project

__all__ = ["CATALOGUE", "CATEGORIES", "BlockSpec", "Param", "Analysis", "Fix", "NodeInfo",
           "Problem", "analyze", "UndoStack", "explain", "Graph", "GraphEvent", "Node",
           "Project", "ProjectError", "load_project", "save_project"]
