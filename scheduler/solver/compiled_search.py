"""The compiled ruin-and-recreate search over a day.

Up to ``options.decompose_above`` visits (or with one worker) the whole day is searched in
this process. Larger days get a whole-day plan first (``params.first_share`` of the
budget), then rounds: each regroups the routes into one group per worker (a new grouping
each round, so work crosses the old borders; engineers sharing a visit stay together),
searches the groups side by side in the worker processes from their routes, keeps a group's
result when it beats its start, and keeps the round when the whole day is better. The
groups of one solve cool as one search.

The budget is the time limit, or, for a repeatable plan, ``params.iterations`` (else the
solution limit) iterations in all, shared the same way; then nothing depends on the clock.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scheduler.domain import Problem, Route, SearchParams, SolveOptions, Visit, Weights
from scheduler.objective import priority_radices
from scheduler.solver import ruin_recreate as kernel
from scheduler.solver.compiled_day import CompiledDay, Found, Token
from scheduler.solver.parts import able_in, part_of_day
from scheduler.solver.progress import Reporter
from scheduler.solver.regroup import regroup
from scheduler.solver.workers import Workers
from scheduler.travel import Matrix

MIN_ROUND_SECONDS = 1.0  # a shorter round cannot even reload its group


@dataclass(frozen=True, slots=True)
class CompiledOutcome:
    """The timed routes of the best plan found, the iterations run for it and the
    processes that searched (process ids)."""

    routes: tuple[Route, ...]
    iterations: int
    processes: frozenset[int]


class _Budget:
    """A solve's budget: seconds left of the time limit, or iterations left."""

    def __init__(self, options: SolveOptions, report: Reporter) -> None:
        self.report = report
        self.limit = options.time_limit
        total = options.params.iterations or options.solution_limit
        self.iterations = total  # None: timed
        self.left = total or 0
        self.spent = 0

    @property
    def timed(self) -> bool:
        return self.iterations is None

    def seconds_left(self) -> float:
        return self.limit - self.report.elapsed()

    def share_done(self) -> float:
        """How much of the budget is used (0..1), for the cooling schedule."""
        if self.iterations is None:
            return min(1.0, self.report.elapsed() / self.limit)
        return min(1.0, self.spent / self.iterations)

    def take(self, iterations: int) -> int:
        got = max(0, min(iterations, self.left))
        self.left -= got
        self.spent += got
        return got


def search_compiled(
    problem: Problem,
    matrix: Matrix,
    options: SolveOptions,
    visits: Sequence[Visit],
    able: Mapping[str, Sequence[str]],
    report: Reporter,
    start: Mapping[str, Sequence[str]] | None = None,
) -> CompiledOutcome:
    """The best plan the compiled search finds for ``visits`` (those a plan can serve;
    ``able`` lists who may serve each), within ``options``' budget, from the routes
    ``start`` (engineer id -> visit ids) when given."""
    params = options.params
    radices = priority_radices(problem.visits)
    day = CompiledDay.of(problem, matrix, visits, able, options.weights, radices, params)
    budget = _Budget(options, report)
    split = (
        options.decompose_above is not None
        and len(visits) > options.decompose_above
        and options.workers > 1
        and len(problem.engineers) >= 4
    )
    share = params.first_share if split else 1.0
    base = options.weights.drop_base
    stage = "compiled search" if not split else "compiled search, whole day"

    def heard(done: int, objective: tuple[int, int]) -> None:
        report(stage, base * objective[0] + objective[1], done)

    if budget.timed:
        seconds = max(0.01, share * options.time_limit - report.elapsed())
        found = day.improve(
            start or {}, seconds=seconds, seed=params.seed, cooling=(0.0, share), progress=heard
        )
    else:
        assert budget.iterations is not None
        first = budget.take(max(1, round(share * budget.iterations)))
        found = day.improve(
            start or {}, iterations=first, seed=params.seed, cooling=(0.0, share), progress=heard
        )
    runs = found.iterations
    processes = {found.process}
    report(stage, _total(found, base), runs)
    if split:
        st = day.load(found.sequences, found.starts)
        scale = day.average_drive(st)
        with Workers(options.workers) as pool:
            found, more, used = _rounds(
                problem, matrix, options, day, found, scale, pool, budget, able
            )
        runs += more
        processes |= used
    return CompiledOutcome(tuple(day.timed(found).values()), runs, frozenset(processes))


def _total(found: Found, base: int) -> int:
    """The objective of ``found`` (cost units; the visits no plan can serve not counted)."""
    return base * found.objective[0] + found.objective[1]


def _better(a: tuple[int, int], b: tuple[int, int], base: int) -> bool:
    """Whether objective ``a`` (penalty units, cost) is below ``b``, exactly."""
    return base * a[0] + a[1] < base * b[0] + b[1]


