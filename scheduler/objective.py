"""The objective, priced once: what a plan costs, term by term.

A plan's total is, in cost units (one unit is one second of driving at the default weights):

* ``travel``: ``travel_per_second`` x driving seconds of every engineer sent out (start ->
  each stop -> end);
* ``overtime``: ``overtime_per_second`` x seconds each engineer is back after shift end;
* ``lateness``: per stop of a visit with soft windows, its ``lateness_cost`` x seconds the
  stop starts after the visit's last window ends (each engineer of a team is a stop);
* ``fixed``: ``fixed_per_engineer`` x engineers sent out (with at least one stop);
* ``non_preferred``: ``non_preferred_engineer`` x stops of visits served by an engineer not
  in their non-empty preferred list;
* ``balance``: ``balance_per_second`` x the longest working time (driving plus service
  seconds) of any engineer sent out;
* ``churn`` (re-planning: visits that carry ``previous``): per stop served by an engineer
  not among its previous ones ``reassign``; per second it starts later than
  ``move_tolerance`` after its previous start ``move_per_second``; per stop starting after
  the window the customer was told ``broken_promise``; per such visit left out
  ``drop_planned``;
* ``max_lateness``: ``max_lateness_per_second`` x the largest lateness (seconds) of any stop
  of a visit with soft windows in the plan, priced once (customers remember the worst delay);
* ``dropped``: for each visit left out, ``drop_base`` x its *penalty units*.

Penalty units make priorities strict at any size. With ``N_q`` the visit-units of priority
``q`` in the day (a visit counts as the engineers it needs), a visit-unit of priority ``p``
is worth ``R_p = (1 + N_{p+1}) x ... x (1 + N_5)`` units (``R_5 = 1``): one more urgent
visit outweighs every less urgent visit of the day together, by ``drop_base``. The units of
the visits left out form a mixed-radix number whose digits are the counts left out per
priority, so comparing totals compares those counts most urgent first and only then the
costs. Totals are exact Python integers; the compiled search carries ``(units, cost)`` pairs
and never multiplies out a total that would overflow 64 bits.

The OR-Tools model, the left-out insertion pass, the compiled search and the KPIs all price
with these definitions; ``tests/scheduler/test_objective.py`` checks them term by term.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scheduler.domain import Engineer, Problem, Route, Visit, Weights
from scheduler.travel import Matrix

PRIORITIES = (1, 2, 3, 4, 5)
TERMS = (
    "travel",
    "overtime",
    "lateness",
    "fixed",
    "non_preferred",
    "balance",
    "churn",
    "max_lateness",
    "dropped",
)


def priority_radices(visits: Iterable[Visit]) -> dict[int, int]:
    """Penalty units of one visit-unit of each priority 1..5 (``R_p`` above)."""
    units = dict.fromkeys(PRIORITIES, 0)
    for v in visits:
        units[v.priority] += v.engineers_required
    radices: dict[int, int] = {}
    product = 1
    for p in reversed(PRIORITIES):
        radices[p] = product
        product *= 1 + units[p]
    return radices


def penalty_units(visit: Visit, radices: Mapping[int, int]) -> int:
    """Penalty units of leaving ``visit`` out: its priority's radix x engineers it needs."""
    return radices[visit.priority] * visit.engineers_required


def drop_penalty(visit: Visit, radices: Mapping[int, int], weights: Weights) -> int:
    """Cost units of leaving ``visit`` out (an exact integer; may exceed 64 bits)."""
    return weights.drop_base * penalty_units(visit, radices)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A plan's objective per term (cost units, exact integers)."""

    travel: int
    overtime: int
    lateness: int
    fixed: int
    non_preferred: int
    balance: int
    dropped: int
    churn: int = 0
    max_lateness: int = 0

    @property
    def routing(self) -> int:
        """Every term but ``dropped``."""
        return (
            self.travel
            + self.overtime
            + self.lateness
            + self.fixed
            + self.non_preferred
            + self.balance
            + self.churn
            + self.max_lateness
        )

    @property
    def total(self) -> int:
        return self.routing + self.dropped

    def __getitem__(self, term: str) -> int:
        if term not in TERMS:
            raise KeyError(term)
        value: int = getattr(self, term)
        return value


@dataclass(frozen=True, slots=True)
class RouteTerms:
    """The priced quantities of one engineer's route (seconds, counts)."""

    drive_s: int
    service_s: int
    overtime_s: int
    lateness_cost: int
    late_s: int
    non_preferred_stops: int
    churn_cost: int = 0
    max_late_s: int = 0  # the largest lateness of one stop

    @property
    def busy_s(self) -> int:
        """Driving plus service seconds: what the balance weight prices."""
        return self.drive_s + self.service_s


