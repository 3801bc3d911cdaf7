"""The OR-Tools search (``options.engine == "ortools"``): kept as an option and as the test
oracle of the compiled search.

Community events are decided outside the local search: OR-Tools' local search almost never
switches an all-or-nothing group of nodes on or off once the first solution has decided it
(docs/solver.md). Each candidate set of held events is solved with those events mandatory;
the sets are enumerated when few, grown greedily otherwise, and compared on the whole day's
objective (``scheduler.objective``, exact integers).

Large days are planned in parts on the workers: territories first, then rounds that regroup
the routes into neighbourhoods and improve them side by side; left-out visits are inserted
between rounds where routes have room (``insertion``). With a solution limit every search
stops at it or at a count of search branches (never at the clock) and the rounds are
``REPEATABLE_ROUNDS``, so the plan is the same however busy the machine.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from scheduler.domain import BreakTaken, Problem, Route, SolveOptions, Stop, Visit
from scheduler.errors import ProblemError, SolverError
from scheduler.objective import drop_penalty, priority_radices
from scheduler.objective import price as price_plan
from scheduler.solver.insertion import insert_left_out
from scheduler.solver.model import ModelContext, build_model
from scheduler.solver.parts import able_in, part_of_day
from scheduler.solver.progress import Reporter
from scheduler.solver.regroup import regroup
from scheduler.solver.territories import Territory, split_into_territories, territory_count
from scheduler.solver.workers import Workers
from scheduler.timeline import arrival_on_site
from scheduler.travel import Matrix

FIRST_SOLUTIONS = frozenset(routing_enums_pb2.FirstSolutionStrategy.Value.keys()) - {"UNSET"}
METAHEURISTICS = frozenset(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys()) - {"UNSET"}
# Shares of the time limit (design, measured in docs/benchmarks.md; tuning is in params).
TERRITORY_SHARE = 0.2  # planning territories, before the rounds
ROUND_SECONDS = 3.0  # per group and round, about (stretched so the rounds end with the limit)
BASE_SHARE = 0.3  # growing events: the plan without events, from nothing
TERRITORY_MIN = 6.0  # seconds per territory, up to half the time limit in all
TERRITORY_HORIZON = 120.0  # seconds: longer limits plan territories as a 120 s one does
MIN_ROUND_SECONDS = 1.0  # a shorter search cannot even restore a group's routes
WHOLE_SHARE = 0.4  # of the time limit for the whole-day search before rounds (mid-sized)
# The left-out pass: on the city day the first pass after the territories places more with
# 10 s than with 3 s (about 200 visits are out then); later passes need less.
REPAIR_SHARE = 0.05  # of the time limit, kept back for the last pass
REPAIR_MAX = 10.0  # seconds
FIRST_REPAIR_SHARE = 0.15  # of the time limit, for the first pass before the rounds
REPAIR_PASSES = 5  # at most, each while the last one gained
REPEATABLE_ROUNDS = 2  # rounds of a repeatable (solution-limited) large day
UNLIMITED_S = 24 * 3600.0  # an OR-Tools time limit that never binds (repeatable searches)
# A repeatable search also stops after this many search branches per solution asked for:
# some models yield solutions so rarely that only a limit of work stops them (measured: 1,000
# branches took 5 s on examples/small_day.json).
BRANCHES_PER_SOLUTION = 5


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The best plan of one search over a set of held events: its whole-day total."""

    held: frozenset[str]
    visits: tuple[Visit, ...]  # the modelled visits, in node order
    total: int
    routes: tuple[Route, ...]
    index_routes: tuple[tuple[int, ...], ...]  # routing indices per engineer, for warm starts


@dataclass(frozen=True, slots=True)
class OrToolsOutcome:
    """The routes found, the events held and the OR-Tools searches run."""

    routes: tuple[Route, ...]
    held: frozenset[str]
    solves: int


