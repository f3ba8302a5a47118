"""`cnnstudio summary FILE [--json]`: the layer table, totals and errors of a project."""
from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("summary", help="print a project's layer table, totals and errors",
                       description="Print the textbook layer table of a project: output shapes, "
                       "parameters, MACs, totals and any errors. Exit status 1 when the network has "
                       "errors, 2 when the file cannot be read.")
    p.add_argument("file", help="a .cnnproj project file")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="batch size for the training-memory estimate (default: the project's, else 32)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..core import ProjectError, analyze, load_project
    from ..core.analysis.summary import summary_dict, summary_text
    from ..core.train.budget import dataset_bytes, memory_problem

    try:
        project = load_project(args.file)
    except ProjectError as e:
        print(f"cnnstudio summary: {e}", file=sys.stderr)
        return 2
    batch = args.batch_size if args.batch_size is not None else project.training.get("batch_size", 32)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        print(f"cnnstudio summary: the batch size must be a whole number ≥ 1, not {batch!r}.", file=sys.stderr)
        return 2
    analysis = analyze(project.graph)
    too_big = memory_problem(analysis, project.dataset, {"batch_size": batch})
    analysis.problems += [too_big] if too_big else []
    data = dataset_bytes(project.dataset)
    data = data[0] if data else 0
    if args.json:
        doc = {"name": project.name, **summary_dict(project.graph, analysis, batch, dataset_bytes=data)}
        print(json.dumps(doc, indent=2))
    else:
        print(summary_text(project.graph, analysis, project.name, batch, dataset_bytes=data))
    return 1 if analysis.errors else 0