def _rounds(
    problem: Problem,
    matrix: Matrix,
    options: SolveOptions,
    day: CompiledDay,
    found: Found,
    scale: float,
    pool: Workers,
    budget: _Budget,
    able: Mapping[str, Sequence[str]],
) -> tuple[Found, int, set[int]]:
    """Improve ``found`` in rounds of one group per worker until the budget is spent; the
    best found, the iterations run and the processes that searched."""
    params = options.params
    radices = priority_radices(problem.visits)
    rng = random.Random(params.seed)
    base = options.weights.drop_base
    runs = 0
    rounds = 0
    used: set[int] = set()
    while True:
        groups = pool.count
        if budget.timed:
            left = budget.seconds_left() - 0.5
            if left < MIN_ROUND_SECONDS:
                break
            seconds = left / max(1, math.floor(left / params.round_seconds))
            each: float | int = seconds
            cooling = (budget.share_done(), min(1.0, budget.share_done() + seconds / budget.limit))
        else:
            each = min(params.round_iterations, budget.left // groups)
            if each < 1:
                break
            start_share = budget.share_done()
            budget.take(each * groups)
            cooling = (start_share, budget.share_done())
        routes = found.visit_routes()
        served = {vid for ids in routes.values() for vid in ids}
        unserved = [v for v in day.visits if v.id not in served]
        st = day.load(found.sequences, found.starts)
        busy = {e.id: int(st[5][r, kernel.I_BUSY]) for r, e in enumerate(day.engineers)}
        parts = regroup(
            problem, routes, unserved, able, groups, rng, busy,
            idle_per_group=params.idle_per_group, least_busy=params.least_busy,
        )  # fmt: skip
        jobs = []
        for g, part in enumerate(parts):
            sub, sub_matrix = part_of_day(problem, matrix, part.engineers, part.visits, options)
            crew = set(part.engineers)
            jobs.append(
                _PartJob(
                    sub,
                    sub_matrix,
                    able_in(able, part.engineers, part.visits),
                    options.weights,
                    radices,
                    params,
                    {e: list(found.sequences.get(e, [])) for e in part.engineers},
                    {v: t for v, t in found.starts.items() if _held_by(found, v, crew)},
                    each,
                    params.seed + 1000 * (rounds + 1) + g,
                    scale,
                    cooling,
                )
            )
        results = pool.map(_improve_part, jobs)
        sequences = dict(found.sequences)
        starts = dict(found.starts)
        changed = False
        for part, result in zip(parts, results, strict=True):
            runs += result.iterations
            used.add(result.process)
            if not _better(result.objective, result.start_objective, base):
                continue
            changed = True
            for e in part.engineers:
                sequences[e] = list(result.sequences.get(e, []))
            for vid in [v for v in starts if v in part.visits]:
                del starts[vid]
            starts.update(result.starts)
        rounds += 1
        if changed:
            st = day.load(sequences, starts)
            _, pen, cost = day.objective(st)
            if _better((pen, cost), found.objective, base):
                found = Found(sequences, starts, (pen, cost), found.start_objective)
        budget.report(f"compiled search in parts, round {rounds}", _total(found, base), runs)
    return found, runs, used


def _held_by(found: Found, visit_id: str, crew: set[str]) -> bool:
    return any(visit_id in seq for e, seq in found.sequences.items() if e in crew)


@dataclass(frozen=True)
class _PartJob:
    """What a worker needs to search one group of a round."""

    problem: Problem
    matrix: Matrix
    able: dict[str, list[str]]
    weights: Weights
    radices: Mapping[int, int]
    params: SearchParams
    sequences: dict[str, list[Token]]
    starts: dict[str, tuple[tuple[str, int], ...]]
    budget: float | int  # seconds (float) or iterations (int)
    seed: int
    scale: float
    cooling: tuple[float, float]


def _improve_part(job: _PartJob) -> Found:
    """A group's routes improved by the compiled search from them (in a worker)."""
    began = time.monotonic()
    day = CompiledDay.of(
        job.problem, job.matrix, job.problem.visits, job.able, job.weights, job.radices,
        job.params,
    )  # fmt: skip
    if isinstance(job.budget, int):
        return day.improve(
            job.sequences, job.starts, iterations=job.budget, seed=job.seed, scale=job.scale,
            cooling=job.cooling,
        )  # fmt: skip
    seconds = max(0.01, job.budget - (time.monotonic() - began))
    return day.improve(
        job.sequences, job.starts, seconds=seconds, seed=job.seed, scale=job.scale,
        cooling=job.cooling,
    )  # fmt: skip
