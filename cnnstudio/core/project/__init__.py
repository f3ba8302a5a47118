"""Layer 5, the project: `.cnnproj` files, notes on the canvas, the user library of blocks,
weights files beside a project, and atomic writes. Builds on the graph and analysis."""
from ..graph.doc import ProjectError
from .cnnproj import (FORMAT, SUFFIX, VERSION, Project, dumps_project, load_project, parse_project,
                      project_to_dict, save_project)

__all__ = ["FORMAT", "SUFFIX", "VERSION", "Project", "ProjectError", "dumps_project", "load_project",
           "parse_project", "project_to_dict", "save_project"]
