"""Solve a problem: decide the events, search with OR-Tools, extract and check the plan.

Community events are decided outside the local search: OR-Tools' local search almost never
switches an all-or-nothing group of nodes on or off once the first solution has decided it
(see docs/solver.md). Each candidate set of held events is solved with those events
mandatory; the sets are enumerated when few, grown greedily otherwise, and compared on the
full objective including the penalties of events not held.

Large days are planned in parts on both cores: territories first, then rounds that regroup
the routes into neighbourhoods and improve them side by side (see docs/solver.md).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from scheduler.domain import (
    BreakTaken,
    Plan,
    Problem,
    Route,
    SolveOptions,
    SolverStats,
    Stop,
    Visit,
)
from scheduler.errors import ProblemError, SolverError
from scheduler.explain import explain_dropped, serviceable_engineers, static_reasons
from scheduler.solver.insertion import insert_left_out
from scheduler.solver.model import ModelContext, build_model
from scheduler.solver.penalties import drop_penalties, visit_penalty
from scheduler.solver.plain import PlainDay, plain_reason, timed_route
from scheduler.solver.regroup import regroup
from scheduler.solver.territories import Territory, split_into_territories, territory_count
from scheduler.travel import Matrix
from scheduler.validate import validate


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress report: which stage, the best objective so far (cost units), seconds spent."""

    stage: str
    objective: int | None
    elapsed: float
    solutions: int


ProgressCallback = Callable[[Progress], None]
_J = TypeVar("_J")
_R = TypeVar("_R")

