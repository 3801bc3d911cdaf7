"""The plan file: pydantic models of the JSON ``fieldroute solve`` writes, ``plan_to_json``
(times as ISO 8601, KPIs recomputed from the matrix) and ``plan_from_json`` (read back into a
:class:`~scheduler.domain.Plan` of its problem, derived fields ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field

from scheduler.churn import Churn
from scheduler.domain import (
    BreakTaken,
    Plan,
    Problem,
    Reason,
    Route,
    SolverStats,
    Stop,
    Unassigned,
)
from scheduler.errors import InputFormatError
from scheduler.formats.boundary import (
    DateText,
    Id,
    IsoTime,
    StrictModel,
    TimezoneName,
    field_label,
    validate_json,
)
from scheduler.formats.clock import clock_for
from scheduler.kpis import compute_kpis
from scheduler.travel import Matrix

__all__ = ["PlanFile", "plan_from_json", "plan_to_json"]


# --------------------------------------------------------------------------------------------
# Boundary models
# --------------------------------------------------------------------------------------------


class CrewMateOut(StrictModel):
    """Another engineer of the same visit: who, which crew member, and when they start."""

    engineer_id: Id
    crew_member: int = Field(ge=0)
    arrival: IsoTime
    start: IsoTime


class StopOut(StrictModel):
    """An engineer at a visit: arrival on site, service start and end."""

    visit_id: Id
    crew_member: int = Field(
        default=0, ge=0, description="Which member of the visit's crew (0-based, crew order)."
    )
    location: str = ""
    arrival: IsoTime
    start: IsoTime
    end: IsoTime
    crew_mates: list[CrewMateOut] = Field(
        default_factory=list,
        description="The other engineers of a team visit and when they arrive and start "
        "(derived; ignored when read).",
    )
    travel_from_previous_s: int = Field(default=0, description="Seconds of driving to here.")
    wait_s: int = Field(default=0, description="Seconds on site before service starts.")
    details: dict[str, Any] = Field(default_factory=dict)


class BreakOut(StrictModel):
    start: IsoTime
    end: IsoTime


class RouteOut(StrictModel):
    """One engineer's day."""

    model_config = ConfigDict(populate_by_name=True)

    engineer_id: Id
    engineer_name: str = ""
    departure: IsoTime
    return_: IsoTime = Field(alias="return")
    stops: list[StopOut] = Field(default_factory=list)
    breaks: list[BreakOut] = Field(default_factory=list)


class UnassignedOut(StrictModel):
    """A visit left out, with the reason a dispatcher can act on."""

    visit_id: Id
    reason: Reason = Field(strict=False)
    message: str
    closest_engineer: str | None = None
    shortfall_s: int | None = Field(default=None, description="Seconds missing.")


class SolverOut(StrictModel):
    status: str
    wall_time_s: float = Field(description="Seconds.")
    objective: int | None = Field(description="Cost units, drop penalties included.")
    first_solution: str
    metaheuristic: str
    events_held: list[str] = Field(default_factory=list)
    solves: int = Field(default=0, description="OR-Tools searches run.")
    engine: Literal["compiled", "ortools"] = Field(
        default="compiled", description="The search that made the plan."
    )
    iterations: int = Field(default=0, description="Iterations of the compiled search.")


class EngineerKpisOut(StrictModel):
    engineer_id: str
    stops: int
    travel_s: int
    service_s: int
    wait_s: int
    break_s: int
    working_s: int = Field(description="Return minus departure, seconds.")
    overtime_s: int
    utilisation: float = Field(description="service_s / shift length.")


class ObjectiveOut(StrictModel):
    """Cost units; drop penalties excluded."""

    travel: int
    overtime: int
    lateness: int
    fixed: int
    non_preferred: int
    balance: int
    churn: int = Field(default=0, description="Changes a re-plan made to the plan it replaced.")
    max_lateness: int = Field(default=0, description="The largest lateness of one stop, priced.")
    total: int


