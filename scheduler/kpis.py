"""Key performance indicators of a plan, computed from its times and the travel-time matrix.

Nothing here asks the solver: every number is recomputed from the plan's stops (seconds since
local midnight), the problem and the matrix (driving seconds, ``problem.locations`` order), so
the figures can be used to check a solver's own objective.

Conventions
-----------
* An engineer is *used* when their route has at least one stop; idle engineers count zero
  travel (they stay put) and zero working time.
* A route's travel is start location -> each stop's location -> end location.
* A visit is *served* when any route stops there; a community event then counts as held.
* Wait is time on site before service starts (``start - arrival``).
* The objective breakdown is ``scheduler.objective``'s, in cost units with
  ``problem.options.weights``, leaving out the penalties for unassigned visits; lateness
  counts each stop (every engineer of a team).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from scheduler.domain import Engineer, Plan, Problem, Reason, Route, Visit
from scheduler.errors import ProblemError
from scheduler.objective import price, route_terms
from scheduler.travel import Matrix

__all__ = ["EngineerKpis", "Kpis", "ObjectiveBreakdown", "compute_kpis"]

PRIORITIES = ("1", "2", "3", "4", "5")


@dataclass(frozen=True, slots=True)
class EngineerKpis:
    """One engineer's day. All durations in seconds; ``utilisation`` = service / shift length."""

    engineer_id: str
    stops: int
    travel_s: int
    service_s: int
    wait_s: int
    break_s: int
    working_s: int
    overtime_s: int
    utilisation: float

    @property
    def busy_s(self) -> int:
        """Travel plus service seconds (what the balance weight counts)."""
        return self.travel_s + self.service_s


@dataclass(frozen=True, slots=True)
class ObjectiveBreakdown:
    """Cost units per objective term, and their ``total`` (drop penalties excluded)."""

    travel: int
    overtime: int
    lateness: int
    fixed: int
    non_preferred: int
    balance: int
    total: int
    churn: int = 0
    max_lateness: int = 0

    def __getitem__(self, term: str) -> int:
        """``breakdown["travel"]``: a term by name, as in the plan file's ``objective``."""
        if term not in self.__dataclass_fields__:
            raise KeyError(term)
        value: int = getattr(self, term)
        return value