FIRST_SOLUTIONS = frozenset(routing_enums_pb2.FirstSolutionStrategy.Value.keys()) - {"UNSET"}
METAHEURISTICS = frozenset(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys()) - {"UNSET"}
TERRITORY_SHARE = 0.2  # of the time limit spent planning territories, before the rounds
GROUP_SIZE = 100  # served visits per group in an improvement round (measured: 50-200)
ROUND_SECONDS = 3.0  # per group and round, about (stretched so the rounds end with the limit)
BASE_SHARE = 0.3  # of the time, for growing events: the plan without events, from nothing
TERRITORY_MIN = 6.0  # seconds per territory, up to half the time limit in all
TERRITORY_HORIZON = 120.0  # seconds: longer limits plan territories as a 120 s one does
MIN_ROUND_SECONDS = 1.0  # a shorter search cannot even restore a group's routes
ROUNDS_ABOVE = 2 * GROUP_SIZE  # visits; smaller days are searched whole to the end
WHOLE_SHARE = 0.4  # of the time limit for the whole-day search before rounds (mid-sized)
# Time for a pass that inserts left-out visits (kept back for the last one): on the city
# day, the first pass after the territories places more with 10 s than with 3 s (about 200
# visits are out then), later passes need less.
REPAIR_SHARE = 0.05  # of the time limit
REPAIR_MAX = 10.0  # seconds
FIRST_REPAIR_SHARE = 0.15  # of the time limit, for the first pass before the rounds
REPAIR_PASSES = 5  # at most, each while the last one gained
# Plain days (see scheduler.solver.plain) are searched by ruin and recreate: the whole day in
# one process up to ``decompose_above`` visits, else in rounds of two halves side by side.
PLAIN_ROUND_SECONDS = 10.0  # per round, about (stretched so the rounds end with the limit)
PLAIN_START_SHARE = 0.05  # of the time limit for the first whole-day plan, before the rounds


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The best plan of one search over a set of held events."""

    held: frozenset[str]
    visits: tuple[Visit, ...]  # the modelled visits, in node order
    total: int  # OR-Tools objective plus the penalties of events not held
    routes: tuple[Route, ...]
    index_routes: tuple[tuple[int, ...], ...]  # routing indices per engineer, for warm starts
    start_total: int | None = None  # the warm start's total, when it was searched from one


@dataclass(frozen=True, slots=True)
class _Part:
    """A territory's or group's plan from a worker: its engineers, their routes, its total
    objective and (for groups) that of the routes it started from, in whole-day units."""

    engineers: tuple[str, ...]
    routes: tuple[Route, ...]
    total: int
    start_total: int | None = None
    solves: int = 1  # OR-Tools searches run for it


def search_parameters(
    options: SolveOptions, time_limit: float
) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools search parameters from the options; ``time_limit`` in seconds."""
    if options.first_solution not in FIRST_SOLUTIONS:
        raise ProblemError(
            "options",
            "first_solution",
            options.first_solution,
            f"must be one of {sorted(FIRST_SOLUTIONS)}",
        )
    if options.metaheuristic not in METAHEURISTICS:
        raise ProblemError(
            "options",
            "metaheuristic",
            options.metaheuristic,
            f"must be one of {sorted(METAHEURISTICS)}",
        )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.Value.Value(
        options.first_solution
    )
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.Value.Value(
        options.metaheuristic
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if options.solution_limit is not None:
        params.solution_limit = options.solution_limit
    return params


def extract_routes(ctx: ModelContext, solution: pywrapcp.Assignment) -> tuple[Route, ...]:
    """Timed routes from an OR-Tools solution (engineers without stops are left out)."""
    time_dim = ctx.time_dimension()
    routing, manager = ctx.routing, ctx.manager
    routes = []
    for v, engineer in enumerate(ctx.engineers):
        index = routing.Start(v)
        if routing.IsEnd(solution.Value(routing.NextVar(index))):
            continue
        breaks = sorted(
            (
                BreakTaken(
                    solution.StartValue(iv) + ctx.origin,
                    solution.StartValue(iv) + iv.DurationMin() + ctx.origin,
                )
                for iv in ctx.break_intervals.get(v, [])
                if solution.PerformedValue(iv)
            ),
            key=lambda b: b.start,
        )
        departure = solution.Value(time_dim.CumulVar(index)) + ctx.origin
        prev_end, prev_row = departure, ctx.nodes[manager.IndexToNode(index)].location_row
        stops = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = ctx.nodes[manager.IndexToNode(index)]
            start = solution.Value(time_dim.CumulVar(index)) + ctx.origin
            arrival = _arrival(
                prev_end, int(ctx.matrix[prev_row, node.location_row]), start, breaks
            )
            assert node.visit_id is not None
            stops.append(Stop(node.visit_id, arrival, start, start + node.service))
            prev_end, prev_row = start + node.service, node.location_row
            index = solution.Value(routing.NextVar(index))
        return_ = solution.Value(time_dim.CumulVar(index)) + ctx.origin
        routes.append(Route(engineer.id, departure, return_, tuple(stops), tuple(breaks)))
    return tuple(routes)


def _arrival(prev_end: int, travel: int, start: int, breaks: Sequence[BreakTaken]) -> int:
    """Arrival on site: breaks in the gap that begin before the engineer would otherwise have
    arrived are taken on the way (delaying arrival); later ones are taken on site."""
    arrival = prev_end + travel
    for b in breaks:
        if prev_end <= b.start and b.end <= start and b.start < arrival:
            arrival += b.end - b.start
    return min(arrival, start)


class _Search:
    """One ``solve`` call's searches: each over a set of held events, sharing a clock."""

    def __init__(
        self,
        problem: Problem,
        matrix: Matrix,
        options: SolveOptions,
        vehicles_for: dict[str, list[int]],
        progress: ProgressCallback | None,
        penalties: Mapping[int, int] | None = None,
    ) -> None:
        self.problem, self.matrix, self.options = problem, matrix, options
        self.vehicles_for = vehicles_for
        self.progress = progress
        self.started = time.monotonic()
        self.solves = 0
        self.phase_end: float | None = None  # monotonic seconds
        self.reserve = 0.0  # seconds kept back for the last repair pass
        # A territory or group is priced with the whole day's penalties, so that totals add
        # up and priorities stay lexicographic across the day.
        self.penalties = dict(
            penalties or drop_penalties(problem.visits, options.weights.drop_base)
        )

    def remaining(self) -> float:
        """Seconds left of the time limit, or of the current phase when it ends earlier."""
        now = time.monotonic()
        left = self.options.time_limit - (now - self.started) - self.reserve
        return left if self.phase_end is None else min(left, self.phase_end - now)

    def not_held_penalty(self, events: Sequence[Visit], held: frozenset[str]) -> int:
        return sum(visit_penalty(e, self.penalties) for e in events if e.id not in held)

    def run(
        self,
        visits: Sequence[Visit],
        held: frozenset[str],
        time_limit: float,
        warm: _Attempt | None = None,
        warm_routes: Mapping[str, Sequence[str]] | None = None,
    ) -> _Attempt | None:
        """Search with ``held`` events mandatory for ``time_limit`` seconds, from ``warm``'s
        routes when given (same visits and events)."""
        self.solves += 1
        ctx = build_model(
            self.problem,
            self.matrix,
            self.options.weights,
            visits,
            self.vehicles_for,
            held,
            self.penalties,
        )
        routing = ctx.routing
        count, best = [0], [warm.total if warm else None]
        first: list[int] = []

        def on_solution() -> None:
            # Report improvements only: guided local search visits many worse solutions.
            count[0] += 1
            cost = int(routing.CostVar().Value())
            if not first:
                first.append(cost)  # from a warm start: the start itself
            if self.progress is not None and (best[0] is None or cost < best[0]):
                best[0] = cost
                elapsed = time.monotonic() - self.started
                self.progress(Progress(f"events held: {len(held)}", cost, elapsed, count[0]))

        routing.AddAtSolutionCallback(on_solution)
        params = search_parameters(self.options, max(time_limit, 0.1))
        if warm is None and warm_routes is None:
            solution = routing.SolveWithParameters(params)
        else:
            routing.CloseModelWithParameters(params)
            if warm is not None:
                starts = [list(r) for r in warm.index_routes]
            else:
                starts = _index_routes(ctx, warm_routes or {})
            start = routing.ReadAssignmentFromRoutes(starts, True)
            solution = routing.SolveFromAssignmentWithParameters(start, params) if start else None
        if solution is None:
            return None
        index_routes = []
        for v in range(len(self.problem.engineers)):
            index, route = solution.Value(routing.NextVar(routing.Start(v))), []
            while not routing.IsEnd(index):
                route.append(index)
                index = solution.Value(routing.NextVar(index))
            index_routes.append(tuple(route))
        events = [v for v in self.problem.visits if v.is_event]
        not_held = self.not_held_penalty(events, held)
        total = int(solution.ObjectiveValue()) + not_held
        start_total = first[0] + not_held if first and warm_routes is not None else None
        return _Attempt(
            held,
            tuple(visits),
            total,
            extract_routes(ctx, solution),
            tuple(index_routes),
            start_total,
        )

    def enumerate_events(self, home: list[Visit], events: list[Visit]) -> _Attempt | None:
        """Every subset of events, largest first; a subset whose not-held penalties alone
        reach the best total so far is skipped (it cannot win)."""
        sets = _event_sets_largest_first(events)
        best: _Attempt | None = None
        for i, held in enumerate(sets):
            if best is not None and self.not_held_penalty(events, held) >= best.total:
                continue
            chosen = home + [e for e in events if e.id in held]
            # The first search plans from nothing: it needs the largest share.
            share = self.remaining() / (len(sets) - i)
            a = self.run(
                chosen, held, max(share, BASE_SHARE * self.remaining()) if i == 0 else share
            )
            if a is not None and (best is None or a.total < best.total):
                best = a
        return best

    def grow_events(self, home: list[Visit], events: list[Visit]) -> _Attempt | None:
        """Add events one at a time, most urgent first, keeping each that lowers the total."""
        ordered = sorted(events, key=lambda v: (v.priority, v.id))
        # The first search plans every home visit from nothing: it needs the largest share.
        base = max(self.remaining() / (len(ordered) + 2), BASE_SHARE * self.remaining())
        best = self.run(home, frozenset(), base)
        share = self.remaining() / (len(ordered) + 1)
        for ev in ordered:
            held = (best.held if best else frozenset()) | {ev.id}
            a = self.run(home + [e for e in ordered if e.id in held], held, share)
            if a is not None and (best is None or a.total < best.total):
                best = a
        return best

    def by_territories(
        self,
        visits: Sequence[Visit],
        serviceable: Mapping[str, Sequence[str]],
        k: int,
    ) -> _Attempt | None:
        """Plan ``k`` territories side by side (one process per core), then improve the
        joined plan in rounds: each round regroups the routes into neighbourhoods (a new
        grouping each time, so work crosses the old borders) and improves them side by side
        from their current routes, keeping each group's result only when it is better."""
        parts = split_into_territories(self.problem, self.matrix, visits, serviceable, k)
        if len(parts) < 2:
            return None
        with _Workers(min(self.options.workers, len(parts))) as pool:
            waves = math.ceil(len(parts) / pool.workers)
            # Each territory needs time for a first plan, more so with events to decide.
            # Time beyond TERRITORY_HORIZON goes to the rounds: territories planned longer
            # apart left more for the rounds to mend (measured on the city day).
            budget = min(self.remaining(), TERRITORY_HORIZON)
            share = max(TERRITORY_SHARE * budget, min(TERRITORY_MIN * waves, 0.5 * budget)) / waves
            jobs = [
                (
                    _part_problem(self.problem, self.matrix, t.engineers, t.visits, share, True),
                    self.penalties,
                )
                for t in parts
            ]
            planned = pool.map(_plan_territory, jobs)
            self.solves += sum(part.solves for part in planned)
            routes = {r.engineer_id: r for part in planned for r in part.routes}
            total = sum(part.total for part in planned)
            self.report("territories joined", total)
            return self.improve_in_rounds(pool, routes, total, visits, serviceable)

    def improve_in_rounds(
        self,
        pool: _Workers,
        routes: dict[str, Route],
        total: int,
        visits: Sequence[Visit],
        serviceable: Mapping[str, Sequence[str]],
    ) -> _Attempt:
        """Improve ``routes`` (objective ``total``) until the time is up: each round regroups
        them into neighbourhoods of about ``GROUP_SIZE`` visits and searches the groups side
        by side from their routes, keeping a group's result only when it is better."""
        rng = random.Random(0)  # groupings differ round to round, runs are repeatable
        rounds = 0
        while True:
            if self.remaining() - 0.5 < MIN_ROUND_SECONDS:
                break  # no round fits: the last pass of ``last_repair`` follows
            # Visits left out by one part may fit where another part has room, or in place
            # of a less urgent visit: cheap to find, and the round then improves around them.
            # The first pass, after the territories, has the most to place.
            first = FIRST_REPAIR_SHARE * self.options.time_limit if rounds == 0 else 0.0
            first = min(first, 2 * REPAIR_MAX)
            seconds = min(max(self.repair_seconds(), first), self.remaining() / 2)
            delta = self.fill_gaps(routes, visits, serviceable, seconds)
            if delta:
                total += delta
                self.report("left-out visits inserted", total)
            self.release_reserve(routes.values(), visits)
            groups = pool.workers * max(1, round(len(visits) / (GROUP_SIZE * pool.workers)))
            waves = math.ceil(groups / pool.workers)
            # As many rounds of about ROUND_SECONDS per group as fit, stretched to end with
            # the time limit: a round that does not fit whole would leave cores idle.
            left = self.remaining() - 0.5
            seconds = left / (waves * max(1, math.floor(left / (waves * ROUND_SECONDS))))
            if seconds < MIN_ROUND_SECONDS:
                break
            stops = {e: [s.visit_id for s in r.stops] for e, r in routes.items()}
            served = {vid for ids in stops.values() for vid in ids}
            unserved = [v for v in visits if not v.is_event and v.id not in served]
            jobs = []
            workload = {e: r.return_ - r.departure for e, r in routes.items() if r.stops}
            for g in regroup(self.problem, stops, unserved, serviceable, groups, rng, workload):
                sub, routes_of, able = self.group_job(g, stops, serviceable, seconds)
                jobs.append((sub, routes_of, able, self.penalties))
            improved = pool.map(_improve_group, jobs)
            self.solves += len(improved)
            total = _take_better(routes, improved, total)
            rounds += 1
            self.report(f"improved across borders, round {rounds}", total)
        served = {s.visit_id for r in routes.values() for s in r.stops}
        held = frozenset(v.id for v in visits if v.is_event and v.id in served)
        order = {e.id: i for i, e in enumerate(self.problem.engineers)}
        ordered = sorted(routes.values(), key=lambda r: order[r.engineer_id])
        chosen = [v for v in visits if not v.is_event or v.id in held]
        return _Attempt(held, tuple(chosen), total, tuple(r for r in ordered if r.stops), ())

    def plain_day(
        self, visits: Sequence[Visit], serviceable: Mapping[str, Sequence[str]]
    ) -> _Attempt:
        """Plan a plain day (no events, breaks or soft windows) by ruin and recreate: in one
        process, or for larger days a first plan followed by rounds that regroup the routes
        into two halves (a new split each round) searched side by side."""
        limit = self.options.time_limit
        day = PlainDay.of(self.problem, self.matrix, visits, serviceable, self.penalties)
        split = self.options.decompose_above
        whole = split is None or len(visits) <= split or len(self.problem.engineers) < 4
        seconds = self.remaining() if whole else PLAIN_START_SHARE * limit
        spent = time.monotonic() - self.started
        routes, _, total = day.improve(
            {}, max(seconds, 0.01), cooling=(spent / limit, (spent + seconds) / limit)
        )
        self.report("ruin and recreate", total)
        index = self.problem.location_index()
        by_id = {v.id: v for v in visits}
        engineers = {e.id: e for e in self.problem.engineers}
        timed = {
            e: timed_route(engineers[e], [by_id[v] for v in ids], self.matrix, index)
            for e, ids in routes.items()
            if ids
        }
        if not whole:
            scale = day.average_drive_of(routes)
            with _Workers(self.options.workers) as pool:
                total = self.plain_rounds(pool, timed, total, visits, serviceable, scale)
        order = {e.id: i for i, e in enumerate(self.problem.engineers)}
        ordered = sorted(timed.values(), key=lambda r: order[r.engineer_id])
        return _Attempt(frozenset(), tuple(visits), total, tuple(ordered), ())

    def plain_rounds(
        self,
        pool: _Workers,
        routes: dict[str, Route],
        total: int,
        visits: Sequence[Visit],
        serviceable: Mapping[str, Sequence[str]],
        scale: float,
    ) -> int:
        """Improve a plain day's ``routes`` (changed in place; objective ``total``) in rounds
        of one group per worker until the time is up; the new objective."""
        limit = self.options.time_limit
        rng = random.Random(0)
        rounds = 0
        while True:
            left = self.remaining() - 0.5
            if left < MIN_ROUND_SECONDS:
                break
            seconds = left / max(1, math.floor(left / PLAIN_ROUND_SECONDS))
            spent = time.monotonic() - self.started
            cooling = (spent / limit, (spent + seconds) / limit)
            stops = {e: [s.visit_id for s in r.stops] for e, r in routes.items()}
            served = {vid for ids in stops.values() for vid in ids}
            unserved = [v for v in visits if v.id not in served]
            jobs = []
            for g in regroup(self.problem, stops, unserved, serviceable, pool.workers, rng):
                sub, routes_of, able = self.group_job(g, stops, serviceable, seconds)
                jobs.append((sub, routes_of, able, self.penalties, scale, cooling, rounds))
            total = _take_better(routes, pool.map(_improve_plain_group, jobs), total)
            rounds += 1
            self.report(f"ruin and recreate in halves, round {rounds}", total)
        return total

    def group_job(
        self,
        group: Territory,
        stops: Mapping[str, Sequence[str]],
        serviceable: Mapping[str, Sequence[str]],
        seconds: float,
    ) -> tuple[tuple[Problem, Matrix], dict[str, list[str]], dict[str, list[str]]]:
        """A group of a round as a worker gets it: its part of the day (to be searched for
        ``seconds``), its engineers' current stops, and who in it may serve each visit."""
        crew = set(group.engineers)
        able = {vid: [e for e in serviceable[vid] if e in crew] for vid in group.visits}
        sub = _part_problem(self.problem, self.matrix, group.engineers, group.visits, seconds)
        return sub, {e: list(stops.get(e, [])) for e in group.engineers}, able

    def repair_seconds(self) -> float:
        """Time for one pass of ``fill_gaps``: the share kept back for the last one."""
        return min(REPAIR_SHARE * self.options.time_limit, REPAIR_MAX)

    def fill_gaps(
        self,
        routes: dict[str, Route],
        visits: Sequence[Visit],
        serviceable: Mapping[str, Sequence[str]],
        seconds: float,
    ) -> int:
        """Insert left-out home visits into ``routes`` (changed in place), for at most
        ``seconds`` (no limit with a solution limit: repeatable); the objective's change."""
        if self.options.weights.balance_per_second:
            return 0  # the longest day's cost belongs to no one route: the pass cannot price it
        served = {s.visit_id for r in routes.values() for s in r.stops}
        left_out = [v for v in visits if not v.is_event and v.id not in served]
        if not left_out:
            return 0
        deadline = time.monotonic() + seconds if self.options.solution_limit is None else None
        delta = 0
        # Again while it gains: visits taken out, and routes changed, open new places.
        for _ in range(REPAIR_PASSES):
            repaired = insert_left_out(
                self.problem,
                self.matrix,
                routes,
                left_out,
                serviceable,
                self.penalties,
                deadline=deadline,
            )
            routes.clear()
            routes.update(repaired.routes)
            delta += repaired.delta
            taken = set(repaired.taken_out)
            inserted = set(repaired.inserted)
            left_out = [v for v in left_out if v.id not in inserted]
            left_out += [v for v in visits if v.id in taken]
            if not repaired.delta or not left_out:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
        return delta

    def last_repair(
        self, best: _Attempt, visits: Sequence[Visit], serviceable: Mapping[str, Sequence[str]]
    ) -> _Attempt:
        """``best`` with the left-out visits that fit inserted, in the time kept for it."""
        self.reserve = 0.0
        routes = {r.engineer_id: r for r in best.routes}
        delta = self.fill_gaps(routes, visits, serviceable, max(self.remaining(), 0.1))
        if not delta:
            return best
        self.report("left-out visits inserted, last pass", best.total + delta)
        order = {e.id: i for i, e in enumerate(self.problem.engineers)}
        ordered = sorted(
            (r for r in routes.values() if r.stops), key=lambda r: order[r.engineer_id]
        )
        return dataclasses.replace(
            best, total=best.total + delta, routes=tuple(ordered), index_routes=()
        )

    def report(self, stage: str, objective: int | None) -> None:
        if self.progress is not None:
            elapsed = time.monotonic() - self.started
            self.progress(Progress(stage, objective, elapsed, 0))

    def release_reserve(self, routes: Iterable[Route], visits: Sequence[Visit]) -> None:
        """With every home visit served the last pass has nothing to do, so its time goes to
        the search (should a later round leave a visit out, the pass still gets 0.1 s)."""
        served = {s.visit_id for r in routes for s in r.stops}
        if all(v.id in served for v in visits if not v.is_event):
            self.reserve = 0.0

    def polish(self, best: _Attempt) -> _Attempt:
        """Spend the time left improving the best plan from its own routes."""
        self.release_reserve(best.routes, best.visits)
        if self.remaining() < 0.5 or not best.index_routes:
            return best
        a = self.run(best.visits, best.held, self.remaining(), warm=best)
        return a if a is not None and a.total <= best.total else best


def _index_routes(ctx: ModelContext, routes: Mapping[str, Sequence[str]]) -> list[list[int]]:
    """Routing indices per engineer for routes given as visit ids (event copies in turn)."""
    copies = {vid: iter(nodes) for vid, nodes in ctx.visit_nodes.items()}
    return [
        [ctx.index(next(copies[vid])) for vid in routes.get(e.id, ()) if vid in copies]
        for e in ctx.engineers
    ]


def _part_problem(
    problem: Problem,
    matrix: Matrix,
    engineers: Sequence[str],
    visit_ids: Sequence[str],
    time_limit: float,
    urgent_first: bool = False,
) -> tuple[Problem, Matrix]:
    """The day restricted to some engineers and visits, with the matrix rows they need (a
    worker gets a small matrix, not the day's), to be searched for ``time_limit`` seconds."""
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
    options = dataclasses.replace(
        problem.options, time_limit=max(time_limit, 0.5), decompose_above=None
    )
    if urgent_first and len({v.priority for v in visits}) > 1:
        options = dataclasses.replace(options, first_solution="LOCAL_CHEAPEST_INSERTION")
    part = dataclasses.replace(
        problem,
        locations=tuple(problem.locations[i] for i in rows),
        engineers=team,
        visits=visits,
        travel_time_matrix=None,
        options=options,
    )
    return part, np.ascontiguousarray(matrix[np.ix_(rows, rows)])


def _plan_territory(job: tuple[tuple[Problem, Matrix], Mapping[int, int]]) -> _Part:
    """A territory planned from scratch (worker process)."""
    (problem, matrix), penalties = job
    engineers = tuple(e.id for e in problem.engineers)
    try:
        best, total, search = _plan(problem, matrix, problem.options, None, penalties)
    except SolverError:
        # No first plan in the time given: the territory starts empty, the rounds fill it.
        return _Part(engineers, (), sum(visit_penalty(v, penalties) for v in problem.visits))
    return _Part(engineers, best.routes if best else (), total, None, search.solves)


def _improve_group(
    job: tuple[
        tuple[Problem, Matrix],
        Mapping[str, Sequence[str]],
        Mapping[str, Sequence[str]],
        Mapping[int, int],
    ],
) -> _Part:
    """A group's routes improved by a search starting from them (worker process); events
    served stay held. ``start_total`` is None when the search could not start from them."""
    (problem, matrix), routes, able, penalties = job
    vehicle = {e.id: v for v, e in enumerate(problem.engineers)}
    vehicles_for = {vid: [vehicle[e] for e in able[vid]] for vid in able}
    served = {vid for ids in routes.values() for vid in ids}
    visits = [v for v in problem.visits if not v.is_event or v.id in served]
    held = frozenset(v.id for v in visits if v.is_event)
    search = _Search(problem, matrix, problem.options, vehicles_for, None, penalties)
    a = search.run(visits, held, problem.options.time_limit, warm_routes=routes)
    engineers = tuple(vehicle)
    if a is None or a.start_total is None:
        return _Part(engineers, (), 0, None)
    return _Part(engineers, a.routes, a.total, a.start_total)


def _take_better(routes: dict[str, Route], parts: Iterable[_Part], total: int) -> int:
    """Put each part that beat its start into ``routes`` (changed in place); the new total."""
    for part in parts:
        if part.start_total is None or part.total >= part.start_total:
            continue
        for e in part.engineers:
            routes.pop(e, None)
        routes.update((r.engineer_id, r) for r in part.routes)
        total -= part.start_total - part.total
    return total


def _improve_plain_group(
    job: tuple[
        tuple[Problem, Matrix],
        Mapping[str, Sequence[str]],
        Mapping[str, Sequence[str]],
        Mapping[int, int],
        float,
        tuple[float, float],
        int,
    ],
) -> _Part:
    """A plain group's routes improved by ruin and recreate from them (worker process)."""
    (problem, matrix), routes, able, penalties, scale, cooling, seed = job
    day = PlainDay.of(problem, matrix, problem.visits, able, penalties)
    found, start, total = day.improve(
        routes, problem.options.time_limit, seed=seed, scale=scale, cooling=cooling
    )
    index = problem.location_index()
    by_id = {v.id: v for v in problem.visits}
    timed = tuple(
        timed_route(e, [by_id[v] for v in found[e.id]], matrix, index)
        for e in problem.engineers
        if found[e.id]
    )
    return _Part(tuple(e.id for e in problem.engineers), timed, total, start, 0)


class _Workers:
    """Up to ``n`` spawned worker processes kept for one solve (OR-Tools and threads in this
    process are never forked); jobs run in this process when no pool can start, e.g. under a
    daemonic parent, which may not have children."""

    def __init__(self, n: int) -> None:
        self.workers = max(1, n)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        if self.workers > 1:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def map(self, fn: Callable[[_J], _R], jobs: Sequence[_J]) -> list[_R]:
        if self.pool is not None:
            try:
                return list(self.pool.map(fn, jobs))
            except (OSError, BrokenProcessPool, AssertionError):
                self.pool.shutdown(cancel_futures=True)
                self.pool, self.workers = None, 1
        return [fn(job) for job in jobs]


def _event_sets_largest_first(events: Sequence[Visit]) -> list[frozenset[str]]:
    """Every subset of the events, largest first (ties: most urgent events first)."""
    ids = [e.id for e in sorted(events, key=lambda v: (v.priority, v.id))]
    return [
        frozenset(combo)
        for size in range(len(ids), -1, -1)
        for combo in itertools.combinations(ids, size)
    ]


def _plan(
    problem: Problem,
    matrix: Matrix,
    options: SolveOptions,
    progress: ProgressCallback | None,
    penalties: Mapping[int, int] | None = None,
) -> tuple[_Attempt | None, int, _Search]:
    """The best attempt, its total objective including the penalties of visits no plan can
    serve (which never enter the model), and the search that found it."""
    started = time.monotonic()  # the time limit covers screening too
    static = static_reasons(problem, matrix)
    serviceable = serviceable_engineers(problem, matrix)
    vehicle = {e.id: v for v, e in enumerate(problem.engineers)}
    visits = [v for v in problem.visits if v.id not in static and serviceable.get(v.id)]
    vehicles_for = {v.id: [vehicle[e] for e in serviceable[v.id]] for v in visits}
    events = [v for v in visits if v.is_event]
    home = [v for v in visits if not v.is_event]

    search = _Search(problem, matrix, options, vehicles_for, progress, penalties)
    search.started = started
    search.reserve = search.repair_seconds()
    best: _Attempt | None = None
    k = min(len(problem.engineers), max(2, territory_count(len(visits), len(problem.engineers))))
    # Plain days go to ruin and recreate, which is timed: not with a solution limit, which
    # asks for a repeatable search.
    if (
        options.solution_limit is None
        and problem.engineers
        and visits
        and plain_reason(problem, problem.engineers, visits) is None
    ):
        search.reserve = 0.0  # ruin and recreate tries every left-out visit each iteration
        best = search.plain_day(visits, serviceable)
    elif (
        options.decompose_above is not None
        and len(visits) > options.decompose_above
        and k > 1
        and problem.engineers
    ):
        best = search.by_territories(visits, serviceable, k)
    # Mid-sized days: one search of the whole day, then rounds of regrouped improvement on
    # both cores. Not with a solution limit: rounds are timed, so not reproducible.
    in_rounds = (
        options.decompose_above is not None
        and options.solution_limit is None
        and len(visits) > ROUNDS_ABOVE
        and len(problem.engineers) >= 4
    )
    if problem.engineers and best is None:
        if in_rounds:
            search.phase_end = started + WHOLE_SHARE * options.time_limit
        if len(events) <= options.event_subsets_max:
            best = search.enumerate_events(home, events)
        else:
            best = search.grow_events(home, events)
        search.phase_end = None
        if best is None:
            raise SolverError("OR-Tools found no plan at all, not even one serving no visit")
        if in_rounds:
            with _Workers(options.workers) as pool:
                routes = {r.engineer_id: r for r in best.routes}
                best = search.improve_in_rounds(pool, routes, best.total, visits, serviceable)
    if best is not None:
        best = search.last_repair(search.polish(best), visits, serviceable)
    modelled = {v.id for v in visits}
    excluded = sum(
        visit_penalty(v, search.penalties) for v in problem.visits if v.id not in modelled
    )
    return best, (best.total if best else 0) + excluded, search


def solve(
    problem: Problem,
    matrix: Matrix,
    options: SolveOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Plan the day: a pure function of the problem, the travel-time matrix and options.

    ``matrix`` is integer seconds over ``problem.locations``. The returned plan has passed
    ``scheduler.validate``; every visit left out carries a reason.
    """
    options = options or problem.options
    n = len(problem.locations)
    if matrix.shape != (n, n):
        raise ProblemError("travel time matrix", "shape", matrix.shape, f"must be ({n}, {n})")
    search_parameters(options, options.time_limit)  # reject bad option names before work
    best, total, search = _plan(problem, matrix, options, progress)
    routes = best.routes if best else ()
    served = {s.visit_id for r in routes for s in r.stops}
    dropped = [v.id for v in problem.visits if v.id not in served]
    stats = SolverStats(
        status="SUCCESS" if best else "NO_ENGINEERS",
        wall_time=round(time.monotonic() - search.started, 3),
        objective=total if best else None,
        first_solution=options.first_solution,
        metaheuristic=options.metaheuristic,
        events_held=tuple(sorted(best.held)) if best else (),
        solves=search.solves,
    )
    plan = Plan(routes, explain_dropped(problem, routes, matrix, dropped), stats)
    violations = validate(problem, plan, matrix)
    if violations:
        raise SolverError(
            "the optimiser produced a plan that breaks rules (a bug, please report it):\n"
            + "\n".join(f"- {v.message}" for v in violations)
        )
    return plan
