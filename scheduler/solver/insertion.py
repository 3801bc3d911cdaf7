"""Put left-out home visits into routes that still have room, or in place of less urgent
visits.

A decomposed search plans each territory or group on its own, so a visit left out in one
part may fit, unchanged, into an engineer's route in another part, and an urgent visit may
be left out in one part while a route next door serves less urgent ones. This pass finds
those: most urgent visits first, each goes where it adds least to the objective among the
positions where every hard rule still holds (windows, breaks, shift end, load, route
duration, fixed event starts), first among the engineers whose routes pass nearest, then
among all able ones. A visit that fits nowhere may take the place of a few consecutive less
urgent visits, which are tried elsewhere in their turn. A change is made only when it lowers
the objective, priced by ``scheduler.objective``. No OR-Tools here: the timing
rules are the ones the validator checks (``scheduler.timeline``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scheduler.domain import Engineer, Problem, Route, SearchParams, Visit
from scheduler.objective import drop_penalty, route_cost
from scheduler.timeline import InsertionTimer, RouteSchedule, schedule_visits
from scheduler.travel import Matrix


@dataclass(frozen=True, slots=True)
class Repaired:
    """The routes after the pass (engineer id -> route), the visits inserted and those
    taken out for more urgent ones, and the change of the objective (cost units, <= 0)."""

    routes: dict[str, Route]
    inserted: tuple[str, ...]
    taken_out: tuple[str, ...]
    delta: int


def insert_left_out(
    problem: Problem,
    matrix: Matrix,
    routes: Mapping[str, Route],
    left_out: Sequence[Visit],
    able: Mapping[str, Sequence[str]],
    radices: Mapping[int, int],
    *,
    params: SearchParams,
    deadline: float | None = None,
) -> Repaired:
    """The routes with as many of ``left_out`` inserted as fit. A visit that fits nowhere
    may take the place of up to ``params.take_out_max`` consecutive less urgent visits, which are
    then tried elsewhere in their turn.

    ``routes`` maps engineer id -> planned route (engineers without a route may be absent);
    only engineers in ``able[visit_id]`` are tried for a visit; community events are neither
    inserted nor taken out (their engineers must arrive together). ``deadline`` is a
    ``time.monotonic()`` instant after which no more visits are tried.
    """
    repair = _Repair(problem, matrix, routes, able, radices, params, deadline)
    waiting = {v.id: v for v in left_out if not v.is_team}
    inserted: list[str] = []
    for priority in range(1, 6):
        queue = sorted(
            (v for v in waiting.values() if v.priority == priority),
            key=lambda v: (len(able.get(v.id, ())), v.id),
        )
        for v in queue:
            if repair.late():
                break
            placed, out = repair.insert(v)
            if placed:
                del waiting[v.id]
                inserted.append(v.id)
                # Less urgent than every visit inserted so far: they come up again later.
                waiting.update((u.id, u) for u in out)
    was_out = {v.id for v in left_out}
    return Repaired(
        repair.routes(),
        tuple(i for i in inserted if i in was_out),
        tuple(i for i in waiting if i not in was_out),
        repair.delta,
    )


@dataclass(frozen=True, slots=True)
class _Move:
    """Routes to change (engineer, new order, its timing), the objective change they make
    (cost units) and the visits they take out."""

    added: int
    changes: tuple[tuple[str, list[Visit], RouteSchedule], ...]
    taken_out: Sequence[Visit] = ()


class _Repair:
    """The routes being repaired: each engineer's order, its timer and its cost."""

    def __init__(
        self,
        problem: Problem,
        matrix: Matrix,
        routes: Mapping[str, Route],
        able: Mapping[str, Sequence[str]],
        radices: Mapping[int, int],
        params: SearchParams,
        deadline: float | None,
    ) -> None:
        self.problem, self.matrix, self.able, self.radices = problem, matrix, able, radices
        self.params = params
        self.deadline = deadline  # time.monotonic() instant
        self.loc = problem.location_index()
        self.weights = problem.options.weights
        self.visits = {v.id: v for v in problem.visits}
        self.engineers = {e.id: e for e in problem.engineers}
        self.original = dict(routes)
        self.planned = {e: [self.visits[s.visit_id] for s in r.stops] for e, r in routes.items()}
        self.fixed = {
            e: {s.visit_id: s.start for s in r.stops if self.visits[s.visit_id].is_team}
            for e, r in routes.items()
        }
        self.schedules: dict[str, RouteSchedule] = {}
        self.timers: dict[str, InsertionTimer] = {}
        self.costs: dict[str, int] = {}
        self.delta = 0  # objective change so far, cost units

    def late(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def routes(self) -> dict[str, Route]:
        result = dict(self.original)
        result.update((e, s.to_route()) for e, s in self.schedules.items())
        return {e: r for e, r in result.items() if r.stops or e in self.original}

    def timer(self, eid: str, order: Sequence[Visit]) -> InsertionTimer:
        return InsertionTimer(
            self.engineers[eid], order, self.matrix, self.loc, fixed_starts=self.fixed.get(eid)
        )

    def schedule(self, eid: str, order: Sequence[Visit]) -> RouteSchedule | None:
        """The timing of ``order``, None when it breaks a hard rule."""
        e = self.engineers[eid]
        if e.load_capacity is not None and sum(x.load for x in order) > e.load_capacity:
            return None
        s = schedule_visits(
            e, order, self.matrix, self.loc, fixed_starts=self.fixed.get(eid), weights=self.weights
        )
        if not s.feasible:
            return None
        if e.max_route_duration is not None and s.return_ - s.departure > e.max_route_duration:
            return None
        return s

    def cost(self, eid: str) -> int:
        if eid not in self.costs:
            order = self.planned.get(eid, [])
            e = self.engineers[eid]
            # A planned route is priced even when its earliest timing is longer than the
            # engineer's route limit (its plan may leave later and fit): pricing it 0 then
            # made the objective drift when a move changed it.
            s = (
                schedule_visits(
                    e, order, self.matrix, self.loc, fixed_starts=self.fixed.get(eid),
                    weights=self.weights,
                )
                if order
                else None
            )  # fmt: skip
            self.costs[eid] = self.price(e, s)
        return self.costs[eid]

    def price(self, e: Engineer, schedule: RouteSchedule | None) -> int:
        """What a timed route adds to the objective (``scheduler.objective.route_cost``)."""
        if schedule is None or not schedule.stops:
            return 0
        return route_cost(e, schedule.to_route(), self.visits, self.matrix, self.loc, self.weights)

    def segments(self, eid: str, v: Visit) -> list[tuple[int, int]]:
        """Runs ``[i, j)`` of up to ``take_out_max`` planned stops, all less urgent than
        ``v`` and none an event, after which ``v`` could still start inside a window."""
        order = self.planned.get(eid, [])
        if not order:
            return []
        e = self.engineers[eid]
        route = self.schedules[eid].stops if eid in self.schedules else self.original[eid].stops
        here = self.loc[v.location]
        runs = []
        for i in range(len(order)):
            if i == 0:
                free, at = e.shift_start, self.loc[e.start_location]
            else:
                free, at = route[i - 1].end, self.loc[order[i - 1].location]
            if v.earliest_start_from(free + int(self.matrix[at, here])) is None:
                continue  # even with the run taken out, v would come too late
            for j in range(i + 1, min(i + self.params.take_out_max, len(order)) + 1):
                u = order[j - 1]
                if u.is_team or u.priority <= v.priority:
                    break
                runs.append((i, j))
        return runs

    def best_in(
        self, eid: str, order: Sequence[Visit], v: Visit, timer: InsertionTimer
    ) -> tuple[int, int, RouteSchedule] | None:
        """The cheapest feasible position of ``v`` in ``order``: its route cost, position
        and timing; None when it fits nowhere."""
        e = self.engineers[eid]
        for p in _positions_by_detour(v, e, order, self.matrix, self.loc):
            if timer.shortfall_with(v, p, at_most=0) is None:
                continue
            new = [*order[:p], v, *order[p:]]
            s = self.schedule(eid, new)
            if s is None:
                continue
            return self.price(e, s), p, s
        return None

    def insert(self, v: Visit) -> tuple[bool, Sequence[Visit]]:
        """Insert ``v`` where it adds least: plainly when it fits, else in place of up to
        ``take_out_max`` consecutive less urgent visits. Returns whether it was inserted and
        the visits taken out."""
        penalty = drop_penalty(v, self.radices, self.weights)
        ranked = _by_reach(
            v, self.able.get(v.id, ()), self.planned, self.engineers, self.matrix, self.loc
        )
        # A route holding a crew member keeps its times: the timeline here times every stop
        # of a visit alike, not per member.
        ranked = [e for e in ranked if not any(u.crew for u in self.planned.get(e, ()))]
        move = None
        # The nearest engineers first; then the others, which rarely have the best place
        # but on a full day may be the only ones with room (the deadline bounds the cost).
        nearest = self.params.nearest_engineers
        for candidates in (ranked[:nearest], ranked[nearest:]):
            move = self.plain(v, candidates, penalty) or self.take_place(v, candidates, penalty)
            if move is not None or self.late():
                break
        if move is None:
            return False, ()
        for eid, order, schedule in move.changes:
            self.planned[eid] = order
            self.schedules[eid] = schedule
            self.timers.pop(eid, None)
            self.costs.pop(eid, None)
        self.delta += move.added
        return True, move.taken_out

    def plain(self, v: Visit, candidates: Sequence[str], penalty: int) -> _Move | None:
        best: _Move | None = None
        for eid in candidates:
            order = self.planned.get(eid, [])
            if eid not in self.timers:
                self.timers[eid] = self.timer(eid, order)
            found = self.best_in(eid, order, v, self.timers[eid])
            if found is None:
                continue
            added = found[0] - self.cost(eid) - penalty
            if added < 0 and (best is None or added < best.added):
                p = found[1]
                best = _Move(added, ((eid, [*order[:p], v, *order[p:]], found[2]),))
        return best

    def take_place(self, v: Visit, candidates: Sequence[str], penalty: int) -> _Move | None:
        """``v`` in place of up to ``take_out_max`` consecutive less urgent visits."""
        best: _Move | None = None
        for eid in candidates:
            if self.late():
                break
            order = self.planned.get(eid, [])
            for i, j in self.segments(eid, v):
                gain = penalty - sum(
                    drop_penalty(u, self.radices, self.weights) for u in order[i:j]
                )
                if best is not None and -gain >= best.added:
                    continue
                rest = order[:i] + order[j:]
                found = self.best_in(eid, rest, v, self.timer(eid, rest))
                if found is None:
                    continue
                added = found[0] - self.cost(eid) - gain
                if added < 0 and (best is None or added < best.added):
                    p = found[1]
                    best = _Move(added, ((eid, [*rest[:p], v, *rest[p:]], found[2]),), order[i:j])
        return best


def _by_reach(
    v: Visit,
    able: Sequence[str],
    planned: Mapping[str, Sequence[Visit]],
    engineers: Mapping[str, Engineer],
    matrix: Matrix,
    loc: Mapping[str, int],
) -> list[str]:
    """``able``, those whose route passes nearest ``v`` first."""
    here = loc[v.location]

    def reach(eid: str) -> int:
        e = engineers[eid]
        places = [e.start_location, *(x.location for x in planned.get(eid, ()))]
        return min(int(matrix[loc[p], here]) + int(matrix[here, loc[p]]) for p in places)

    return sorted((e for e in able if e in engineers), key=reach)


def _positions_by_detour(
    v: Visit, e: Engineer, order: Sequence[Visit], matrix: Matrix, loc: Mapping[str, int]
) -> list[int]:
    """Insertion positions 0..len(order), the least extra driving first."""
    rows = [loc[e.start_location], *(loc[x.location] for x in order), loc[e.end_location]]
    here = loc[v.location]
    detour = [
        int(matrix[rows[p], here])
        + int(matrix[here, rows[p + 1]])
        - int(matrix[rows[p], rows[p + 1]])
        for p in range(len(order) + 1)
    ]
    return sorted(range(len(order) + 1), key=lambda p: (detour[p], p))
