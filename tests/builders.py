"""Tiny hand-checkable problems: locations on a line, 10 minutes of driving per step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from scheduler.domain import (
    Break,
    Engineer,
    Location,
    Problem,
    SolveOptions,
    TimeWindow,
    Visit,
    VisitKind,
    Weights,
)
from scheduler.travel import Matrix

H = 3600
MIN = 60
STEP = 10 * MIN  # driving time between neighbouring points on the line
DAY = dt.date(2026, 11, 27)


def hm(hours: int, minutes: int = 0) -> int:
    """Clock time as seconds since midnight."""
    return hours * H + minutes * MIN


def line_locations(n: int) -> tuple[Location, ...]:
    """Points p0..p{n-1}, 0.01 degrees of longitude apart."""
    return tuple(Location(f"p{i}", 60.17, 24.90 + 0.01 * i) for i in range(n))


def line_matrix(n: int) -> tuple[tuple[int, ...], ...]:
    """Driving seconds between p_i and p_j: |i - j| steps."""
    return tuple(tuple(abs(i - j) * STEP for j in range(n)) for i in range(n))


def engineer(
    eid: str,
    *,
    at: int = 0,
    shift: tuple[int, int] = (hm(8), hm(16)),
    skills: Sequence[str] = (),
    overtime_min: int = 0,
    lunch: tuple[int, int, int] | None = None,
) -> Engineer:
    """An engineer starting and ending at point ``at``; ``lunch`` = (minutes, earliest, latest)."""
    breaks = () if lunch is None else (Break(lunch[0] * MIN, lunch[1], lunch[2]),)
    return Engineer(
        id=eid,
        name=eid.upper(),
        start_location=f"p{at}",
        end_location=f"p{at}",
        shift_start=shift[0],
        shift_end=shift[1],
        breaks=breaks,
        skills=frozenset(skills),
        overtime_max=overtime_min * MIN,
    )


def visit(
    vid: str,
    at: int,
    *,
    minutes: int = 30,
    windows: Sequence[tuple[int, int]] = (),
    soft: bool = False,
    skills: Sequence[str] = (),
    priority: int = 3,
    allowed: Sequence[str] = (),
    preferred: Sequence[str] = (),
    k: int = 1,
) -> Visit:
    """A visit at point ``at``; ``k > 1`` makes it a community event."""
    return Visit(
        id=vid,
        location=f"p{at}",
        duration=minutes * MIN,
        kind=VisitKind.COMMUNITY_EVENT if k > 1 else VisitKind.HOME_SERVICE,
        time_windows=tuple(TimeWindow(a, b) for a, b in windows),
        soft_windows=soft,
        required_skills=frozenset(skills),
        priority=priority,
        allowed_engineers=frozenset(allowed),
        preferred_engineers=frozenset(preferred),
        engineers_required=k,
    )


def problem(
    engineers: Sequence[Engineer],
    visits: Sequence[Visit],
    *,
    points: int = 6,
    weights: Weights | None = None,
    time_limit: float = 2.0,
    solution_limit: int | None = 200,
) -> Problem:
    """A problem on ``points`` line points with the explicit line matrix."""
    return Problem(
        date=DAY,
        locations=line_locations(points),
        engineers=tuple(engineers),
        visits=tuple(visits),
        travel_time_matrix=line_matrix(points),
        options=SolveOptions(
            time_limit=time_limit, solution_limit=solution_limit, weights=weights or Weights()
        ),
    )


def matrix_of(p: Problem) -> Matrix:
    assert p.travel_time_matrix is not None
    return np.asarray(p.travel_time_matrix, dtype=np.int64)
