"""Parts of a day: some engineers and visits with the matrix rows they need."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from scheduler.domain import Problem, SolveOptions
from scheduler.travel import Matrix


def part_of_day(
    problem: Problem,
    matrix: Matrix,
    engineers: Sequence[str],
    visit_ids: Sequence[str],
    options: SolveOptions,
) -> tuple[Problem, Matrix]:
    """The day restricted to some engineers and visits, solved with ``options`` (never split
    again), and the matrix rows it needs (a worker gets a small matrix, not the day's)."""
    crew = frozenset(engineers)
    keep = set(visit_ids)
    visits = tuple(
        dataclasses.replace(
            v,
            # Non-empty: a part always holds an engineer able to serve each of its visits.
            allowed_engineers=v.allowed_engineers & crew,
            preferred_engineers=v.preferred_engineers & crew,
        )
        for v in problem.visits
        if v.id in keep
    )
    team = tuple(e for e in problem.engineers if e.id in crew)
    needed = {v.location for v in visits} | {c.location for c in problem.service_centers}
    needed |= {loc for e in team for loc in (e.start_location, e.end_location)}
    rows = [i for i, loc in enumerate(problem.locations) if loc.id in needed]
    part = dataclasses.replace(
        problem,
        locations=tuple(problem.locations[i] for i in rows),
        engineers=team,
        visits=visits,
        travel_time_matrix=None,
        options=dataclasses.replace(options, decompose_above=None, workers=1),
    )
    return part, np.ascontiguousarray(matrix[np.ix_(rows, rows)])


def able_in(
    able: Mapping[str, Sequence[str]], engineers: Sequence[str], visit_ids: Sequence[str]
) -> dict[str, list[str]]:
    """Who among ``engineers`` may serve each of ``visit_ids``."""
    crew = set(engineers)
    return {vid: [e for e in able.get(vid, ()) if e in crew] for vid in visit_ids}
