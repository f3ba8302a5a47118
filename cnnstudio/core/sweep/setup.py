"""Making a study from a project and a space: everything checked before any trial runs."""
from __future__ import annotations

import math
from pathlib import Path

from . import study as st
from .apply import check_space
from .score import ALIASES, OBJECTIVE
from .space import Dim, SweepError

SEARCHES = {"tpe": "TPE", "random": "random sampling", "nsga2": "NSGA-II", "grid": "a grid"}


def new_study(project_path, dims: list[Dim], *, trials: int | None = None, sampler: str | None = None,
              objectives=(OBJECTIVE,), prune: str = "median", epochs: int | None = None, seed: int | None = None,
              storage: str | None = None, name: str | None = None, nproc: int = 1) -> tuple[str, str, list[str]]:
    """Check the space against the project and make the study (or find it again, to resume it).
    → (storage URL, study name, notes for the user). Raises SweepError with one clear line."""
    from ..project import ProjectError, load_project, project_to_dict
    from ..train.runs import runs_folder
    try:
        project = load_project(project_path)
    except ProjectError as e:
        raise SweepError(str(e)) from None
    if not dims:
        raise SweepError("nothing to vary: give --vary NAME=SPEC (e.g. --vary lr=1e-4:1e-1:log) or --space FILE.")
    check_space(project, dims)
    objectives = [ALIASES.get(o, o) for o in objectives]  # "score" is the key studies keep: "accuracy"
    if not objectives or any(o not in st.OBJECTIVES for o in objectives) or len(set(objectives)) != len(objectives):
        raise SweepError(f"objective {','.join(objectives)}: choose from score (or accuracy: the task's validation "
                         f"score), {', '.join(o for o in st.OBJECTIVES if o != OBJECTIVE)}, each once (e.g. score,params).")
    asked, requested = trials, sampler or ("nsga2" if len(objectives) > 1 else "tpe")
    sampler, trials, notes = plan(dims, asked, requested, objectives)  # checked before anything is written
    if not trials or trials < 1:
        raise SweepError("--trials N is needed (1 or more) unless the search is a grid.")
    if epochs is not None and epochs < 1:
        raise SweepError("--epochs must be 1 or more.")
    if nproc < 1:
        raise SweepError("--nproc must be 1 or more.")
    if nproc > 1 and "latency" in objectives:
        raise SweepError("the latency objective is measured in the trial's own process: leave --nproc out for it.")
    name = name or project.name
    url = storage or st.default_url(project_path)
    store = st.open_storage(url)
    sampler, trials, notes = search(dims, asked, requested, objectives, (st.existing(store, name) or {}).get("sampler"))
    if prune != "none" and len(objectives) > 1:
        notes.append("pruning needs a single objective; the trials of this study all run to the end.")
    settings = {"study": name, "project": project_to_dict(project), "project_path": str(Path(project_path).absolute()),
                "runs": str(runs_folder(Path(project_path)).absolute()), "space": {d.name: d.to_doc() for d in dims},
                "trials": trials, "objectives": objectives, "sampler": sampler, "prune": prune, "epochs": epochs,
                "seed": seed, "nproc": nproc}
    if sampler != requested:  # enumerated for them: what the user asked for, for the window to show again
        settings["asked"] = {"sampler": requested, "trials": asked}
    st.create(store, name, settings)
    return url, name, notes


def search(dims: list[Dim], trials: int | None, requested: str, objectives=(OBJECTIVE,),
           kept: str | None = None) -> tuple[str, int | None, list[str]]:
    """plan() for a new study, or for resuming one whose search was `kept` (a study that sampled
    goes on sampling; one enumerated as a grid stays a grid). The CLI and the window both ask here."""
    sampler, n, notes = plan(dims, trials, requested, objectives)
    if kept and kept != sampler and kept in (requested, "grid") and (kept != "grid" or combinations(dims)):
        return plan(dims, trials, kept, objectives, kept)
    return sampler, n, notes


def combinations(dims: list[Dim]) -> int | None:
    """How many combinations the space has when every dimension is a list (choices, whole-number
    ranges); None when one is a float or log range."""
    counts = [d.count() for d in dims]
    return None if None in counts else math.prod(counts)


def plan(dims: list[Dim], trials: int | None, sampler: str | None = None, objectives=(OBJECTIVE,),
         kept: str | None = None) -> tuple[str, int | None, list[str]]:
    """The search a sweep makes: (sampler, trials, notes for the user). A space with no more
    combinations than the trials asked is enumerated, each combination once (a grid), whatever the
    search asked: TPE or random sampling would try some twice and miss others. The CLI and the
    window both ask here. `kept`: the sampler of the study being resumed (one that sampled stays)."""
    asked = sampler or ("nsga2" if len(objectives) > 1 else "tpe")
    size = combinations(dims)
    if asked != "grid" and kept != asked and size is not None and trials and size <= trials:
        return "grid", size, [f"the space has {size} combination{'s' if size > 1 else ''}, no more than the "
                              f"{trials} trials asked: each is tried once (a grid search, not {SEARCHES[asked]}), "
                              f"{size} trial{'s' if size > 1 else ''} in all."]
    notes = []
    if asked == "grid":
        size = math.prod(len(d.grid()) for d in dims)
        if trials and trials > size:
            notes.append(f"the grid has {size} combinations; running {size} trials, not {trials}.")
        trials = min(trials or size, size)
    return asked, trials, notes
