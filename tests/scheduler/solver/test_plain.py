"""Ruin and recreate on plain days (`scheduler.solver.plain` and `.ruin_recreate`)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections.abc import Mapping, Sequence

import numpy as np

from scheduler.domain import (
    Engineer,
    Location,
    Plan,
    Problem,
    Route,
    SolveOptions,
    TimeWindow,
    Visit,
    Weights,
)
from scheduler.explain import serviceable_engineers
from scheduler.solver.insertion import route_cost
from scheduler.solver.penalties import drop_penalties, visit_penalty
from scheduler.solver.plain import PlainDay, plain_reason, timed_route
from scheduler.solver.search import Progress, solve
from scheduler.timeline import schedule_visits
from scheduler.travel import Matrix
from scheduler.validate import Code, validate
from tests.builders import DAY, engineer, hm, matrix_of, problem, visit


def scattered_day(
    visits: int, engineers: int, seed: int, *, time_limit: float = 2.0
) -> tuple[Problem, Matrix]:
    """A plain day on random points: windows, loads, capacities, route limits, pins, skills."""
    rng = random.Random(seed)
    points = [(rng.uniform(0, 30), rng.uniform(0, 30)) for _ in range(visits + 2)]
    locations = tuple(
        Location(f"q{i}", 60.0 + y / 1000, 24.0 + x / 1000) for i, (x, y) in enumerate(points)
    )
    # Driving seconds: 2 minutes per unit of distance, rounded up (a road matrix need not be
    # symmetric or metric; this one is, nearly).
    matrix = np.array(
        [[math.ceil(120 * math.dist(a, b)) for b in points] for a in points], dtype=np.int64
    )
    team = []
    for k in range(engineers):
        start = hm(7 + k % 3)
        team.append(
            Engineer(
                id=f"e{k}",
                start_location=f"q{k % 2}",
                end_location=f"q{k % 2}",
                shift_start=start,
                shift_end=start + hm(8),
                skills=frozenset({"gas"}) if k % 2 else frozenset(),
                load_capacity=rng.choice([None, 8, 12]),
                max_route_duration=rng.choice([None, hm(6)]),
            )
        )
    jobs = []
    for i in range(visits):
        opens = hm(rng.randint(7, 14))
        windows = (TimeWindow(opens, opens + hm(rng.choice([1, 2, 4]))),) if i % 3 else ()
        jobs.append(
            Visit(
                id=f"v{i}",
                location=f"q{i + 2}",
                duration=60 * rng.choice([20, 30, 45]),
                time_windows=windows,
                required_skills=frozenset({"gas"}) if i % 7 == 0 else frozenset(),
                allowed_engineers=frozenset({"e0", f"e{engineers - 1}"})
                if i % 11 == 5
                else frozenset(),
                priority=rng.randint(1, 5),
                load=rng.randint(0, 3),
            )
        )
    p = Problem(
        date=DAY,
        locations=locations,
        engineers=tuple(team),
        visits=tuple(jobs),
        options=SolveOptions(time_limit=time_limit, solution_limit=None, weights=Weights()),
    )
    return p, matrix


def run(
    p: Problem, matrix: Matrix, routes: Mapping[str, Sequence[str]], iterations: int
) -> tuple[dict[str, Route], int, int]:
    """The kernel from ``routes`` for ``iterations``: timed routes, start and end objective."""
    penalties = drop_penalties(p.visits, p.options.weights.drop_base)
    day = PlainDay.of(p, matrix, p.visits, serviceable_engineers(p, matrix), penalties)
    found, start, end = day.improve(routes, 0.0, iterations=iterations)
    index = p.location_index()
    by_id = {v.id: v for v in p.visits}
    timed = {
        e.id: timed_route(e, [by_id[v] for v in found[e.id]], matrix, index)
        for e in p.engineers
        if found[e.id]
    }
    return timed, start, end


def objective(p: Problem, matrix: Matrix, routes: Mapping[str, Route]) -> int:
    """The model's objective, recomputed from the routes: costs plus left-out penalties."""
    index, by_id = p.location_index(), {v.id: v for v in p.visits}
    penalties = drop_penalties(p.visits, p.options.weights.drop_base)
    total, served = 0, set()
    for eid, r in routes.items():
        order = [by_id[s.visit_id] for s in r.stops]
        served |= {v.id for v in order}
        schedule = schedule_visits(p.engineer(eid), order, matrix, index)
        total += route_cost(p.engineer(eid), order, schedule, matrix, index, p.options.weights)
    return total + sum(visit_penalty(v, penalties) for v in p.visits if v.id not in served)


def broken_rules(p: Problem, matrix: Matrix, routes: Mapping[str, Route]) -> list[str]:
    """The validator's findings, except visits merely left out."""
    plan = Plan(tuple(routes.values()), (), None)
    return [v.message for v in validate(p, plan, matrix) if v.code != Code.MISSING]


def test_a_route_departs_as_late_as_its_first_window_allows() -> None:
    # Two steps (20 min) to p2, whose window opens at 10:00: leaving at 8:00 would wait 100 min.
    e = dataclasses.replace(engineer("a"), max_route_duration=hm(1, 30))
    p = problem([e], [visit("v", 2, windows=[(hm(10), hm(10, 30))])], solution_limit=None)
    m = matrix_of(p)
    r = timed_route(e, list(p.visits), m, p.location_index())
    assert (r.departure, r.stops[0].start, r.return_) == (hm(9, 40), hm(10), hm(10, 50))
    assert broken_rules(p, m, {"a": r}) == []