@dataclass(frozen=True, slots=True)
class _Part:
    """A territory's or group's plan from a worker: its engineers, their routes, its total
    and (for groups) that of the routes it started from, in whole-day units."""

    engineers: tuple[str, ...]
    routes: tuple[Route, ...]
    total: int
    start_total: int | None = None
    solves: int = 1


def search_parameters(
    options: SolveOptions, time_limit: float
) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools search parameters from the options; ``time_limit`` in seconds (ignored for a
    repeatable search, which stops at the solution limit only)."""
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
    seconds = UNLIMITED_S if options.solution_limit is not None else time_limit
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if options.solution_limit is not None:
        params.solution_limit = options.solution_limit
    return params


def add_work_limit(routing: pywrapcp.RoutingModel, options: SolveOptions) -> None:
    """With a solution limit, also stop after ``BRANCHES_PER_SOLUTION`` branches per solution
    (at least 1,000): a repeatable search never waits for the clock."""
    if options.solution_limit is not None:
        branches = max(1000, BRANCHES_PER_SOLUTION * options.solution_limit)
        routing.AddSearchMonitor(routing.solver().BranchesLimit(branches))


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
            travel = int(ctx.matrix[prev_row, node.location_row])
            arrival = arrival_on_site(prev_end, travel, start, breaks)
            assert node.visit_id is not None
            stops.append(Stop(node.visit_id, arrival, start, start + node.service, node.copy))
            prev_end, prev_row = start + node.service, node.location_row
            index = solution.Value(routing.NextVar(index))
        return_ = solution.Value(time_dim.CumulVar(index)) + ctx.origin
        routes.append(Route(engineer.id, departure, return_, tuple(stops), tuple(breaks)))
    return tuple(routes)


class _Search:
    """One solve's OR-Tools searches, sharing a clock and the whole day's pricing."""

    def __init__(
        self,
        problem: Problem,
        matrix: Matrix,
        able: Mapping[str, Sequence[str]],
        report: Reporter,
        radices: Mapping[int, int] | None = None,
    ) -> None:
        self.problem, self.matrix, self.options = problem, matrix, problem.options
        vehicle = {e.id: v for v, e in enumerate(problem.engineers)}
        self.able = able
        self.vehicles_for = {
            vid: [vehicle[e] for e in es if e in vehicle] for vid, es in able.items()
        }
        self.report = report
        self.solves = 0
        self.phase_end: float | None = None  # monotonic seconds
        self.reserve = 0.0  # seconds kept back for the last repair pass
        # A part of a day is priced with the whole day's radices, so that totals add up.
        self.radices = dict(radices or priority_radices(problem.visits))

    def remaining(self) -> float:
        """Seconds left of the time limit, or of the current phase when it ends earlier."""
        now = time.monotonic()
        left = self.options.time_limit - self.report.elapsed() - self.reserve
        return left if self.phase_end is None else min(left, self.phase_end - now)

    def total(self, routes: Iterable[Route], modelled: Iterable[Visit]) -> int:
        """The whole-day objective of ``routes`` with the ``modelled`` visits they leave out
        (the visits no plan can serve are the same for every attempt and not counted)."""
        routes = tuple(routes)
        served = {s.visit_id for r in routes for s in r.stops}
        dropped = [v.id for v in modelled if v.id not in served]
        return price_plan(
            self.problem, routes, dropped, self.matrix, self.options.weights, self.radices
        ).total

    def run(
        self,
        visits: Sequence[Visit],
        held: frozenset[str],
        time_limit: float,
        warm: _Attempt | None = None,
        warm_routes: Mapping[str, Sequence[str]] | None = None,
        modelled: Sequence[Visit] | None = None,
    ) -> _Attempt | None:
        """Search with ``held`` events mandatory for ``time_limit`` seconds, from ``warm``'s
        routes (same visits and events) or ``warm_routes`` when given. ``modelled`` are the
        visits whose absence the total counts (default: ``visits``)."""
        self.solves += 1
        ctx = build_model(
            self.problem, self.matrix, self.options.weights, visits, self.vehicles_for, held
        )
        routing = ctx.routing
        count: list[int] = [0]
        best: list[int | None] = [None]

        def on_solution() -> None:
            # Report improvements only (in the model's own units): guided local search
            # visits many worse solutions.
            count[0] += 1
            cost = int(routing.CostVar().Value())
            if best[0] is None or cost < best[0]:
                best[0] = cost
                self.report(f"events held: {len(held)}", cost, count[0])

        routing.AddAtSolutionCallback(on_solution)
        params = search_parameters(self.options, max(time_limit, 0.1))
        add_work_limit(routing, self.options)
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
        routes = extract_routes(ctx, solution)
        everything = modelled if modelled is not None else visits
        return _Attempt(
            held, tuple(visits), self.total(routes, everything), routes, tuple(index_routes)
        )

    def not_held(self, events: Sequence[Visit], held: frozenset[str]) -> int:
        """The drop penalties of the events not in ``held`` (cost units)."""
        w = self.options.weights
        return sum(drop_penalty(e, self.radices, w) for e in events if e.id not in held)

    def enumerate_events(self, home: list[Visit], events: list[Visit]) -> _Attempt | None:
        """Every subset of events, largest first; a subset whose not-held penalties alone
        reach the best total so far is skipped (it cannot win)."""
        sets = _event_sets_largest_first(events)
        best: _Attempt | None = None
        everything = home + events
        for i, held in enumerate(sets):
            if best is not None and self.not_held(events, held) >= best.total:
                continue
            chosen = home + [e for e in events if e.id in held]
            # The first search plans from nothing: it needs the largest share.
            share = self.remaining() / (len(sets) - i)
            seconds = max(share, BASE_SHARE * self.remaining()) if i == 0 else share
            a = self.run(chosen, held, seconds, modelled=everything)
            if a is not None and (best is None or a.total < best.total):
                best = a
        return best

    def grow_events(self, home: list[Visit], events: list[Visit]) -> _Attempt | None:
        """Add events one at a time, most urgent first, keeping each that lowers the total."""
        ordered = sorted(events, key=lambda v: (v.priority, v.id))
        everything = home + ordered
        # The first search plans every home visit from nothing: it needs the largest share.
        base = max(self.remaining() / (len(ordered) + 2), BASE_SHARE * self.remaining())
        best = self.run(home, frozenset(), base, modelled=everything)
        share = self.remaining() / (len(ordered) + 1)
        for ev in ordered:
            held = (best.held if best else frozenset()) | {ev.id}
            chosen = home + [e for e in ordered if e.id in held]
            a = self.run(chosen, held, share, modelled=everything)
            if a is not None and (best is None or a.total < best.total):
                best = a
        return best

    def by_territories(self, visits: Sequence[Visit], k: int, pool: Workers) -> _Attempt | None:
        """Plan ``k`` territories side by side, then improve the joined plan in rounds."""
        params = self.options.params
        parts = split_into_territories(
            self.problem, self.matrix, visits, self.able, k, params.territory_size
        )
        if len(parts) < 2:
            return None
        waves = math.ceil(len(parts) / pool.count)
        # Each territory needs time for a first plan, more so with events to decide. Time
        # beyond TERRITORY_HORIZON goes to the rounds: territories planned longer apart left
        # more for the rounds to mend (measured on the city day).
        budget = min(self.remaining(), TERRITORY_HORIZON)
        share = max(TERRITORY_SHARE * budget, min(TERRITORY_MIN * waves, 0.5 * budget)) / waves
        jobs = [self.part_job(t, share, urgent_first=True) for t in parts]
        planned = pool.map(_plan_territory, jobs)
        self.solves += sum(part.solves for part in planned)
        routes = {r.engineer_id: r for part in planned for r in part.routes}
        total = self.total(routes.values(), visits)
        self.report("territories joined", total)
        return self.improve_in_rounds(pool, routes, visits)

    def part_job(
        self,
        part: Territory,
        seconds: float,
        *,
        urgent_first: bool = False,
        routes: Mapping[str, Route] | None = None,
    ) -> _PartJob:
        """A territory or group as a worker gets it: its part of the day (to be searched for
        ``seconds``), who in it may serve each visit, and its engineers' current routes."""
        options = dataclasses.replace(self.options, time_limit=max(seconds, 0.5))
        sub, sub_matrix = part_of_day(
            self.problem, self.matrix, part.engineers, part.visits, options
        )
        if urgent_first and len({v.priority for v in sub.visits}) > 1:
            sub = dataclasses.replace(
                sub,
                options=dataclasses.replace(sub.options, first_solution="LOCAL_CHEAPEST_INSERTION"),
            )
        current = None
        if routes is not None:
            current = tuple(routes[e] for e in part.engineers if e in routes)
        return _PartJob(
            sub, sub_matrix, able_in(self.able, part.engineers, part.visits), self.radices, current
        )

    def improve_in_rounds(
        self, pool: Workers, routes: dict[str, Route], visits: Sequence[Visit]
    ) -> _Attempt:
        """Improve ``routes`` until the time is up (a repeatable search: for
        ``REPEATABLE_ROUNDS``): each round regroups them into neighbourhoods of about
        ``params.group_size`` visits and searches the groups side by side from their routes,
        keeping a group's result only when it is better."""
        params = self.options.params
        repeatable = self.options.repeatable
        rng = random.Random(params.seed)  # groupings differ round to round, runs repeat
        rounds = 0
        while True:
            if repeatable and rounds >= REPEATABLE_ROUNDS:
                break
            if not repeatable and self.remaining() - 0.5 < MIN_ROUND_SECONDS:
                break  # no round fits: the last pass follows
            # Visits left out by one part may fit where another part has room, or in place
            # of a less urgent visit: cheap to find, and the round then improves around them.
            # The first pass, after the territories, has the most to place.
            first = FIRST_REPAIR_SHARE * self.options.time_limit if rounds == 0 else 0.0
            first = min(first, 2 * REPAIR_MAX)
            seconds = min(max(self.repair_seconds(), first), self.remaining() / 2)
            if self.fill_gaps(routes, visits, seconds):
                self.report("left-out visits inserted", self.total(routes.values(), visits))
            self.release_reserve(routes.values(), visits)
            groups = pool.count * max(1, round(len(visits) / (params.group_size * pool.count)))
            waves = math.ceil(groups / pool.count)
            # As many rounds of about ROUND_SECONDS per group as fit, stretched to end with
            # the time limit: a round that does not fit whole would leave cores idle.
            left = self.remaining() - 0.5
            seconds = left / (waves * max(1, math.floor(left / (waves * ROUND_SECONDS))))
            if not repeatable and seconds < MIN_ROUND_SECONDS:
                break
            stops = {e: [s.visit_id for s in r.stops] for e, r in routes.items()}
            served = {vid for ids in stops.values() for vid in ids}
            unserved = [v for v in visits if not v.is_event and v.id not in served]
            workload = {e: r.return_ - r.departure for e, r in routes.items() if r.stops}
            parts = regroup(
                self.problem, stops, unserved, self.able, groups, rng, workload,
                idle_per_group=params.idle_per_group, least_busy=params.least_busy,
            )  # fmt: skip
            jobs = [self.part_job(g, seconds, routes=routes) for g in parts]
            improved = pool.map(_improve_group, jobs)
            self.solves += len(improved)
            _take_better(routes, improved)
            rounds += 1
            self.report(
                f"improved across borders, round {rounds}", self.total(routes.values(), visits)
            )
        served = {s.visit_id for r in routes.values() for s in r.stops}
        held = frozenset(v.id for v in visits if v.is_event and v.id in served)
        order = {e.id: i for i, e in enumerate(self.problem.engineers)}
        ordered = tuple(
            sorted((r for r in routes.values() if r.stops), key=lambda r: order[r.engineer_id])
        )
        chosen = [v for v in visits if not v.is_event or v.id in held]
        return _Attempt(held, tuple(chosen), self.total(ordered, visits), ordered, ())

    def repair_seconds(self) -> float:
        """Time for one pass of ``fill_gaps``: the share kept back for the last one."""
        return min(REPAIR_SHARE * self.options.time_limit, REPAIR_MAX)

    def fill_gaps(self, routes: dict[str, Route], visits: Sequence[Visit], seconds: float) -> bool:
        """Insert left-out home visits into ``routes`` (changed in place), for at most
        ``seconds`` (no limit in a repeatable search); whether the objective fell."""
        if self.options.weights.balance_per_second:
            return False  # the longest day's cost belongs to no one route: not priced here
        served = {s.visit_id for r in routes.values() for s in r.stops}
        left_out = [v for v in visits if not v.is_event and v.id not in served]
        if not left_out:
            return False
        deadline = None if self.options.repeatable else time.monotonic() + seconds
        gained = False
        # Again while it gains: visits taken out, and routes changed, open new places.
        for _ in range(REPAIR_PASSES):
            repaired = insert_left_out(
                self.problem, self.matrix, routes, left_out, self.able, self.radices,
                params=self.options.params, deadline=deadline,
            )  # fmt: skip
            routes.clear()
            routes.update(repaired.routes)
            gained = gained or repaired.delta < 0
            taken = set(repaired.taken_out)
            inserted = set(repaired.inserted)
            left_out = [v for v in left_out if v.id not in inserted]
            left_out += [v for v in visits if v.id in taken]
            if not repaired.delta or not left_out:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
        return gained

    def last_repair(self, best: _Attempt, visits: Sequence[Visit]) -> _Attempt:
        """``best`` with the left-out visits that fit inserted, in the time kept for it."""
        self.reserve = 0.0
        routes = {r.engineer_id: r for r in best.routes}
        if not self.fill_gaps(routes, visits, max(self.remaining(), 0.1)):
            return best
        order = {e.id: i for i, e in enumerate(self.problem.engineers)}
        ordered = tuple(
            sorted((r for r in routes.values() if r.stops), key=lambda r: order[r.engineer_id])
        )
        total = self.total(ordered, visits)
        self.report("left-out visits inserted, last pass", total)
        return dataclasses.replace(best, total=total, routes=ordered, index_routes=())

    def release_reserve(self, routes: Iterable[Route], visits: Sequence[Visit]) -> None:
        """With every home visit served the last pass has nothing to do, so its time goes to
        the search (should a later round leave a visit out, the pass still gets 0.1 s)."""
        served = {s.visit_id for r in routes for s in r.stops}
        if all(v.id in served for v in visits if not v.is_event):
            self.reserve = 0.0

    def polish(self, best: _Attempt) -> _Attempt:
        """Spend the time left improving the best plan from its own routes (a repeatable
        search: one more search, to its solution limit)."""
        self.release_reserve(best.routes, best.visits)
        if not best.index_routes:
            return best
        if not self.options.repeatable and self.remaining() < 0.5:
            return best
        a = self.run(best.visits, best.held, self.remaining(), warm=best)
        return a if a is not None and a.total <= best.total else best