def stop_churn(visit: Visit, engineer_id: str, start: int, weights: Weights) -> int:
    """What serving ``visit`` by ``engineer_id`` at ``start`` costs as a change from its
    previous place (0 without one)."""
    before = visit.previous
    if before is None:
        return 0
    cost = 0
    if engineer_id not in before.engineers:
        cost += weights.reassign
    cost += weights.move_per_second * max(0, start - before.start - weights.move_tolerance)
    if before.promise is not None and start > before.promise.end:
        cost += weights.broken_promise
    return cost


def route_terms(
    engineer: Engineer,
    route: Route,
    visits: Mapping[str, Visit],
    matrix: Matrix,
    location_index: Mapping[str, int],
    weights: Weights | None = None,
) -> RouteTerms:
    """The priced quantities of ``route`` (all zero without stops); its churn cost with
    ``weights``."""
    if not route.stops:
        return RouteTerms(0, 0, 0, 0, 0, 0)
    path = [engineer.start_location]
    path += [visits[s.visit_id].location for s in route.stops]
    path.append(engineer.end_location)
    drive = sum(
        int(matrix[location_index[a], location_index[b]]) for a, b in itertools.pairwise(path)
    )
    late_s = 0
    late_cost = 0
    non_preferred = 0
    worst = 0
    for s in route.stops:
        v = visits[s.visit_id]
        if v.soft_windows:
            seconds = v.lateness(s.start)
            worst = max(worst, seconds)
            late_s += seconds
            late_cost += v.lateness_cost * seconds
        if v.preferred_engineers and engineer.id not in v.preferred_engineers:
            non_preferred += 1
    churn = (
        sum(stop_churn(visits[s.visit_id], engineer.id, s.start, weights) for s in route.stops)
        if weights is not None
        else 0
    )
    return RouteTerms(
        drive_s=drive,
        service_s=sum(s.end - s.start for s in route.stops),
        overtime_s=max(0, route.return_ - engineer.shift_end),
        lateness_cost=late_cost,
        late_s=late_s,
        non_preferred_stops=non_preferred,
        churn_cost=churn,
        max_late_s=worst,
    )


def route_cost(
    engineer: Engineer,
    route: Route,
    visits: Mapping[str, Visit],
    matrix: Matrix,
    location_index: Mapping[str, int],
    weights: Weights,
) -> int:
    """What one route adds to the objective but for the balance and maximum lateness terms
    (cost units): driving,
    overtime, lateness, non-preferred stops, churn and the fixed cost (0 without stops)."""
    if not route.stops:
        return 0
    t = route_terms(engineer, route, visits, matrix, location_index, weights)
    return (
        weights.travel_per_second * t.drive_s
        + weights.overtime_per_second * t.overtime_s
        + t.lateness_cost
        + weights.non_preferred_engineer * t.non_preferred_stops
        + weights.fixed_per_engineer
        + t.churn_cost
    )


def price(
    problem: Problem,
    routes: Sequence[Route],
    dropped: Iterable[str],
    matrix: Matrix,
    weights: Weights,
    radices: Mapping[int, int] | None = None,
) -> Breakdown:
    """The objective of ``routes`` with the visits ``dropped`` left out, per term.

    ``radices`` default to those of ``problem.visits`` (a part of a day passes the whole
    day's, so that its totals add up with the others').
    """
    radices = radices if radices is not None else priority_radices(problem.visits)
    visits = {v.id: v for v in problem.visits}
    engineers = {e.id: e for e in problem.engineers}
    index = problem.location_index()
    terms = [
        route_terms(engineers[r.engineer_id], r, visits, matrix, index, weights)
        for r in routes
        if r.stops
    ]
    dropped = list(dropped)
    return Breakdown(
        travel=weights.travel_per_second * sum(t.drive_s for t in terms),
        overtime=weights.overtime_per_second * sum(t.overtime_s for t in terms),
        lateness=sum(t.lateness_cost for t in terms),
        fixed=weights.fixed_per_engineer * len(terms),
        non_preferred=weights.non_preferred_engineer * sum(t.non_preferred_stops for t in terms),
        balance=weights.balance_per_second * max((t.busy_s for t in terms), default=0),
        churn=sum(t.churn_cost for t in terms)
        + weights.drop_planned * sum(1 for vid in dropped if visits[vid].previous is not None),
        max_lateness=weights.max_lateness_per_second
        * max((t.max_late_s for t in terms), default=0),
        dropped=sum(drop_penalty(visits[vid], radices, weights) for vid in dropped),
    )
