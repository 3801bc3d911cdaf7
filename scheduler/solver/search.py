"""Solve a problem: decide the events, search with OR-Tools, extract and check the plan.

Community events are decided outside the local search: OR-Tools' local search almost never
switches an all-or-nothing group of nodes on or off once the first solution has decided it
(see docs/solver.md). Each candidate set of held events is solved with those events
mandatory; the sets are enumerated when few, grown greedily otherwise, and compared on the
full objective including the penalties of events not held.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
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


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One search over a set of held events."""

    held: frozenset[str]
    objective: int
    total: int  # objective plus penalties of events not held
    routes: tuple[Route, ...]
    solutions: int


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


def _solve_held(
    problem: Problem,
    matrix: Matrix,
    options: SolveOptions,
    visits: Sequence[Visit],
    vehicles_for: dict[str, list[int]],
    held: frozenset[str],
    time_limit: float,
    progress: ProgressCallback | None,
    started: float,
) -> _Attempt | None:
    ctx = build_model(problem, matrix, options.weights, visits, vehicles_for, held)
    routing = ctx.routing
    count = [0]
    best: list[int] = []

    def on_solution() -> None:
        # Report improvements only: guided local search visits many worse solutions.
        count[0] += 1
        cost = int(routing.CostVar().Value())
        if progress is not None and (not best or cost < best[0]):
            best[:] = [cost]
            progress(
                Progress(f"events held: {len(held)}", cost, time.monotonic() - started, count[0])
            )

    routing.AddAtSolutionCallback(on_solution)
    solution = routing.SolveWithParameters(search_parameters(options, time_limit))
    if solution is None:
        return None
    penalties = drop_penalties(problem.visits, options.weights.drop_base)
    not_held = sum(
        visit_penalty(v, penalties) for v in problem.visits if v.is_event and v.id not in held
    )
    objective = int(solution.ObjectiveValue())
    return _Attempt(held, objective, objective + not_held, extract_routes(ctx, solution), count[0])


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
    started = time.monotonic()
    n = len(problem.locations)
    if matrix.shape != (n, n):
        raise ProblemError("travel time matrix", "shape", matrix.shape, f"must be ({n}, {n})")
    search_parameters(options, options.time_limit)  # reject bad option names before work
    static = static_reasons(problem, matrix)
    serviceable = serviceable_engineers(problem, matrix)
    vehicle = {e.id: v for v, e in enumerate(problem.engineers)}
    visits = [v for v in problem.visits if v.id not in static and serviceable.get(v.id)]
    vehicles_for = {v.id: [vehicle[e] for e in serviceable[v.id]] for v in visits}
    events = [v for v in visits if v.is_event]
    home = [v for v in visits if not v.is_event]

    attempts: list[_Attempt] = []
    solves = 0
    if not problem.engineers:
        attempts = []
    elif len(events) <= options.event_subsets_max:
        penalties = drop_penalties(problem.visits, options.weights.drop_base)
        sets = _event_sets_largest_first(events)
        best: _Attempt | None = None
        for i, held in enumerate(sets):
            # Not holding an event costs its penalty whatever the routes: a set whose
            # penalties alone reach the best total so far cannot win.
            floor = sum(visit_penalty(e, penalties) for e in events if e.id not in held)
            if best is not None and floor >= best.total:
                continue
            budget = (options.time_limit - (time.monotonic() - started)) / (len(sets) - i)
            chosen = home + [e for e in events if e.id in held]
            solves += 1
            a = _solve_held(
                problem,
                matrix,
                options,
                chosen,
                vehicles_for,
                held,
                max(budget, 0.1),
                progress,
                started,
            )
            if a is not None:
                attempts.append(a)
                if best is None or a.total < best.total:
                    best = a
    else:
        # Greedy: add events one at a time (most urgent first) while the plan stays
        # feasible and the full objective improves, then spend the rest on the final set.
        ordered = sorted(events, key=lambda v: (v.priority, v.id))
        share = options.time_limit / (len(ordered) + 2)
        held = frozenset[str]()
        best = _solve_held(
            problem, matrix, options, home, vehicles_for, held, share, progress, started
        )
        solves += 1
        for ev in ordered:
            trial = held | {ev.id}
            chosen = home + [e for e in events if e.id in trial]
            a = _solve_held(
                problem, matrix, options, chosen, vehicles_for, trial, share, progress, started
            )
            solves += 1
            if a is not None and (best is None or a.total < best.total):
                best, held = a, trial
        remaining = max(share, options.time_limit - (time.monotonic() - started))
        chosen = home + [e for e in events if e.id in held]
        final = _solve_held(
            problem, matrix, options, chosen, vehicles_for, held, remaining, progress, started
        )
        solves += 1
        attempts = [a for a in (best, final) if a is not None]

    if problem.engineers and not attempts:
        raise SolverError("OR-Tools found no plan at all, not even one serving no visit")
    best_attempt = min(attempts, key=lambda a: (a.total, -len(a.held))) if attempts else None
    # Visits no plan can serve never enter the model, but their penalty is part of the
    # objective every plan of this problem pays.
    penalties = drop_penalties(problem.visits, options.weights.drop_base)
    modelled = {v.id for v in visits}
    excluded = sum(visit_penalty(v, penalties) for v in problem.visits if v.id not in modelled)
    routes = best_attempt.routes if best_attempt else ()
    served = {s.visit_id for r in routes for s in r.stops}
    dropped = [v.id for v in problem.visits if v.id not in served]
    unassigned = explain_dropped(problem, routes, matrix, dropped)
    stats = SolverStats(
        status="SUCCESS" if best_attempt else "NO_ENGINEERS",
        wall_time=round(time.monotonic() - started, 3),
        objective=best_attempt.total + excluded if best_attempt else None,
        first_solution=options.first_solution,
        metaheuristic=options.metaheuristic,
        events_held=tuple(sorted(best_attempt.held)) if best_attempt else (),
        solves=solves,
    )
    plan = Plan(routes=routes, unassigned=tuple(unassigned), stats=stats)
    violations = validate(problem, plan, matrix)
    if violations:
        raise SolverError(
            "the optimiser produced a plan that breaks rules (a bug, please report it):\n"
            + "\n".join(f"- {v.message}" for v in violations)
        )
    return plan