def search_ortools(
    problem: Problem,
    matrix: Matrix,
    visits: Sequence[Visit],
    able: Mapping[str, Sequence[str]],
    report: Reporter,
) -> OrToolsOutcome:
    """The best plan the OR-Tools search finds for ``visits`` (those a plan can serve)."""
    options = problem.options
    params = options.params
    search = _Search(problem, matrix, able, report)
    search.reserve = search.repair_seconds()
    events = [v for v in visits if v.is_event]
    home = [v for v in visits if not v.is_event]
    k = min(
        len(problem.engineers),
        max(2, territory_count(len(visits), len(problem.engineers), params.territory_size)),
    )
    best: _Attempt | None = None
    with Workers(options.workers) as pool:
        if options.decompose_above is not None and len(visits) > options.decompose_above and k > 1:
            best = search.by_territories(visits, k, pool)
        # Mid-sized days: one search of the whole day, then rounds of regrouped improvement.
        in_rounds = (
            options.decompose_above is not None
            and len(visits) > params.rounds_above
            and len(problem.engineers) >= 4
        )
        if best is None:
            if in_rounds:
                search.phase_end = time.monotonic() + WHOLE_SHARE * options.time_limit
            if len(events) <= options.event_subsets_max:
                best = search.enumerate_events(home, events)
            else:
                best = search.grow_events(home, events)
            search.phase_end = None
            if best is None:
                raise SolverError("OR-Tools found no plan at all, not even one serving no visit")
            if in_rounds:
                routes = {r.engineer_id: r for r in best.routes}
                best = search.improve_in_rounds(pool, routes, visits)
    best = search.last_repair(search.polish(best), visits)
    return OrToolsOutcome(best.routes, best.held, search.solves)


