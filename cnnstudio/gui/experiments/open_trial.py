"""A trial's values applied to the open project as one undo step: every block parameter it set
and the training and dataset settings together."""
from __future__ import annotations

from ...core.graph.commands import Macro, SetParams
from ...core.sweep.apply import apply_params, target
from ...core.sweep.results import params_text


def open_row(session, row: dict, study: str, settings_command) -> str:
    """Open the trial of a study's table `row` as the project (the outer network, one undo step);
    → what the view says about it."""
    if session.scope is not None:
        session.leave()
    command = trial_command(session.project, row["trial"], study, row["params"], settings_command)
    if command is None:
        return f"The project already has trial {row['trial']}'s values."
    session.stack.push(command)
    return f"Opened trial {row['trial']}: {params_text(row['params'])} (Undo goes back)."


def trial_command(project, trial: int, study: str, params: dict, settings_command):
    """→ the Macro, or None when the trial sets nothing that differs from the project.
    `settings_command(project, dataset, training)`: the window's undoable settings change."""
    changed = apply_params(project, params)
    steps = []
    for nid in {target(project, name)[1] for name in params if target(project, name)[0] == "node"}:
        if changed.graph.nodes[nid].params != project.graph.nodes[nid].params:
            steps.append(SetParams(project.graph, nid, changed.graph.nodes[nid].params))
    if (changed.dataset, changed.training) != (project.dataset, project.training):
        steps.append(settings_command(project, changed.dataset, changed.training))
    if not steps:
        return None
    return Macro(f"Open trial {trial} of {study}", steps)
