"""Many regional plans at once: a problem split by service centre, one solve per centre,
all through one executor (inline, local processes or a Dask cluster).

Each engineer stays with their own centre; each visit goes to the centre nearest to it by
drive time (from the centre's location) among those with enough qualified engineers for
it. A home visit no centre can serve goes to the nearest centre, whose plan then explains
why it is unassigned; an event no single centre can staff is an error, since splitting
would silently cancel it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scheduler.domain import Engineer, Plan, Problem, Visit
from scheduler.errors import ProblemError
from scheduler.simulate.executor import Executor, InlineExecutor
from scheduler.travel import Matrix

__all__ = ["solve_by_centre", "solve_many", "split_by_centre"]


def _staffable(visit: Visit, engineers_at: dict[str, list[Engineer]]) -> list[str]:
    return [
        c
        for c, engineers in engineers_at.items()
        if sum(1 for e in engineers if visit.required_skills <= e.skills)
        >= visit.engineers_required
    ]


def split_by_centre(problem: Problem, matrix: Matrix) -> dict[str, tuple[Problem, Matrix]]:
    """One sub-problem and matrix (seconds) per service centre of ``problem``, in the order
    of ``problem.service_centers``; every engineer must belong to a centre."""
    if not problem.service_centers:
        raise ProblemError("problem", "service_centers", [], "splitting needs service centres")
    centres = {c.id: c for c in problem.service_centers}
    engineers_at: dict[str, list[Engineer]] = {c: [] for c in centres}
    for e in problem.engineers:
        if e.service_center is None:
            raise ProblemError(
                f"engineer {e.id!r}", "service_center", None, "needs a centre to split by centre"
            )
        engineers_at[e.service_center].append(e)
    index = problem.location_index()
    visits_at: dict[str, list[Visit]] = {c: [] for c in centres}
    for v in problem.visits:
        options = _staffable(v, engineers_at)
        if not options:
            if v.is_event:
                raise ProblemError(
                    f"event {v.id!r}",
                    "engineers_required",
                    v.engineers_required,
                    "no single service centre has that many qualified engineers: "
                    "plan the centres together",
                )
            options = list(centres)  # unassigned there, with its reason
        row = index[v.location]
        nearest = min(options, key=lambda c: (int(matrix[index[centres[c].location], row]), c))
        visits_at[nearest].append(v)
    out = {}
    for cid, centre in centres.items():
        engineers, visits = engineers_at[cid], visits_at[cid]
        used = {centre.location} | {v.location for v in visits}
        used |= {e.start_location for e in engineers} | {e.end_location for e in engineers}
        locations = tuple(loc for loc in problem.locations if loc.id in used)
        rows = [index[loc.id] for loc in locations]
        part = Problem(
            date=problem.date,
            locations=locations,
            engineers=tuple(engineers),
            visits=tuple(visits),
            service_centers=(centre,),
            timezone=problem.timezone,
            options=problem.options,
        )
        out[cid] = (part, matrix[np.ix_(rows, rows)])
    return out


def _solve(job: tuple[Problem, Matrix]) -> Plan:
    from scheduler.solver import solve

    return solve(*job)


def solve_many(
    jobs: Sequence[tuple[Problem, Matrix]], executor: Executor | None = None
) -> list[Plan]:
    """Solve independent (problem, matrix) pairs through ``executor``; plans in job order."""
    return (executor or InlineExecutor()).map(_solve, list(jobs))


def solve_by_centre(
    problem: Problem, matrix: Matrix, executor: Executor | None = None
) -> dict[str, tuple[Problem, Plan]]:
    """Plan each service centre on its own, all at once: centre id -> (its problem, plan)."""
    parts = split_by_centre(problem, matrix)
    plans = solve_many(list(parts.values()), executor)
    return {cid: (part[0], plan) for (cid, part), plan in zip(parts.items(), plans, strict=True)}