@dataclass(frozen=True)
class _PartJob:
    """A territory or group as a worker gets it (see ``_Search.part_job``)."""

    problem: Problem
    matrix: Matrix
    able: dict[str, list[str]]
    radices: Mapping[int, int]
    routes: tuple[Route, ...] | None  # a group's current routes; None for a territory


def _index_routes(ctx: ModelContext, routes: Mapping[str, Sequence[str]]) -> list[list[int]]:
    """Routing indices per engineer for routes given as visit ids (event copies in turn)."""
    copies = {vid: iter(nodes) for vid, nodes in ctx.visit_nodes.items()}
    return [
        [ctx.index(next(copies[vid])) for vid in routes.get(e.id, ()) if vid in copies]
        for e in ctx.engineers
    ]


def _plan_territory(job: _PartJob) -> _Part:
    """A territory planned from scratch (in a worker)."""
    problem = job.problem
    engineers = tuple(e.id for e in problem.engineers)
    search = _Search(problem, job.matrix, job.able, Reporter(None), job.radices)
    visits = [v for v in problem.visits if job.able.get(v.id)]
    events = [v for v in visits if v.is_event]
    home = [v for v in visits if not v.is_event]
    try:
        if len(events) <= problem.options.event_subsets_max:
            best = search.enumerate_events(home, events)
        else:
            best = search.grow_events(home, events)
    except SolverError:
        best = None
    if best is None:
        # No first plan in the time given: the territory starts empty, the rounds fill it.
        return _Part(engineers, (), search.total((), visits), None, search.solves)
    best = search.polish(best)
    return _Part(engineers, best.routes, best.total, None, search.solves)