@dataclass(frozen=True, slots=True)
class Kpis:
    """Plan-wide figures. Durations in seconds; ``*_by_*`` map a key to a count of visits."""

    visits_total: int
    visits_served: int
    visits_unassigned: int
    served_by_priority: Mapping[str, int]
    unassigned_by_priority: Mapping[str, int]
    unassigned_by_reason: Mapping[str, int]
    events_total: int
    events_held: int
    events_not_held: int
    engineers_used: int
    engineers_idle: int
    travel_time_s: int
    travel_time_mean_s: float
    service_time_s: int
    wait_time_s: int
    overtime_s: int
    lateness_s: int
    engineers: tuple[EngineerKpis, ...]
    objective: ObjectiveBreakdown
    max_lateness_s: int = 0  # the largest lateness of one stop
    crews_total: int = 0  # visits of a crew of 2 or more that is not an event
    crews_served: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (plain dicts and lists; the shape of the plan file's ``kpis``)."""
        return {
            "visits_total": self.visits_total,
            "visits_served": self.visits_served,
            "visits_unassigned": self.visits_unassigned,
            "served_by_priority": dict(self.served_by_priority),
            "unassigned_by_priority": dict(self.unassigned_by_priority),
            "unassigned_by_reason": dict(self.unassigned_by_reason),
            "events_total": self.events_total,
            "events_held": self.events_held,
            "events_not_held": self.events_not_held,
            "engineers_used": self.engineers_used,
            "engineers_idle": self.engineers_idle,
            "travel_time_s": self.travel_time_s,
            "travel_time_mean_s": self.travel_time_mean_s,
            "service_time_s": self.service_time_s,
            "wait_time_s": self.wait_time_s,
            "overtime_s": self.overtime_s,
            "lateness_s": self.lateness_s,
            "max_lateness_s": self.max_lateness_s,
            "crews_total": self.crews_total,
            "crews_served": self.crews_served,
            "engineers": [
                {
                    "engineer_id": e.engineer_id,
                    "stops": e.stops,
                    "travel_s": e.travel_s,
                    "service_s": e.service_s,
                    "wait_s": e.wait_s,
                    "break_s": e.break_s,
                    "working_s": e.working_s,
                    "overtime_s": e.overtime_s,
                    "utilisation": e.utilisation,
                }
                for e in self.engineers
            ],
            "objective": {
                "travel": self.objective.travel,
                "overtime": self.objective.overtime,
                "lateness": self.objective.lateness,
                "fixed": self.objective.fixed,
                "non_preferred": self.objective.non_preferred,
                "balance": self.objective.balance,
                "churn": self.objective.churn,
                "max_lateness": self.objective.max_lateness,
                "total": self.objective.total,
            },
        }


def _frozen(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(counts))


def _route_travel_s(
    engineer: Engineer, route: Route, visits: Mapping[str, Visit], problem: Problem, matrix: Matrix
) -> int:
    """Driving seconds of ``route``: start location, each stop, end location (0 if no stops)."""
    if not route.stops:
        return 0
    index = problem.location_index()
    path = [engineer.start_location]
    path += [visits[s.visit_id].location for s in route.stops]
    path.append(engineer.end_location)
    return sum(int(matrix[index[a], index[b]]) for a, b in itertools.pairwise(path))


def _engineer_kpis(
    engineer: Engineer,
    route: Route | None,
    visits: Mapping[str, Visit],
    problem: Problem,
    matrix: Matrix,
) -> EngineerKpis:
    if route is None or not route.stops:
        return EngineerKpis(engineer.id, 0, 0, 0, 0, 0, 0, 0, 0.0)
    service = sum(s.end - s.start for s in route.stops)
    return EngineerKpis(
        engineer_id=engineer.id,
        stops=len(route.stops),
        travel_s=_route_travel_s(engineer, route, visits, problem, matrix),
        service_s=service,
        wait_s=sum(s.start - s.arrival for s in route.stops),
        break_s=sum(b.end - b.start for b in route.breaks),
        working_s=route.return_ - route.departure,
        overtime_s=max(0, route.return_ - engineer.shift_end),
        utilisation=service / (engineer.shift_end - engineer.shift_start),
    )


def compute_kpis(problem: Problem, plan: Plan, matrix: Matrix) -> Kpis:
    """KPIs of ``plan`` for ``problem``; ``matrix`` in driving seconds, ``locations`` order.

    Raises
    ------
    ProblemError
        When the plan names an engineer or visit the problem does not have.
    """
    visits = {v.id: v for v in problem.visits}
    engineers = {e.id: e for e in problem.engineers}
    for r in plan.routes:
        if r.engineer_id not in engineers:
            raise ProblemError("plan route", "engineer_id", r.engineer_id, "is not in the problem")
        for s in r.stops:
            if s.visit_id not in visits:
                raise ProblemError("plan stop", "visit_id", s.visit_id, "is not in the problem")
    for u in plan.unassigned:
        if u.visit_id not in visits:
            raise ProblemError("plan unassigned", "visit_id", u.visit_id, "is not in the problem")

    per_engineer = tuple(
        _engineer_kpis(e, plan.route_of(e.id), visits, problem, matrix) for e in problem.engineers
    )
    used = [k for k in per_engineer if k.stops > 0]

    starts = {s.visit_id for r in plan.routes for s in r.stops}
    served_by_priority = Counter(str(visits[vid].priority) for vid in starts)
    unassigned_by_priority = Counter(str(visits[u.visit_id].priority) for u in plan.unassigned)
    unassigned_by_reason = Counter(u.reason.value for u in plan.unassigned)
    events = [v for v in problem.visits if v.is_event]
    crews = [v for v in problem.visits if v.engineers_required > 1 and not v.is_event]
    held = sum(1 for v in events if v.id in starts)

    travel = sum(k.travel_s for k in per_engineer)
    overtime = sum(k.overtime_s for k in per_engineer)
    index = problem.location_index()
    late_s = sum(
        route_terms(engineers[r.engineer_id], r, visits, matrix, index).late_s for r in plan.routes
    )
    priced = price(problem, plan.routes, (), matrix, problem.options.weights)
    terms = {
        "travel": priced.travel,
        "overtime": priced.overtime,
        "lateness": priced.lateness,
        "fixed": priced.fixed,
        "non_preferred": priced.non_preferred,
        "balance": priced.balance,
        "churn": priced.churn,
        "max_lateness": priced.max_lateness,
    }
    return Kpis(
        visits_total=len(problem.visits),
        visits_served=len(starts),
        visits_unassigned=len(plan.unassigned),
        served_by_priority=_frozen({p: served_by_priority[p] for p in PRIORITIES}),
        unassigned_by_priority=_frozen({p: unassigned_by_priority[p] for p in PRIORITIES}),
        unassigned_by_reason=_frozen({r.value: unassigned_by_reason[r.value] for r in Reason}),
        events_total=len(events),
        events_held=held,
        events_not_held=len(events) - held,
        engineers_used=len(used),
        engineers_idle=len(problem.engineers) - len(used),
        travel_time_s=travel,
        travel_time_mean_s=travel / len(used) if used else 0.0,
        service_time_s=sum(k.service_s for k in per_engineer),
        wait_time_s=sum(k.wait_s for k in per_engineer),
        overtime_s=overtime,
        lateness_s=late_s,
        engineers=per_engineer,
        objective=ObjectiveBreakdown(**terms, total=sum(terms.values())),
        max_lateness_s=max(
            (
                route_terms(engineers[r.engineer_id], r, visits, matrix, index).max_late_s
                for r in plan.routes
            ),
            default=0,
        ),
        crews_total=len(crews),
        crews_served=sum(1 for v in crews if v.id in starts),
    )
