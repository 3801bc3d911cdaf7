"""Booking slots: the windows a new request could be booked in, cheapest first, over the
published plans of the candidate days, changing nothing.

A customer chooses a slot before the visit exists. For each candidate day and window,
``offer_slots`` tries the request in every qualified engineer's published order: positions by
least detour first, the first one that keeps the whole route within every hard rule (windows,
shift and overtime, breaks, shared starts of team visits, load, maximum route duration) is the
engineer's offer, priced as the objective prices a route (``scheduler.objective``), the
balance term's change (the longest working day) included. Each window keeps its cheapest
engineer.

Times are seconds since midnight of the day's date; costs are the objective's units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from scheduler.domain import Engineer, Location, Plan, Problem, TimeWindow, Visit
from scheduler.errors import ProblemError
from scheduler.objective import route_cost, route_terms
from scheduler.timeline import InsertionTimer, schedule_visits
from scheduler.travel import Matrix

REQUEST_ID = "booking-request"  # the request's visit and location id while it is tried


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What a customer asks for: the place, service seconds, the skills it needs."""

    lat: float
    lon: float
    duration: int
    skills: frozenset[str] = frozenset()
    load: int = 0

    def __post_init__(self) -> None:
        Location(REQUEST_ID, self.lat, self.lon)  # the same checks as any place
        if self.duration <= 0:
            raise ProblemError("request", "duration", self.duration, "must be > 0 seconds")
        if self.load < 0:
            raise ProblemError("request", "load", self.load, "must be >= 0")


