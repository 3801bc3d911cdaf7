"""Solve a problem: screen the visits, search with the chosen engine, check and explain.

``solve(problem, matrix, options)`` is a pure function: the options it is given are the
problem's from its first line on (``with_options``), so every part, worker and pass of the
search reads the same options, and the plan's objective is priced by
``scheduler.objective`` with them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence

from scheduler.domain import Plan, Problem, Route, SolveOptions, SolverStats
from scheduler.errors import ProblemError, SolverError
from scheduler.explain import explain_dropped, serviceable_engineers, static_reasons
from scheduler.objective import price
from scheduler.solver.compiled_search import search_compiled
from scheduler.solver.ortools_search import search_ortools, search_parameters
from scheduler.solver.progress import ProgressCallback, Reporter
from scheduler.travel import Matrix
from scheduler.validate import validate


def with_options(problem: Problem, options: SolveOptions | None) -> Problem:
    """``problem`` solved with ``options`` (its own when None): the one place that decides
    the options of a solve."""
    if options is None or options == problem.options:
        return problem
    return dataclasses.replace(problem, options=options)


def solve(
    problem: Problem,
    matrix: Matrix,
    options: SolveOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    start: Mapping[str, Sequence[str]] | None = None,
) -> Plan:
    """Plan the day: a pure function of the problem, the travel-time matrix and options.

    ``matrix`` is integer seconds over ``problem.locations``. The returned plan has passed
    ``scheduler.validate``; every visit left out carries a reason. The progress callback
    hears which engine plans the day and why. ``start`` (engineer id -> visit ids in order)
    gives the compiled search routes to start from, e.g. those of a plan being re-planned.
    """
    problem = with_options(problem, options)
    options = problem.options
    locked = [e.id for e in problem.engineers if e.next_visit is not None]
    if options.engine == "ortools" and locked:
        raise ProblemError(
            f"engineer {locked[0]!r}",
            "next_visit",
            problem.engineer(locked[0]).next_visit,
            "keeps its stop only with the compiled engine (options.engine 'compiled')",
        )
    if options.engine == "ortools" and options.weights.max_lateness_per_second:
        raise ProblemError(
            "options.weights",
            "max_lateness_per_second",
            options.weights.max_lateness_per_second,
            "is priced by the compiled engine only (options.engine 'compiled')",
        )
    n = len(problem.locations)
    if matrix.shape != (n, n):
        raise ProblemError("travel time matrix", "shape", matrix.shape, f"must be ({n}, {n})")
    if options.engine == "ortools":
        search_parameters(options, options.time_limit)  # reject bad option names before work
    report = Reporter(progress)  # the time limit covers screening too
    static = static_reasons(problem, matrix)
    able = serviceable_engineers(problem, matrix)
    visits = [v for v in problem.visits if v.id not in static and able.get(v.id)]
    routes: tuple[Route, ...] = ()
    solves = iterations = 0
    if problem.engineers and visits:
        if options.engine == "compiled":
            report("compiled search: every rule of the day", None)
            compiled = search_compiled(problem, matrix, options, visits, able, report, start)
            routes, iterations = compiled.routes, compiled.iterations
        else:
            report("OR-Tools search (options.engine)", None)
            found = search_ortools(problem, matrix, visits, able, report)
            routes, solves = found.routes, found.solves
    return finish_plan(
        problem,
        matrix,
        routes,
        started=report.started,
        status="SUCCESS" if problem.engineers else "NO_ENGINEERS",
        solves=solves,
        iterations=iterations,
    )


def finish_plan(
    problem: Problem,
    matrix: Matrix,
    routes: Iterable[Route],
    *,
    started: float,
    status: str = "SUCCESS",
    solves: int = 0,
    iterations: int = 0,
    objective_extra: int = 0,
    unpriced: frozenset[str] = frozenset(),
) -> Plan:
    """The plan of ``routes``: ordered by engineer, every visit left out explained, priced
    (the visits in ``unpriced`` cost nothing when left out; ``objective_extra`` cost units
    are added, e.g. prizes not earned), and checked.

    Raises
    ------
    SolverError
        When the routes break a rule (a bug of the search, with every violation listed).
    """
    order = {e.id: i for i, e in enumerate(problem.engineers)}
    ordered = tuple(sorted((r for r in routes if r.stops), key=lambda r: order[r.engineer_id]))
    served = {s.visit_id for r in ordered for s in r.stops}
    dropped = [v.id for v in problem.visits if v.id not in served]
    options = problem.options
    priced = [vid for vid in dropped if vid not in unpriced]
    objective = price(problem, ordered, priced, matrix, options.weights).total + objective_extra
    events = sorted(v.id for v in problem.visits if v.is_event and v.id in served)
    stats = SolverStats(
        status=status,
        wall_time=round(time.monotonic() - started, 3),
        objective=objective if status == "SUCCESS" else None,
        first_solution=options.first_solution,
        metaheuristic=options.metaheuristic,
        events_held=tuple(events),
        solves=solves,
        engine=options.engine,
        iterations=iterations,
    )
    plan = Plan(ordered, explain_dropped(problem, ordered, matrix, dropped), stats)
    violations = validate(problem, plan, matrix)
    if violations:
        raise SolverError(
            "the optimiser produced a plan that breaks rules (a bug, please report it):\n"
            + "\n".join(f"- {v.message}" for v in violations)
        )
    return plan