class KpisOut(StrictModel):
    visits_total: int
    visits_served: int
    visits_unassigned: int
    served_by_priority: dict[str, int]
    unassigned_by_priority: dict[str, int]
    unassigned_by_reason: dict[str, int]
    events_total: int
    events_held: int
    events_not_held: int
    engineers_used: int
    engineers_idle: int
    travel_time_s: int
    travel_time_mean_s: float = Field(description="Per used engineer, seconds.")
    service_time_s: int
    wait_time_s: int
    overtime_s: int
    lateness_s: int
    max_lateness_s: int = Field(default=0, description="The largest lateness of one stop.")
    crews_total: int = Field(default=0, description="Visits of a crew of 2 or more, not events.")
    crews_served: int = 0
    engineers: list[EngineerKpisOut]
    objective: ObjectiveOut


class ChurnOut(StrictModel):
    """A re-plan against the plan it replaces (see ``scheduler.churn``)."""

    compared: int = Field(description="Visits both plans serve.")
    reassigned: int = Field(description="Of those, served by other engineers.")
    moved: int = Field(description="Of those, starting more than the tolerance apart.")
    minutes_moved: float = Field(description="Sum over them of |new start - old start|.")
    promises_broken: int = Field(description="Starts outside the window the customer was told.")
    promises_broken_later: int
    promises_broken_earlier: int
    dropped: int = Field(description="Served before, left out now (not cancelled or done).")
    sequence_change: float = Field(description="Share of them whose predecessor changed.")


class PlanFile(StrictModel):
    """The fieldroute plan file: routes, unassigned visits, KPIs and how the search went."""

    model_config = ConfigDict(
        title="fieldroute plan file", json_schema_serialization_defaults_required=True
    )

    date: DateText
    timezone: TimezoneName | None = None
    routes: list[RouteOut]
    unassigned: list[UnassignedOut] = Field(default_factory=list)
    kpis: KpisOut | None = Field(default=None, description="Derived; ignored when read.")
    solver: SolverOut | None = None
    travel_times: str | None = Field(
        default=None,
        description="Where the travel times came from: 'explicit' (the problem's matrix), "
        "'haversine-estimate' (straight-line estimate) or a road network.",
    )
    churn: ChurnOut | None = Field(
        default=None, description="A re-plan's changes to the plan it replaces."
    )


# --------------------------------------------------------------------------------------------
# Plan <-> plan file
# --------------------------------------------------------------------------------------------


def plan_to_json(
    problem: Problem,
    plan: Plan,
    matrix: Matrix,
    *,
    travel_times: str | None = None,
    churn: Churn | None = None,
) -> dict[str, Any]:
    """The plan as a plan-file JSON object: times as ISO 8601, KPIs computed from ``matrix``.

    ``matrix`` is the travel-time matrix the plan was made with (seconds, rows and columns
    in ``problem.locations`` order), ``travel_times`` names where it came from, ``churn`` is
    a re-plan's against the plan it replaces. Every route in ``plan`` is written, empty ones
    too.
    """
    clock = clock_for(problem)
    index = problem.location_index()
    engineers = {e.id: e for e in problem.engineers}
    visits = {v.id: v for v in problem.visits}
    team: dict[str, list[tuple[str, Stop]]] = {}
    for r in plan.routes:
        for s in r.stops:
            if visits[s.visit_id].is_team:
                team.setdefault(s.visit_id, []).append((r.engineer_id, s))
    routes = []
    for r in plan.routes:
        engineer = engineers[r.engineer_id]
        here = engineer.start_location
        stops = []
        for s in r.stops:
            visit = visits[s.visit_id]
            mates = [
                CrewMateOut(
                    engineer_id=eid,
                    crew_member=m.crew_member,
                    arrival=clock.iso(m.arrival),
                    start=clock.iso(m.start),
                )
                for eid, m in team.get(s.visit_id, ())
                if eid != r.engineer_id
            ]
            stops.append(
                StopOut(
                    visit_id=s.visit_id,
                    crew_member=s.crew_member,
                    crew_mates=mates,
                    location=visit.location,
                    arrival=clock.iso(s.arrival),
                    start=clock.iso(s.start),
                    end=clock.iso(s.end),
                    travel_from_previous_s=int(matrix[index[here], index[visit.location]]),
                    wait_s=s.start - s.arrival,
                    details=dict(visit.details),
                )
            )
            here = visit.location
        route = {
            "engineer_id": r.engineer_id,
            "engineer_name": engineer.name,
            "departure": clock.iso(r.departure),
            "return": clock.iso(r.return_),
            "stops": stops,
            "breaks": [BreakOut(start=clock.iso(b.start), end=clock.iso(b.end)) for b in r.breaks],
        }
        routes.append(RouteOut.model_validate(route))
    stats = plan.stats
    out = PlanFile(
        date=problem.date.isoformat(),
        timezone=problem.timezone,
        routes=routes,
        unassigned=[
            UnassignedOut(
                visit_id=u.visit_id,
                reason=u.reason,
                message=u.message,
                closest_engineer=u.closest_engineer,
                shortfall_s=u.shortfall,
            )
            for u in plan.unassigned
        ],
        kpis=KpisOut.model_validate(compute_kpis(problem, plan, matrix).as_dict()),
        solver=(
            SolverOut(
                status=stats.status,
                wall_time_s=stats.wall_time,
                objective=stats.objective,
                first_solution=stats.first_solution,
                metaheuristic=stats.metaheuristic,
                events_held=list(stats.events_held),
                solves=stats.solves,
                engine=stats.engine,
                iterations=stats.iterations,
            )
            if stats is not None
            else None
        ),
        travel_times=travel_times,
        churn=ChurnOut.model_validate(churn.as_dict()) if churn is not None else None,
    )
    return out.model_dump(mode="json", by_alias=True)