@dataclass(frozen=True, slots=True)
class BookingDay:
    """A candidate day: its problem with the request's place added (:func:`with_request`),
    the matrix of those locations (seconds), its published plan, and the windows to offer;
    no start before ``not_before`` (seconds; e.g. now, on today)."""

    key: str
    problem: Problem
    matrix: Matrix
    plan: Plan
    windows: tuple[TimeWindow, ...]
    not_before: int | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A window the request fits in: on ``day`` with ``engineer_id`` before their planned stop
    ``position``, starting at ``start`` at the earliest, for ``added_cost`` over the plan."""

    day: str
    window: TimeWindow
    engineer_id: str
    position: int
    start: int
    added_cost: int


def with_request(problem: Problem, request: SlotRequest) -> Problem:
    """``problem`` with the request's place as one more location (last); its travel times
    are the caller's to find (any provider's ``matrix`` of the new locations)."""
    if any(loc.id == REQUEST_ID for loc in problem.locations):
        return problem
    place = Location(REQUEST_ID, request.lat, request.lon)
    return replace(problem, locations=(*problem.locations, place), travel_time_matrix=None)


def offer_slots(days: Sequence[BookingDay], request: SlotRequest) -> list[Slot]:
    """Every candidate window the request fits in, cheapest first (then by day and start).

    Raises
    ------
    ProblemError
        A day without the request's place (see :func:`with_request`) or with a matrix of
        another size.
    """
    out = []
    for day in days:
        index = day.problem.location_index()
        if REQUEST_ID not in index:
            raise ProblemError(f"day {day.key!r}", "locations", REQUEST_ID, "must be added first")
        if day.matrix.shape != (len(index), len(index)):
            raise ProblemError(
                f"day {day.key!r}", "matrix", day.matrix.shape, "must match its locations"
            )
        offers = _DayOffers(day, request)
        for window in day.windows:
            best = offers.best(window)
            if best is not None:
                out.append(best)
    out.sort(key=lambda s: (s.added_cost, s.day, s.window.start, s.engineer_id))
    return out


class _DayOffers:
    """The request tried in each qualified engineer's order of one day."""

    def __init__(self, day: BookingDay, request: SlotRequest) -> None:
        self.day = day
        self.request = request
        p = day.problem
        self.index = p.location_index()
        self.visits = {v.id: v for v in p.visits}
        self.orders = {
            r.engineer_id: [self.visits[s.visit_id] for s in r.stops] for r in day.plan.routes
        }
        # Team visits keep the start they share with the other engineers.
        self.fixed = {
            s.visit_id: s.start
            for r in day.plan.routes
            for s in r.stops
            if self.visits[s.visit_id].is_event
        }
        self.engineers = [e for e in p.engineers if request.skills <= e.skills]
        self.timers: dict[str, InsertionTimer] = {}
        self.base: dict[str, int] = {}
        weights = p.options.weights
        self.busiest = max(
            (route_terms(p.engineer(r.engineer_id), r, self.visits, day.matrix, self.index).busy_s
             for r in day.plan.routes),
            default=0,
        )  # fmt: skip
        # The least extra driving each engineer could need: no added cost is lower (every
        # other term only grows when a visit joins a route), so engineers are tried in that
        # order and the search stops once it cannot beat the best offer.
        here = self.index[REQUEST_ID]
        m = day.matrix
        self.paths: dict[str, list[int]] = {}
        self.bound: dict[str, int] = {}
        for e in self.engineers:
            order = self.orders.get(e.id, [])
            path = [self.index[e.start_location], *(self.index[v.location] for v in order)]
            path.append(self.index[e.end_location])
            a, b = np.asarray(path[:-1]), np.asarray(path[1:])
            detours = m[a, here] + m[here, b] - m[a, b]
            self.paths[e.id] = path
            self.bound[e.id] = weights.travel_per_second * int(detours.min()) + (
                0 if order else weights.fixed_per_engineer
            )
        self.engineers.sort(key=lambda e: self.bound[e.id])

    def best(self, window: TimeWindow) -> Slot | None:
        lo = window.start if self.day.not_before is None else max(window.start, self.day.not_before)
        if lo > window.end:
            return None
        visit = Visit(
            id=REQUEST_ID,
            location=REQUEST_ID,
            duration=self.request.duration,
            time_windows=(TimeWindow(lo, window.end),),
            required_skills=self.request.skills,
            load=self.request.load,
        )
        best: Slot | None = None
        for e in self.engineers:
            if best is not None and self.bound[e.id] >= best.added_cost:
                break
            offer = self._offer(e, visit, window)
            if offer is not None and (best is None or offer.added_cost < best.added_cost):
                best = offer
        return best

    def _offer(self, e: Engineer, visit: Visit, window: TimeWindow) -> Slot | None:
        order = self.orders.get(e.id, [])
        load = sum(v.load for v in order) + visit.load
        if e.load_capacity is not None and load > e.load_capacity:
            return None
        timer = self.timers.get(e.id)
        if timer is None:
            timer = InsertionTimer(e, order, self.day.matrix, self.index, fixed_starts=self.fixed)
            self.timers[e.id] = timer
        if timer.shortfall:
            return None  # the published order itself breaks a rule: offer nothing on it
        path = self.paths[e.id]
        here = self.index[REQUEST_ID]
        m = self.day.matrix

        def detour(p: int) -> int:
            a, b = path[p], path[p + 1]
            return int(m[a, here] + m[here, b] - m[a, b])

        for p in sorted(range(len(order) + 1), key=detour):
            if timer.shortfall_with(visit, p, at_most=0) is None:
                continue
            trial = [*order[:p], visit, *order[p:]]
            timed = schedule_visits(
                e, trial, m, self.index, fixed_starts=self.fixed,
                weights=self.day.problem.options.weights,
            )  # fmt: skip
            length = timed.return_ - timed.departure
            if e.max_route_duration is not None and length > e.max_route_duration:
                continue
            start = next(s.start for s in timed.stops if s.visit_id == REQUEST_ID)
            cost, busy = self._cost(e, trial)
            if e.id not in self.base:
                self.base[e.id] = self._cost(e, order)[0]
            added = cost - self.base[e.id]
            balance = self.day.problem.options.weights.balance_per_second
            if balance:
                added += balance * (max(self.busiest, busy) - self.busiest)
            return Slot(self.day.key, window, e.id, p, start, added)
        return None

    def _cost(self, e: Engineer, order: list[Visit]) -> tuple[int, int]:
        """The objective's cost of ``e`` serving ``order`` without the balance term, and
        the route's busy seconds (driving plus service); (0, 0) when empty."""
        if not order:
            return 0, 0
        m, weights = self.day.matrix, self.day.problem.options.weights
        timed = schedule_visits(
            e, order, m, self.index, fixed_starts=self.fixed, weights=weights
        ).to_route()
        visits = {**self.visits, **{v.id: v for v in order}}
        terms = route_terms(e, timed, visits, m, self.index, weights)
        return route_cost(e, timed, visits, m, self.index, weights), terms.busy_s