def _improve_group(job: _PartJob) -> _Part:
    """A group's routes improved by a search starting from them (in a worker); events served
    stay held. ``start_total`` is None when the search could not start from them."""
    problem = job.problem
    current = job.routes or ()
    routes = {r.engineer_id: [s.visit_id for s in r.stops] for r in current}
    served = {vid for ids in routes.values() for vid in ids}
    visits = [v for v in problem.visits if not v.is_event or v.id in served]
    held = frozenset(v.id for v in visits if v.is_event)
    search = _Search(problem, job.matrix, job.able, Reporter(None), job.radices)
    everything = list(problem.visits)
    a = search.run(
        visits, held, problem.options.time_limit, warm_routes=routes, modelled=everything
    )
    engineers = tuple(e.id for e in problem.engineers)
    if a is None:
        return _Part(engineers, (), 0, None)
    return _Part(engineers, a.routes, a.total, search.total(current, everything))


def _take_better(routes: dict[str, Route], parts: Iterable[_Part]) -> None:
    """Put each part that beat its start into ``routes`` (changed in place)."""
    for part in parts:
        if part.start_total is None or part.total >= part.start_total:
            continue
        for e in part.engineers:
            routes.pop(e, None)
        routes.update((r.engineer_id, r) for r in part.routes)


def _event_sets_largest_first(events: Sequence[Visit]) -> list[frozenset[str]]:
    """Every subset of the events, largest first (ties: most urgent events first)."""
    ids = [e.id for e in sorted(events, key=lambda v: (v.priority, v.id))]
    return [
        frozenset(combo)
        for size in range(len(ids), -1, -1)
        for combo in itertools.combinations(ids, size)
    ]