def plan_from_json(problem: Problem, text: str) -> Plan:
    """Read a plan file back into a :class:`Plan` of ``problem`` (derived fields ignored).

    Raises
    ------
    InputFormatError
        For malformed JSON, wrong shapes, times that are not times, or engineer / visit ids
        that are not in ``problem``.
    """
    f, raw = validate_json(PlanFile, text)
    clock = clock_for(problem)
    errors: list[str] = []
    engineer_ids = {e.id for e in problem.engineers}
    visit_ids = {v.id for v in problem.visits}

    def seconds(loc: Sequence[int | str], text: str) -> int:
        try:
            return clock.seconds(text, field_label(raw, loc))
        except ValueError as e:
            errors.append(f"{field_label(raw, loc)} = {text!r}: {e}")
            return 0

    def known(loc: Sequence[int | str], value: str, ids: set[str], what: str) -> None:
        if value not in ids:
            errors.append(f"{field_label(raw, loc)} = {value!r}: is not a known {what} id")

    if f.date != problem.date.isoformat():
        errors.append(f"date = {f.date!r}: the problem is for {problem.date.isoformat()!r}")
    routes = []
    for i, r in enumerate(f.routes):
        at: tuple[int | str, ...] = ("routes", i)
        known((*at, "engineer_id"), r.engineer_id, engineer_ids, "engineer")
        stops = []
        for j, s in enumerate(r.stops):
            sat = (*at, "stops", j)
            known((*sat, "visit_id"), s.visit_id, visit_ids, "visit")
            stops.append(
                Stop(
                    s.visit_id,
                    seconds((*sat, "arrival"), s.arrival),
                    seconds((*sat, "start"), s.start),
                    seconds((*sat, "end"), s.end),
                    s.crew_member,
                )
            )
        breaks = tuple(
            BreakTaken(
                seconds((*at, "breaks", j, "start"), b.start),
                seconds((*at, "breaks", j, "end"), b.end),
            )
            for j, b in enumerate(r.breaks)
        )
        routes.append(
            Route(
                engineer_id=r.engineer_id,
                departure=seconds((*at, "departure"), r.departure),
                return_=seconds((*at, "return"), r.return_),
                stops=tuple(stops),
                breaks=breaks,
            )
        )
    for i, u in enumerate(f.unassigned):
        known(("unassigned", i, "visit_id"), u.visit_id, visit_ids, "visit")
    if errors:
        raise InputFormatError("\n".join(errors))
    solver = f.solver
    return Plan(
        routes=tuple(routes),
        unassigned=tuple(
            Unassigned(u.visit_id, u.reason, u.message, u.closest_engineer, u.shortfall_s)
            for u in f.unassigned
        ),
        stats=(
            SolverStats(
                status=solver.status,
                wall_time=solver.wall_time_s,
                objective=solver.objective,
                first_solution=solver.first_solution,
                metaheuristic=solver.metaheuristic,
                events_held=tuple(solver.events_held),
                solves=solver.solves,
                engine=solver.engine,
                iterations=solver.iterations,
            )
            if solver is not None
            else None
        ),
    )
