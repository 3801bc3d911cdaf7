"""Solve a problem: decide the events, search with OR-Tools, extract and check the plan.

Community events are decided outside the local search: OR-Tools' local search almost never
switches an all-or-nothing group of nodes on or off once the first solution has decided it
(see docs/solver.md). Each candidate set of held events is solved with those events
mandatory; the sets are enumerated when few, grown greedily otherwise, and compared on the
full objective including the penalties of events not held.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

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
from scheduler.solver.model import ModelContext, build_model
from scheduler.solver.penalties import drop_penalties, visit_penalty
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

FIRST_SOLUTIONS = frozenset(routing_enums_pb2.FirstSolutionStrategy.Value.keys()) - {"UNSET"}
METAHEURISTICS = frozenset(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys()) - {"UNSET"}
WORKERS = 2  # processes for territories: the machines we plan on have two cores or more
TERRITORY_SHARE = 0.5  # of the time limit spent on territories before the joined search


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The best plan of one search over a set of held events."""

    held: frozenset[str]
    visits: tuple[Visit, ...]  # the modelled visits, in node order
    total: int  # OR-Tools objective plus the penalties of events not held
    routes: tuple[Route, ...]
    index_routes: tuple[tuple[int, ...], ...]  # routing indices per engineer, for warm starts


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
    ) -> None:
        self.problem, self.matrix, self.options = problem, matrix, options
        self.vehicles_for = vehicles_for
        self.progress = progress
        self.started = time.monotonic()
        self.solves = 0
        self.penalties = drop_penalties(problem.visits, options.weights.drop_base)

    def remaining(self) -> float:
        """Seconds left of the time limit."""
        return self.options.time_limit - (time.monotonic() - self.started)

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
            self.problem, self.matrix, self.options.weights, visits, self.vehicles_for, held
        )
        routing = ctx.routing
        count, best = [0], [warm.total if warm else None]

        def on_solution() -> None:
            # Report improvements only: guided local search visits many worse solutions.
            count[0] += 1
            cost = int(routing.CostVar().Value())
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
        total = int(solution.ObjectiveValue()) + self.not_held_penalty(events, held)
        return _Attempt(
            held, tuple(visits), total, extract_routes(ctx, solution), tuple(index_routes)
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
            a = self.run(chosen, held, self.remaining() / (len(sets) - i))
            if a is not None and (best is None or a.total < best.total):
                best = a
        return best

    def grow_events(self, home: list[Visit], events: list[Visit]) -> _Attempt | None:
        """Add events one at a time, most urgent first, keeping each that lowers the total."""
        ordered = sorted(events, key=lambda v: (v.priority, v.id))
        share = self.options.time_limit / (len(ordered) + 2)
        best = self.run(home, frozenset(), share)
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
        """Solve ``k`` territories side by side (one process per core), then search the
        whole day from their joined routes for the time left (across the borders)."""
        parts = split_into_territories(self.problem, self.matrix, visits, serviceable, k)
        if len(parts) < 2:
            return None
        workers = max(1, min(WORKERS, len(parts)))
        rounds = math.ceil(len(parts) / workers)
        share = TERRITORY_SHARE * self.remaining() / rounds
        jobs = [(_territory_problem(self.problem, t, share), self.matrix) for t in parts]
        plans = _map(_solve_territory, jobs, workers)
        if plans is None:
            return None
        joined = {r.engineer_id: [s.visit_id for s in r.stops] for p in plans for r in p.routes}
        served = {vid for stops in joined.values() for vid in stops}
        held = frozenset(v.id for v in visits if v.is_event and v.id in served)
        chosen = [v for v in visits if not v.is_event or v.id in held]
        self.report("territories joined", None)
        whole = self.run(chosen, held, max(self.remaining(), 0.5), warm_routes=joined)
        # The territories' plans together are a valid plan of the day too (disjoint engineers
        # and visits, each plan validated): keep them when the whole-day search could not
        # start from them in the time left, or ended worse.
        total = sum(p.stats.objective or 0 for p in plans if p.stats is not None)
        if whole is not None and whole.total <= total:
            return whole
        self.report("territories kept as planned", total)
        order = {e.id: i for i, e in enumerate(self.problem.engineers)}
        routes = sorted((r for p in plans for r in p.routes), key=lambda r: order[r.engineer_id])
        return _Attempt(held, tuple(chosen), total, tuple(routes), ())

    def report(self, stage: str, objective: int | None) -> None:
        if self.progress is not None:
            elapsed = time.monotonic() - self.started
            self.progress(Progress(stage, objective, elapsed, 0))

    def polish(self, best: _Attempt) -> _Attempt:
        """Spend the time left improving the best plan from its own routes."""
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


def _territory_problem(problem: Problem, part: Territory, time_limit: float) -> Problem:
    """The problem restricted to one territory, solved whole for ``time_limit`` seconds."""
    crew = frozenset(part.engineers)
    keep = set(part.visits)
    visits = tuple(
        dataclasses.replace(
            v,
            allowed_engineers=v.allowed_engineers & crew,
            preferred_engineers=v.preferred_engineers & crew,
        )
        for v in problem.visits
        if v.id in keep
    )
    options = dataclasses.replace(
        problem.options, time_limit=max(time_limit, 0.5), decompose_above=None
    )
    return dataclasses.replace(
        problem,
        engineers=tuple(e for e in problem.engineers if e.id in crew),
        visits=visits,
        travel_time_matrix=None,
        options=options,
    )


def _solve_territory(job: tuple[Problem, Matrix]) -> Plan:
    problem, matrix = job
    return solve(problem, matrix, problem.options)


def _map(
    fn: Callable[[tuple[Problem, Matrix]], Plan], jobs: list[tuple[Problem, Matrix]], workers: int
) -> list[Plan] | None:
    """``fn`` over ``jobs`` in ``workers`` processes (spawned: OR-Tools and threads in this
    process are never forked); in this process when one worker or no pool can start."""
    if workers > 1:
        try:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                return list(pool.map(fn, jobs))
        except (OSError, BrokenProcessPool, AssertionError):
            pass  # e.g. a daemonic parent may not have children: solve them here instead
    return [fn(job) for job in jobs]


def _event_sets_largest_first(events: Sequence[Visit]) -> list[frozenset[str]]:
    """Every subset of the events, largest first (ties: most urgent events first)."""
    ids = [e.id for e in sorted(events, key=lambda v: (v.priority, v.id))]
    return [
        frozenset(combo)
        for size in range(len(ids), -1, -1)
        for combo in itertools.combinations(ids, size)
    ]


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
    started = time.monotonic()  # the time limit covers screening too
    static = static_reasons(problem, matrix)
    serviceable = serviceable_engineers(problem, matrix)
    vehicle = {e.id: v for v, e in enumerate(problem.engineers)}
    visits = [v for v in problem.visits if v.id not in static and serviceable.get(v.id)]
    vehicles_for = {v.id: [vehicle[e] for e in serviceable[v.id]] for v in visits}
    events = [v for v in visits if v.is_event]
    home = [v for v in visits if not v.is_event]

    search = _Search(problem, matrix, options, vehicles_for, progress)
    search.started = started
    best: _Attempt | None = None
    k = min(len(problem.engineers), max(2, territory_count(len(visits), len(problem.engineers))))
    if (
        options.decompose_above is not None
        and len(visits) > options.decompose_above
        and k > 1
        and problem.engineers
    ):
        best = search.by_territories(visits, serviceable, k)
    if problem.engineers and best is None:
        if len(events) <= options.event_subsets_max:
            best = search.enumerate_events(home, events)
        else:
            best = search.grow_events(home, events)
        if best is None:
            raise SolverError("OR-Tools found no plan at all, not even one serving no visit")
    if best is not None:
        best = search.polish(best)
    # Visits no plan can serve never enter the model, but their penalty is part of the
    # objective every plan of this problem pays.
    modelled = {v.id for v in visits}
    excluded = sum(
        visit_penalty(v, search.penalties) for v in problem.visits if v.id not in modelled
    )
    routes = best.routes if best else ()
    served = {s.visit_id for r in routes for s in r.stops}
    dropped = [v.id for v in problem.visits if v.id not in served]
    stats = SolverStats(
        status="SUCCESS" if best else "NO_ENGINEERS",
        wall_time=round(time.monotonic() - search.started, 3),
        objective=best.total + excluded if best else None,
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