def test_the_search_finds_the_best_plan_of_a_small_day() -> None:
    p, m = scattered_day(6, 2, seed=3)
    index = p.location_index()
    best = math.inf
    # Every split of the visits between the two engineers, in every order.
    for mask in range(2 ** len(p.visits)):
        parts = [[v for i, v in enumerate(p.visits) if (mask >> i) & 1 == k] for k in (0, 1)]
        cost: float = 0
        for e, part in zip(p.engineers, parts, strict=True):
            options = []
            for order in itertools.permutations(part):
                able = all(not v.required_skills or v.required_skills <= e.skills for v in order)
                able = able and all(
                    not v.allowed_engineers or e.id in v.allowed_engineers for v in order
                )
                load = sum(v.load for v in order)
                if not able or (e.load_capacity is not None and load > e.load_capacity):
                    continue
                timing = schedule_visits(e, order, m, index) if order else None
                if timing is not None and not timing.feasible:
                    continue
                r = timed_route(e, order, m, index)
                if (
                    e.max_route_duration
                    and order
                    and r.return_ - r.departure > e.max_route_duration
                ):
                    continue
                options.append(route_cost(e, order, timing, m, index, p.options.weights))
            cost = cost + min(options) if options else math.inf
        best = min(best, cost)
    assert best < math.inf, "the test day must be feasible with every visit served"
    routes, _, end = run(p, m, {}, iterations=3000)
    assert sum(len(r.stops) for r in routes.values()) == len(p.visits)
    assert end == best
    assert objective(p, m, routes) == end


def test_the_search_keeps_every_rule_and_prices_as_the_model() -> None:
    p, m = scattered_day(60, 6, seed=11)
    routes, _, end = run(p, m, {}, iterations=4000)
    assert broken_rules(p, m, routes) == []
    assert objective(p, m, routes) == end
    # From its own plan, more search never makes the plan worse.
    orders = {e: [s.visit_id for s in r.stops] for e, r in routes.items()}
    again, start2, end2 = run(p, m, orders, iterations=2000)
    assert start2 == end and end2 <= end
    assert broken_rules(p, m, again) == []


def test_a_visit_no_van_can_carry_stays_out_and_the_rest_is_served() -> None:
    p, m = scattered_day(20, 3, seed=5)
    too_heavy = dataclasses.replace(p.visits[4], load=99)
    small_vans = tuple(dataclasses.replace(e, load_capacity=20) for e in p.engineers)
    p = dataclasses.replace(
        p, engineers=small_vans, visits=(*p.visits[:4], too_heavy, *p.visits[5:])
    )
    routes, _, end = run(p, m, {}, iterations=2000)
    served = {s.visit_id for r in routes.values() for s in r.stops}
    assert too_heavy.id not in served
    assert broken_rules(p, m, routes) == []
    assert objective(p, m, routes) == end


def test_only_days_without_breaks_events_or_soft_windows_are_plain() -> None:
    plain = problem([engineer("a")], [visit("v", 1, windows=[(hm(9), hm(11))])])
    assert plain_reason(plain, plain.engineers, plain.visits) is None
    cases = {
        "takes breaks": ([engineer("a", lunch=(30, hm(11), hm(14)))], [visit("v", 1)]),
        "overtime": ([engineer("a", overtime_min=60)], [visit("v", 1)]),
        "soft window": ([engineer("a")], [visit("v", 1, windows=[(hm(9), hm(10))], soft=True)]),
        "several time windows": (
            [engineer("a")],
            [visit("v", 1, windows=[(hm(9), hm(10)), (hm(13), hm(14))])],
        ),
        "community event": ([engineer("a"), engineer("b")], [visit("v", 1, k=2)]),
        "prefers": ([engineer("a")], [visit("v", 1, preferred=["a"])]),
    }
    for words, (team, jobs) in cases.items():
        p = problem(team, jobs)
        reason = plain_reason(p, p.engineers, p.visits)
        assert reason is not None and words in reason, (words, reason)


def test_solve_plans_a_plain_day_by_ruin_and_recreate_and_others_with_or_tools() -> None:
    stages: list[str] = []

    def seen(p: Progress) -> None:
        stages.append(p.stage)

    p, m = scattered_day(30, 4, seed=2, time_limit=1.0)
    p = dataclasses.replace(p, travel_time_matrix=tuple(tuple(int(x) for x in row) for row in m))
    plan = solve(p, m, progress=seen)  # solve validates its plan
    assert "ruin and recreate" in stages
    assert plan.stats is not None and plan.stats.objective == objective(
        p, m, {r.engineer_id: r for r in plan.routes}
    )
    stages.clear()
    lunch = tuple(
        dataclasses.replace(e, breaks=engineer("x", lunch=(30, hm(11), hm(14))).breaks)
        for e in p.engineers
    )
    solve(dataclasses.replace(p, engineers=lunch), m, progress=seen)
    assert "ruin and recreate" not in stages


def test_a_large_plain_day_is_searched_in_halves_on_both_cores() -> None:
    stages: list[str] = []

    def seen(p: Progress) -> None:
        stages.append(p.stage)

    p, m = scattered_day(450, 40, seed=7, time_limit=6.0)
    plan = solve(p, m, progress=seen)  # solve validates its plan
    assert "ruin and recreate in halves, round 1" in stages
    assert plan.stats is not None and plan.stats.objective == objective(
        p, m, {r.engineer_id: r for r in plan.routes}
    )
