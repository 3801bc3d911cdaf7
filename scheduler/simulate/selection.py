"""Which community events to hold: most residents reached within an engineer-hours budget,
home-service figures within stated limits, chosen by the routing model itself.

How residents become prizes
---------------------------
Unique coverage is not additive: two events near each other reach many of the same homes.
:meth:`Coverage.cells` splits the covered buildings by the exact set of candidate events
reaching them. A cell reached by one candidate is part of that event's own prize; a cell
reached by several is a *shared* prize earned once when any of them is held
(``scheduler.solver.event_selection`` models this exactly with one bookkeeping node per
event of the cell, at most one active). The prize of any set of held events is therefore
exactly its unique coverage; nothing is approximated. The cost is model size: one extra node
per (cell, event) pair, at most ``2^n`` cells for ``n`` candidates but in practice a few
per pair of neighbouring events.

Residents first
---------------
By default one resident is worth more than every other term of the objective together
(all home-visit drop penalties plus a bound on driving, overtime and the other costs), so
the model maximises residents reached, then serves home visits as usual; the stated limits
(home visits deferred, overtime) are hard constraints that stop residents from costing the
home customers more than the planner allows. When that scale would overflow the objective
it is lowered (``lexicographic`` is then False in the result). ``resident_value`` instead
sets an explicit exchange rate (cost units per resident; one unit is one second of driving).

Limits of the search: OR-Tools decides the events in its first solution and its local search
cannot swap one event for another; ``solve_choosing_events`` repeats the search with one held
event banned at a time, so the choice is a local optimum over such swaps, found in a few
searches rather than by trying every combination.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.domain import Plan, Problem, SolveOptions, Visit
from scheduler.errors import ProblemError
from scheduler.kpis import compute_kpis
from scheduler.objective import drop_penalty, priority_radices
from scheduler.simulate.coverage import Coverage
from scheduler.solver.event_selection import (
    EventChoice,
    SharedPrize,
    engineer_seconds,
    solve_choosing_events,
)
from scheduler.solver.model import ORTOOLS_COST_LIMIT
from scheduler.travel import Matrix

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EventPlanFigures",
    "HomeServiceLimits",
    "SelectionResult",
    "coverage_prizes",
    "select_events",
]


@dataclass(frozen=True, slots=True)
class HomeServiceLimits:
    """What the home-service customers of the day may lose to the events.

    ``max_deferred``: most home visits left out (None: no limit). ``max_overtime_min``:
    most minutes any engineer works past shift end (tightens each engineer's own maximum;
    None: keep them).
    """

    max_deferred: int | None = None
    max_overtime_min: float | None = None

    def __post_init__(self) -> None:
        if self.max_deferred is not None and self.max_deferred < 0:
            raise ProblemError("home-service limits", "max_deferred", self.max_deferred, ">= 0")
        if self.max_overtime_min is not None and not self.max_overtime_min >= 0:
            raise ProblemError(
                "home-service limits", "max_overtime_min", self.max_overtime_min, "must be >= 0"
            )


@dataclass(frozen=True, slots=True)
class EventPlanFigures:
    """One way of running the day (the model's choice or a planner's), in planner units:
    residents (weights), hours, minutes; ``starts`` as ``HH:MM``."""

    label: str
    events: tuple[str, ...]
    starts: Mapping[str, str]
    residents: float
    buildings: int
    engineer_hours: float
    home_served: int
    home_deferred: int
    deferred_by_priority: Mapping[int, int]
    overtime_min: float
    lateness_min: float
    travel_hours: float
    within_limits: bool
    plan: Plan

    def row(self) -> dict[str, object]:
        return {
            "choice": self.label,
            "events": ", ".join(self.events) or "-",
            "starts": ", ".join(f"{e} {t}" for e, t in self.starts.items()) or "-",
            "residents": round(self.residents, 1),
            "buildings": self.buildings,
            "engineer_hours": round(self.engineer_hours, 2),
            "home_served": self.home_served,
            "home_deferred": self.home_deferred,
            "deferred_p1_p2": sum(n for p, n in self.deferred_by_priority.items() if p <= 2),
            "overtime_min": round(self.overtime_min, 1),
            "lateness_min": round(self.lateness_min, 1),
            "travel_hours": round(self.travel_hours, 2),
            "within_limits": self.within_limits,
        }


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """The model's choice, the planner's manual choice when given, and how they compare."""

    chosen: EventPlanFigures
    manual: EventPlanFigures | None
    budget_hours: float | None
    limits: HomeServiceLimits
    resident_value: int
    lexicographic: bool

    def table(self) -> pd.DataFrame:
        """One row per choice (model first), the figures a planner compares."""
        import pandas as pd

        rows = [self.chosen.row()] + ([self.manual.row()] if self.manual else [])
        return pd.DataFrame(rows).set_index("choice")


def _clock(t: int) -> str:
    t %= 86_400
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def coverage_prizes(
    coverage: Coverage, candidates: Iterable[str], resident_value: int
) -> tuple[dict[str, int], tuple[SharedPrize, ...]]:
    """Own prizes and shared prizes (cost units) of ``candidates`` from coverage cells:
    ``resident_value`` per resident, rounded to whole units."""
    wanted = frozenset(candidates)
    merged: dict[frozenset[str], float] = {}
    for events, residents in coverage.cells():
        members = events & wanted
        if members:
            merged[members] = merged.get(members, 0.0) + residents
    prizes = {e: 0 for e in sorted(wanted)}
    shared = []
    for members, residents in sorted(merged.items(), key=lambda kv: sorted(kv[0])):
        value = round(residents * resident_value)
        if len(members) == 1:
            (only,) = members
            prizes[only] += value
        else:
            shared.append(SharedPrize(members, value))
    return prizes, tuple(shared)


def _other_costs_bound(problem: Problem, matrix: Matrix, options: SolveOptions) -> int:
    """An upper bound (cost units) on everything in the objective but residents: every
    home-visit drop penalty, and driving, overtime, lateness, fixed and preference costs of
    the longest imaginable day."""
    w = options.weights
    home = [v for v in problem.visits if not v.is_event]
    radices = priority_radices(problem.visits)
    drops = sum(drop_penalty(v, radices, w) for v in home)
    nodes = len(problem.engineers) + sum(v.engineers_required for v in problem.visits)
    longest = int(matrix.max()) if matrix.size else 0
    horizon = max(e.working_day.end for e in problem.engineers) - min(
        e.shift_start for e in problem.engineers
    )
    per_engineer = (
        w.overtime_per_second * horizon + w.fixed_per_engineer + w.balance_per_second * horizon
    )
    lateness = sum(v.lateness_cost for v in home if v.soft_windows) * horizon
    return (
        drops
        + w.travel_per_second * longest * nodes
        + per_engineer * len(problem.engineers)
        + lateness
        + w.non_preferred_engineer * nodes
    )


def _with_overtime_cap(problem: Problem, limits: HomeServiceLimits) -> Problem:
    if limits.max_overtime_min is None:
        return problem
    cap = int(limits.max_overtime_min * 60)
    engineers = tuple(
        dataclasses.replace(e, overtime_max=min(e.overtime_max, cap)) for e in problem.engineers
    )
    return dataclasses.replace(problem, engineers=engineers)


def _figures(
    label: str,
    problem: Problem,
    matrix: Matrix,
    plan: Plan,
    coverage: Coverage,
    starts: Mapping[str, int],
    limits: HomeServiceLimits,
) -> EventPlanFigures:
    events = tuple(sorted(starts))
    visits: dict[str, Visit] = {v.id: v for v in problem.visits}
    kpis = compute_kpis(problem, plan, matrix)
    deferred = [u.visit_id for u in plan.unassigned if not visits[u.visit_id].is_event]
    by_priority: dict[int, int] = {}
    for vid in deferred:
        by_priority[visits[vid].priority] = by_priority.get(visits[vid].priority, 0) + 1
    overtime_max = max((e.overtime_s for e in kpis.engineers), default=0)
    within = (limits.max_deferred is None or len(deferred) <= limits.max_deferred) and (
        limits.max_overtime_min is None or overtime_max <= limits.max_overtime_min * 60
    )
    covered = [e for e in events if any(c.event_id == e for c in coverage.events)]
    return EventPlanFigures(
        label=label,
        events=events,
        starts={e: _clock(starts[e]) for e in events},
        residents=coverage.unique_residents(covered),
        buildings=coverage.unique_buildings(covered),
        engineer_hours=sum(engineer_seconds(visits[e]) for e in events) / 3600,
        home_served=sum(1 for v in problem.visits if not v.is_event) - len(deferred),
        home_deferred=len(deferred),
        deferred_by_priority=dict(sorted(by_priority.items())),
        overtime_min=kpis.overtime_s / 60,
        lateness_min=kpis.lateness_s / 60,
        travel_hours=kpis.travel_time_s / 3600,
        within_limits=within,
        plan=plan,
    )


def select_events(
    problem: Problem,
    matrix: Matrix,
    coverage: Coverage,
    *,
    budget_hours: float | None,
    limits: HomeServiceLimits | None = None,
    candidates: Iterable[str] | None = None,
    manual: Iterable[str] | None = None,
    resident_value: int | None = None,
    options: SolveOptions | None = None,
    max_solves: int = 8,
) -> SelectionResult:
    """Choose the events to hold and their start times in the routing model.

    Parameters
    ----------
    problem, matrix
        The day: engineers, home visits and the candidate community events (their
        windows bound the start), with driving seconds between its locations.
    coverage
        Residents each event reaches (:func:`scheduler.simulate.coverage.coverage` over
        the events' locations; its event ids are the events' *location* ids or visit ids).
    budget_hours
        Most engineer-hours at events (engineers required x duration, summed); None: no
        limit beyond the engineers' days.
    limits
        Home-service limits (hard).
    candidates
        Events the model may hold (default: every event of the problem).
    manual
        A planner's own choice, planned with the same overtime cap but no deferral limit
        or budget (so it always gets a plan), and reported beside the model's
        (``within_limits`` says whether it keeps the budget and limits).
    resident_value
        Cost units per resident; None: residents first (see the module text).
    """
    options = options or problem.options
    limits = limits or HomeServiceLimits()
    problem = _with_overtime_cap(problem, limits)
    events = {v.id: v for v in problem.visits if v.is_event}
    chosen_ids = frozenset(events if candidates is None else candidates)
    for vid in sorted(chosen_ids):
        if vid not in events:
            raise ProblemError("event selection", "candidates", vid, "is not an event")
    coverage = _by_visit_id(coverage, events)
    missing = sorted(e for e in chosen_ids if all(c.event_id != e for c in coverage.events))
    if missing:
        raise ProblemError(
            "event selection",
            "coverage",
            missing[0],
            "has no coverage: compute coverage for every candidate event's location",
        )
    if budget_hours is not None and not budget_hours >= 0:
        raise ProblemError("event selection", "budget_hours", budget_hours, "must be >= 0")
    budget_s = None if budget_hours is None else round(budget_hours * 3600)
    lexicographic = resident_value is None
    if resident_value is None:
        total = max(1.0, coverage.unique_residents(chosen_ids))
        resident_value = _other_costs_bound(problem, matrix, options) + 1
        # OR-Tools chooses the events: prizes must stay inside its 64-bit objective.
        if resident_value * total > ORTOOLS_COST_LIMIT // 2:
            resident_value, lexicographic = max(1, int(ORTOOLS_COST_LIMIT // 2 / total)), False
    elif resident_value < 0:
        raise ProblemError("event selection", "resident_value", resident_value, "must be >= 0")
    prizes, shared = coverage_prizes(coverage, chosen_ids, resident_value)
    choice = EventChoice(
        candidates=chosen_ids,
        prizes=prizes,
        shared=shared,
        budget_s=budget_s,
        max_home_deferred=limits.max_deferred,
    )
    outcome = solve_choosing_events(problem, matrix, choice, options, max_solves=max_solves)
    chosen = _figures("model", problem, matrix, outcome.plan, coverage, outcome.starts, limits)
    manual_figures = None
    if manual is not None:
        manual_ids = frozenset(manual)
        for vid in sorted(manual_ids):
            if vid not in events:
                raise ProblemError("event selection", "manual", vid, "is not an event")
        by_hand = EventChoice(candidates=frozenset(), required=manual_ids)
        try:
            done = solve_choosing_events(problem, matrix, by_hand, options, max_solves=1)
        except ProblemError:
            # No first solution with every manual event mandatory: let the model hold as
            # many of them as it can (the figures then show which were held).
            own, common = coverage_prizes(coverage, manual_ids, resident_value)
            by_hand = EventChoice(candidates=manual_ids, prizes=own, shared=common)
            done = solve_choosing_events(problem, matrix, by_hand, options, max_solves=1)
        manual_figures = _figures(
            "manual", problem, matrix, done.plan, coverage, done.starts, limits
        )
        over_budget = (
            budget_s is not None and sum(engineer_seconds(events[e]) for e in manual_ids) > budget_s
        )
        if over_budget or set(done.held) != set(manual_ids):
            manual_figures = dataclasses.replace(manual_figures, within_limits=False)
    return SelectionResult(
        chosen=chosen,
        manual=manual_figures,
        budget_hours=budget_hours,
        limits=limits,
        resident_value=resident_value,
        lexicographic=lexicographic,
    )


def _by_visit_id(coverage: Coverage, events: Mapping[str, Visit]) -> Coverage:
    """Coverage keyed by event visit ids: entries named after an event's location id are
    renamed to the event's id (an event's coverage depends only on where it is)."""
    by_location: dict[str, list[str]] = {}
    for v in events.values():
        by_location.setdefault(v.location, []).append(v.id)
    out = []
    for c in coverage.events:
        if c.event_id in events:
            out.append(c)
        else:
            out.extend(
                dataclasses.replace(c, event_id=vid) for vid in by_location.get(c.event_id, [])
            )
    ids = [c.event_id for c in out]
    if len(set(ids)) != len(ids):
        raise ProblemError("event selection", "coverage", ids, "names an event twice")
    return dataclasses.replace(coverage, events=tuple(out))
