"""Re-planning the rest of a day from its state: what is done stays done, what has started
stays where it is, an engineer driving to a stop keeps it, and everything else may move at
the price of the churn weights.

``replan_problem(problem, published, state, at)`` turns the day's problem, the plan being
replaced and the day's state at ``at`` into the problem of the rest of the day:

* visits ``done``, ``cannot_complete`` or ``cancelled`` leave the problem; so does a visit
  ``started`` (it is under way): its engineer is free at its place when it ends (its actual
  end, or its actual start plus its duration, or at ``at`` at the earliest);
* an engineer ``off`` from ``at`` or before leaves the day (their stops are free to move); one
  off later must be back by then;
* each engineer starts at ``at`` at the earliest, from their last known position when the
  state has one (a new location ``position:<engineer>``), else from where their last
  finished stop was, else from their start location;
* a visit ``en_route`` stays with its engineer as their first stop (``next_visit``);
* every other visit the published plan served carries ``previous`` (its engineers, start and
  the window the customer was told: the state's ``promised`` window, else the published start
  plus or minus ``promise_half_width``), so moving it costs what the weights say; new visits
  join without;
* a break whose window closed before ``at`` is no longer required, nor one the published plan
  placed before ``at``.

``warm_start(...)`` gives the published routes of what is left, as the search's start.
Times are seconds since midnight of the problem's date.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from scheduler.churn import Churn, churn_between
from scheduler.day_state import FINISHED, DayState, VisitStatus
from scheduler.domain import (
    Engineer,
    Location,
    Plan,
    Previous,
    Problem,
    SolveOptions,
    TimeWindow,
    Visit,
    Weights,
)
from scheduler.errors import ProblemError
from scheduler.solver import ProgressCallback, solve
from scheduler.travel import HaversineEstimate, Matrix

DEFAULT_PROMISE_HALF_WIDTH = 3600  # seconds either side of the published start


def check_state(problem: Problem, published: Plan, state: DayState, at: int) -> None:
    """Raise ``ProblemError`` naming what in ``state`` does not fit the day."""
    visits = {v.id for v in problem.visits}
    engineers = {e.id for e in problem.engineers}
    for vid, vs in state.visits.items():
        if vid not in visits:
            raise ProblemError("state", "visits", vid, "is not a visit of the day")
        on_plan = any(s.visit_id == vid for r in published.routes for s in r.stops)
        if vs.status is VisitStatus.EN_ROUTE and not on_plan:
            raise ProblemError(
                f"state visit {vid!r}", "status", vs.status.value, "is not on the published plan"
            )
    for eid, es in state.engineers.items():
        if eid not in engineers:
            raise ProblemError("state", "engineers", eid, "is not an engineer of the day")
        if (es.lat is None) != (es.lon is None):
            raise ProblemError(f"state engineer {eid!r}", "position", (es.lat, es.lon),
                               "needs both lat and lon")  # fmt: skip
    day_start = min((e.shift_start for e in problem.engineers), default=at)
    day_end = max((e.working_day.end for e in problem.engineers), default=at)
    if not day_start - 86_400 <= at <= day_end:
        raise ProblemError("re-plan", "at", at, "must be a time of the day planned")


def replan_problem(
    problem: Problem,
    published: Plan,
    state: DayState,
    at: int,
    *,
    promise_half_width: int = DEFAULT_PROMISE_HALF_WIDTH,
) -> Problem:
    """The rest of the day from ``at`` (see the module text)."""
    check_state(problem, published, state, at)
    gone = {vid for vid, vs in state.visits.items() if vs.status in FINISHED}
    started = {vid: vs for vid, vs in state.visits.items() if vs.status is VisitStatus.STARTED}
    by_id = {v.id: v for v in problem.visits}
    locations = list(problem.locations)
    engineers: list[Engineer] = []
    team_heading: dict[str, set[str]] = {}
    for e in problem.engineers:
        es = state.engineer(e.id)
        if es.off_from is not None and es.off_from <= at:
            continue  # off: what was theirs is handed over
        route = published.route_of(e.id)
        stops = route.stops if route is not None else ()
        start_location, ready = e.start_location, max(e.shift_start, at)
        # Where they are: the place of their last finished or started stop, or their position.
        for s in stops:
            vs = state.visit(s.visit_id)
            if s.visit_id in started and s.visit_id in by_id:
                v = by_id[s.visit_id]
                end = vs.actual_end or ((vs.actual_start or s.start) + v.duration)
                start_location, ready = v.location, max(ready, end)
            elif (
                vs.status in (VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE) and s.visit_id in by_id
            ):
                start_location = by_id[s.visit_id].location
                if vs.actual_end is not None:
                    ready = max(ready, vs.actual_end)
        if es.has_position and not any(s.visit_id in started for s in stops):
            assert es.lat is not None and es.lon is not None
            position = Location(f"position:{e.id}", es.lat, es.lon)
            locations.append(position)
            start_location = position.id
            if es.seen_at is not None:
                ready = max(ready, es.seen_at)
        shift_end, overtime = e.shift_end, e.overtime_max
        if es.off_from is not None:
            shift_end, overtime = min(shift_end, es.off_from), 0
        if shift_end <= ready:
            continue  # no time left today
        taken = {(b.start, b.end) for b in (route.breaks if route is not None else ())
                 if b.end <= at}  # fmt: skip
        breaks = tuple(
            b
            for b in e.breaks
            if b.latest_end > ready and not any(lo >= b.earliest_start and hi <= b.latest_end
                                                for lo, hi in taken)
        )  # fmt: skip
        heading = [
            s.visit_id
            for s in stops
            if state.visit(s.visit_id).status is VisitStatus.EN_ROUTE and s.visit_id in by_id
        ]
        # A visit for several engineers (an event, a crew) cannot be one engineer's locked
        # next stop; it stays with the engineers heading there instead (below).
        en_route = [vid for vid in heading if by_id[vid].engineers_required == 1]
        for vid in heading:
            if by_id[vid].engineers_required > 1:
                team_heading.setdefault(vid, set()).add(e.id)
        engineers.append(
            dataclasses.replace(
                e,
                start_location=start_location,
                shift_start=ready,
                shift_end=shift_end,
                overtime_max=overtime,
                breaks=breaks,
                next_visit=en_route[0] if en_route else None,
            )
        )
    staying = {e.id for e in engineers}
    locked = {e.next_visit: e.id for e in engineers if e.next_visit is not None}
    visits: list[Visit] = []
    for v in problem.visits:
        if v.id in gone or v.id in started:
            continue
        where = [r.engineer_id for r in published.routes for s in r.stops if s.visit_id == v.id]
        starts = [s.start for r in published.routes for s in r.stops if s.visit_id == v.id]
        previous = None
        if where:
            told = state.visit(v.id).promised
            promise = told or TimeWindow(starts[0] - promise_half_width,
                                         starts[0] + promise_half_width)  # fmt: skip
            previous = Previous(frozenset(where), min(starts), promise)
        allowed = v.allowed_engineers & staying if v.allowed_engineers else v.allowed_engineers
        if v.allowed_engineers and not allowed:
            continue  # only an engineer who is off today may serve it
        if v.id in locked:
            allowed = frozenset({locked[v.id]})
        elif v.id in team_heading:
            # Held at all, it is held by those already on their way (and others if they
            # are too few), as a single engineer keeps the stop they drive to.
            on_way = team_heading[v.id] & staying
            if len(on_way) >= v.engineers_required:
                allowed = frozenset(on_way)
        visits.append(
            dataclasses.replace(
                v,
                previous=previous,
                allowed_engineers=allowed,
                preferred_engineers=v.preferred_engineers & staying,
            )
        )
    return dataclasses.replace(
        problem,
        locations=tuple(locations),
        engineers=tuple(engineers),
        visits=tuple(visits),
        travel_time_matrix=None if len(locations) != len(problem.locations)
        else problem.travel_time_matrix,
    )  # fmt: skip


def warm_start(rest: Problem, published: Plan) -> dict[str, list[str]]:
    """The published routes of what is left of the day, engineer id -> visit ids in order
    (the stop an engineer is driving to first)."""
    left = {v.id for v in rest.visits}
    out = {}
    for e in rest.engineers:
        route = published.route_of(e.id)
        ids = [s.visit_id for s in route.stops if s.visit_id in left] if route else []
        if e.next_visit is not None:
            ids = [e.next_visit] + [i for i in ids if i != e.next_visit]
        out[e.id] = ids
    return out


def extend_matrix(day: Problem, matrix: Matrix, rest: Problem) -> Matrix:
    """The travel times of ``rest`` (locations of ``day`` and engineers' positions): the
    day's ``matrix`` between the day's locations, the straight-line estimate to and from a
    position (seconds)."""
    index = day.location_index()
    estimate = HaversineEstimate().matrix(rest.locations)
    rows = [index.get(loc.id, -1) for loc in rest.locations]
    known = np.array([r >= 0 for r in rows])
    out = estimate.copy()
    picked = np.array([r for r in rows if r >= 0], dtype=np.int64)
    out[np.ix_(known, known)] = matrix[np.ix_(picked, picked)]
    return out


@dataclass(frozen=True, slots=True)
class ChurnWeights:
    """What a re-plan's changes cost (cost units; one is a second of driving): per visit given
    to another engineer, per second a start moves later than ``tolerance`` seconds after its
    previous start (1: a minute late costs as a minute of driving), per promise broken (a
    start after the window the customer was told), per visit planned before and left out
    now."""

    reassign: int = 1800
    move_per_second: int = 1
    tolerance: int = 900
    broken_promise: int = 3600
    drop_planned: int = 36_000

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) < 0:
                raise ProblemError("churn", name, getattr(self, name), "must be >= 0")

    def into(self, weights: Weights) -> Weights:
        """``weights`` pricing these changes."""
        return dataclasses.replace(
            weights,
            reassign=self.reassign,
            move_per_second=self.move_per_second,
            move_tolerance=self.tolerance,
            broken_promise=self.broken_promise,
            drop_planned=self.drop_planned,
        )


@dataclass(frozen=True, slots=True)
class Replanned:
    """The rest of the day as planned again, the problem it solved, and its churn against
    the plan it replaces."""

    problem: Problem
    matrix: Matrix
    plan: Plan
    churn: Churn


def replan(
    problem: Problem,
    matrix: Matrix,
    published: Plan,
    state: DayState,
    at: int,
    *,
    churn: ChurnWeights | None = None,
    options: SolveOptions | None = None,
    progress: ProgressCallback | None = None,
    rest_matrix: Matrix | None = None,
) -> Replanned:
    """Plan the rest of the day from ``at`` (``replan_problem``), starting from the published
    routes, with changes priced by ``churn`` (defaults: ``ChurnWeights()``). ``matrix`` is
    the day's; ``rest_matrix``, when given, that of the rest's locations (with the engineers'
    positions), else they are estimated in a straight line (``extend_matrix``)."""
    weights = (churn or ChurnWeights()).into((options or problem.options).weights)
    options = dataclasses.replace(options or problem.options, weights=weights, engine="compiled")
    rest = replan_problem(problem, published, state, at)
    rest = dataclasses.replace(rest, options=options)
    m = rest_matrix if rest_matrix is not None else extend_matrix(problem, matrix, rest)
    plan = solve(rest, m, options, progress=progress, start=warm_start(rest, published))
    left = {v.id for v in rest.visits}
    gone = {s.visit_id for r in published.routes for s in r.stops if s.visit_id not in left}
    promises = {v.id: v.previous.promise for v in rest.visits
                if v.previous is not None and v.previous.promise is not None}  # fmt: skip
    report = churn_between(
        published, plan, tolerance=weights.move_tolerance, promises=promises, gone=gone
    )
    return Replanned(rest, m, plan, report)
