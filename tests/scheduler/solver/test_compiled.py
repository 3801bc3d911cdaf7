"""The compiled ruin-and-recreate search (`scheduler.solver.ruin_recreate` and friends).

Oracles independent of the search: the brute-force optimum over every assignment, order and
event start, each order timed by `scheduler.timeline` and priced by `scheduler.objective`;
the validator; and the objective recomputed from the timed plan. Every search is bounded by
iterations, never by the clock.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import random
from collections.abc import Sequence

import numpy as np
import pytest

from scheduler.domain import (
    Break,
    Engineer,
    Location,
    Plan,
    Previous,
    Problem,
    Reason,
    Route,
    SearchParams,
    SolveOptions,
    TimeWindow,
    Unassigned,
    Visit,
    VisitKind,
    Weights,
)
from scheduler.explain import serviceable_engineers, static_reasons
from scheduler.objective import price, priority_radices
from scheduler.solver import Progress, solve
from scheduler.solver.compiled_day import CompiledDay
from scheduler.solver.compiled_search import search_compiled
from scheduler.solver.progress import Reporter
from scheduler.timeline import schedule_visits
from scheduler.travel import Matrix
from scheduler.validate import validate
from tests.builders import DAY, hm

RULES = (
    "plain",
    "breaks",
    "overtime",
    "soft windows",
    "several windows",
    "preferred",
    "fixed cost",
    "balance",
    "event",
)


def tiny_day(rule: str, seed: int) -> tuple[Problem, Matrix]:
    """Two engineers and four home visits on random points, with ``rule`` in force (an event
    needing both engineers for "event")."""
    rng = random.Random(seed)
    points = [(rng.uniform(0, 20), rng.uniform(0, 20)) for _ in range(7)]
    locations = tuple(
        Location(f"q{i}", 60.0 + y / 1000, 24.0 + x / 1000) for i, (x, y) in enumerate(points)
    )
    # Two minutes per unit, rounded up, plus a random detour: not symmetric, not metric.
    matrix = np.array(
        [
            [
                0 if a == b else math.ceil(120 * math.dist(a, b)) + rng.randint(0, 300)
                for b in points
            ]
            for a in points
        ],
        dtype=np.int64,
    )
    breaks = (Break(30 * 60, hm(11), hm(13)),) if rule == "breaks" else ()
    team = tuple(
        Engineer(
            id=f"e{k}",
            start_location="q0",
            end_location="q0",
            shift_start=hm(8),
            shift_end=hm(12) if rule == "overtime" else hm(14),
            breaks=breaks,
            overtime_max=hm(1) if rule == "overtime" else 0,
        )
        for k in range(2)
    )
    jobs = []
    for i in range(4):
        opens = hm(rng.choice([8, 9, 10, 11]))
        windows: tuple[TimeWindow, ...] = (TimeWindow(opens, opens + hm(rng.choice([1, 2]))),)
        if rule == "several windows" and i % 2 == 0:
            windows = (TimeWindow(hm(8), hm(8, 30)), TimeWindow(hm(11), hm(12)))
        jobs.append(
            Visit(
                id=f"v{i}",
                location=f"q{i + 1}",
                duration=60 * rng.choice([30, 45, 60, 90]),
                time_windows=windows,
                soft_windows=rule == "soft windows" and i % 2 == 1,
                lateness_cost=rng.choice([1, 3]),
                priority=rng.randint(1, 5),
                preferred_engineers=frozenset({"e1"})
                if rule == "preferred" and i < 3
                else frozenset(),
            )
        )
    if rule == "event":
        jobs.append(
            Visit(
                id="ev",
                location="q5",
                duration=hm(1),
                kind=VisitKind.COMMUNITY_EVENT,
                time_windows=(TimeWindow(hm(10), hm(10, 10)),),
                engineers_required=2,
                priority=2,
            )
        )
    weights = Weights(
        fixed_per_engineer=3600 if rule == "fixed cost" else 0,
        balance_per_second=2 if rule == "balance" else 0,
        overtime_per_second=3,
    )
    p = Problem(
        date=DAY,
        locations=locations,
        engineers=team,
        visits=tuple(jobs),
        options=SolveOptions(
            weights=weights, params=SearchParams(iterations=3000, seed=seed), workers=1
        ),
    )
    return p, matrix


def brute_force(p: Problem, m: Matrix) -> int:
    """The cheapest plan over every assignment of the home visits (or none), every holding of
    the event (or none) at every minute of its window, and every order; each order timed by
    the timeline (which takes a break before or after a drive, never during one)."""
    index = p.location_index()
    home = [v for v in p.visits if not v.is_event]
    events = [v for v in p.visits if v.is_event]
    starts: list[int | None] = [None]
    for ev in events:
        w = ev.time_windows[0]
        starts += list(range(w.start, w.end + 1, 60))
    cache: dict[tuple[str, tuple[str, ...], int | None], Route | None] = {}

    def timed(e: Engineer, order: Sequence[Visit], t: int | None) -> Route | None:
        key = (e.id, tuple(v.id for v in order), t)
        if key not in cache:
            fixed = {events[0].id: t} if events and t is not None else None
            s = schedule_visits(e, order, m, index, fixed_starts=fixed, weights=p.options.weights)
            cache[key] = s.to_route() if s.feasible and order else None
        return cache[key]

    best = math.inf
    for assignment in itertools.product(range(len(p.engineers) + 1), repeat=len(home)):
        for t in starts:
            choices = []
            for k, e in enumerate(p.engineers, start=1):
                mine = [v for v, a in zip(home, assignment, strict=True) if a == k]
                if t is not None:
                    mine.append(events[0])
                routes = [r for order in itertools.permutations(mine) if (r := timed(e, order, t))]
                choices.append(routes if mine else [None])
            if any(not c for c in choices):
                continue
            dropped = [v.id for v, a in zip(home, assignment, strict=True) if a == 0]
            dropped += [ev.id for ev in events if t is None]
            for combo in itertools.product(*choices):
                chosen = [r for r in combo if r is not None]
                best = min(best, price(p, chosen, dropped, m, p.options.weights).total)
    return int(best)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("seed", [1, 2])
def test_the_search_finds_the_brute_force_optimum_of_a_tiny_day(rule: str, seed: int) -> None:
    p, m = tiny_day(rule, seed)
    plan = solve(p, m)  # solve checks the plan with the validator too
    assert validate(p, plan, m) == []
    served = {s.visit_id for r in plan.routes for s in r.stops}
    cost = price(p, plan.routes, [v.id for v in p.visits if v.id not in served], m,
                 p.options.weights).total  # fmt: skip
    optimum = brute_force(p, m)
    # The validator lets a break pause a drive, which the timeline never does: the search
    # may do better than the brute force, never worse.
    assert cost <= optimum
    if rule != "breaks":
        assert cost == optimum
    assert plan.stats is not None and plan.stats.objective == cost


def random_field_day(seed: int) -> Problem:
    """A day with every rule at once: breaks, overtime, soft and several windows, skills,
    pins, preferences, loads, route limits, fixed cost, balance, events of 2-3, and the
    churn of a re-plan (visits planned before, an engineer driving to a visit)."""
    rng = random.Random(seed)
    n_eng, n_vis, n_ev = rng.randint(2, 5), rng.randint(5, 25), rng.randint(0, 3)
    locations = [Location("d0", 60.0, 24.0), Location("d1", 60.02, 24.05)]
    locations += [
        Location(f"l{i}", 60 + rng.random() * 0.08, 24 + rng.random() * 0.15)
        for i in range(n_vis + n_ev)
    ]
    team = []
    for i in range(n_eng):
        breaks = [Break(rng.choice([60, 1800]), hm(rng.choice([9, 11, 12])), hm(14))]
        if rng.random() < 0.3:
            breaks.append(Break(900, hm(14), hm(16)))
        s0 = hm(rng.choice([7, 8, 9]))
        team.append(
            Engineer(
                f"e{i}",
                rng.choice(["d0", "d1"]),
                rng.choice(["d0", "d1"]),
                s0,
                s0 + hm(rng.choice([6, 8])),
                breaks=tuple(breaks) if rng.random() < 0.8 else (),
                skills=frozenset({"a"} if rng.random() < 0.5 else set()),
                overtime_max=rng.choice([0, 1800, 3600]),
                load_capacity=rng.choice([None, None, 5]),
                max_route_duration=rng.choice([None, None, hm(6)]),
            )
        )
    visits = []
    for i in range(n_vis):
        s = rng.choice([8, 9, 10, 12, 14])
        windows: tuple[TimeWindow, ...] = (TimeWindow(hm(s), hm(s + rng.choice([1, 2, 4]))),)
        r = rng.random()
        if r < 0.25:
            windows = (TimeWindow(hm(8), hm(9)), TimeWindow(hm(13), hm(15)))
        elif r < 0.35:
            windows = ()
        visits.append(
            Visit(
                f"v{i}",
                f"l{i}",
                rng.choice([600, 1800, 3600]),
                time_windows=windows,
                soft_windows=rng.random() < 0.4,
                lateness_cost=rng.choice([1, 2]),
                priority=rng.randint(1, 5),
                required_skills=frozenset({"a"}) if rng.random() < 0.2 else frozenset(),
                preferred_engineers=frozenset({rng.choice(team).id})
                if rng.random() < 0.3
                else frozenset(),
                allowed_engineers=frozenset({rng.choice(team).id})
                if rng.random() < 0.1
                else frozenset(),
                load=rng.choice([0, 1, 2]),
            )
        )
    for k in range(n_ev):
        s = rng.choice([9, 10, 13])
        visits.append(
            Visit(
                f"ev{k}",
                f"l{n_vis + k}",
                rng.choice([3600, 7200]),
                kind=VisitKind.COMMUNITY_EVENT,
                time_windows=(TimeWindow(hm(s), hm(s + rng.choice([0, 1, 3]))),),
                engineers_required=min(n_eng, rng.choice([2, 3])),
                priority=rng.randint(1, 3),
                soft_windows=rng.random() < 0.3,
            )
        )
    weights = Weights(
        fixed_per_engineer=rng.choice([0, 3600]),
        balance_per_second=rng.choice([0, 0, 1]),
        overtime_per_second=rng.choice([1, 2]),
        reassign=rng.choice([0, 1800]),
        move_per_second=rng.choice([0, 1]),
        broken_promise=rng.choice([0, 3600]),
        drop_planned=rng.choice([0, 20000]),
    )
    # Re-planning: some visits were planned before; one engineer is driving to a visit.
    for i, v in enumerate(visits):
        if not v.is_event and rng.random() < 0.4:
            start = hm(rng.randint(8, 14))
            promise = TimeWindow(start - 1800, start + 1800) if rng.random() < 0.5 else None
            before = Previous(frozenset({rng.choice(team).id}), start, promise)
            visits[i] = dataclasses.replace(v, previous=before)
    home = [i for i, v in enumerate(visits) if not v.is_event and not v.required_skills]
    if home and rng.random() < 0.5:
        i = rng.choice(home)
        driver = team[0]
        visits[i] = dataclasses.replace(
            visits[i], allowed_engineers=frozenset({driver.id}), time_windows=()
        )
        team[0] = dataclasses.replace(driver, next_visit=visits[i].id)
    return Problem(DAY, tuple(locations), tuple(team), tuple(visits), options=SolveOptions(
        weights=weights, params=SearchParams(iterations=400, seed=seed), workers=1))  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_every_rule_at_once_valid_and_priced_as_the_objective(seed: int) -> None:
    """The search's own objective equals the objective recomputed from its timed plan."""
    from scheduler.travel import travel_time_matrix_for

    p = random_field_day(seed)
    m, _ = travel_time_matrix_for(p)
    able = serviceable_engineers(p, m)
    static = static_reasons(p, m)
    visits = [v for v in p.visits if v.id not in static and able.get(v.id)]
    radices = priority_radices(p.visits)
    day = CompiledDay.of(p, m, visits, able, p.options.weights, radices, p.options.params)
    found = day.improve({}, iterations=400, seed=seed)
    routes = list(day.timed(found).values())
    served = {s.visit_id for r in routes for s in r.stops}
    dropped = [v.id for v in visits if v.id not in served]
    unassigned = tuple(
        Unassigned(v.id, Reason.CAPACITY, "-") for v in p.visits if v.id not in served
    )
    assert validate(p, Plan(tuple(routes), unassigned), m) == []
    kernel_total = p.options.weights.drop_base * found.objective[0] + found.objective[1]
    assert kernel_total == price(p, routes, dropped, m, p.options.weights, radices).total
    for r in routes:  # the visit an engineer drives to stays their first stop
        e = p.engineer(r.engineer_id)
        if e.next_visit is not None and e.next_visit in served:
            assert r.stops[0].visit_id == e.next_visit


def test_the_same_seed_and_iterations_give_the_same_plan() -> None:
    p = random_field_day(5)
    from scheduler.travel import travel_time_matrix_for

    m, _ = travel_time_matrix_for(p)
    first = solve(p, m)
    assert solve(p, m).routes == first.routes
    other = dataclasses.replace(p.options, params=SearchParams(iterations=400, seed=99))
    assert solve(p, m, other).stats is not None


def scattered_day(visits: int, engineers: int, seed: int) -> tuple[Problem, Matrix]:
    """A larger field day on random points: lunch breaks, windows, two events."""
    rng = random.Random(seed)
    points = [(rng.uniform(0, 40), rng.uniform(0, 40)) for _ in range(visits + 4)]
    locations = tuple(
        Location(f"q{i}", 60.0 + y / 1000, 24.0 + x / 1000) for i, (x, y) in enumerate(points)
    )
    matrix = np.array(
        [[math.ceil(60 * math.dist(a, b)) for b in points] for a in points], dtype=np.int64
    )
    team = tuple(
        Engineer(
            f"e{k}",
            f"q{k % 2}",
            f"q{k % 2}",
            hm(8),
            hm(16),
            breaks=(Break(1800, hm(11), hm(14)),),
            overtime_max=hm(1),
        )
        for k in range(engineers)
    )
    jobs = [
        Visit(
            f"v{i}",
            f"q{i + 4}",
            60 * rng.choice([20, 30, 45]),
            time_windows=(TimeWindow(hm(o := rng.randint(8, 13)), hm(o + 2)),),
            priority=rng.randint(1, 5),
        )
        for i in range(visits - 2)
    ]
    jobs += [
        Visit(f"ev{j}", f"q{2 + j}", hm(2), kind=VisitKind.COMMUNITY_EVENT,
              time_windows=(TimeWindow(hm(10), hm(12)),), engineers_required=2, priority=2)
        for j in range(2)
    ]  # fmt: skip
    options = SolveOptions(
        decompose_above=100, workers=2, params=SearchParams(iterations=6000, seed=seed)
    )
    return Problem(DAY, locations, team, tuple(jobs), options=options), matrix


def test_a_large_day_is_searched_in_parts_by_two_processes_and_repeats() -> None:
    """Both cores: the parts of a round run in two worker processes (not this one), and with
    an iteration budget the plan is the same every time."""
    p, m = scattered_day(150, 12, seed=7)
    able = serviceable_engineers(p, m)
    stages: list[str] = []
    outcome = search_compiled(
        p, m, p.options, p.visits, able, Reporter(lambda x: stages.append(x.stage))
    )
    assert "compiled search in parts, round 1" in stages
    workers = outcome.processes - {os.getpid()}
    assert len(workers) >= 2
    plan = solve(p, m)
    assert solve(p, m).routes == plan.routes
    assert validate(p, plan, m) == []


def test_solve_honours_its_options_over_the_problems_own() -> None:
    """Options given to solve reach every part, on a day large enough to be split: here a
    fixed cost per engineer that makes sending fewer engineers worth more driving."""
    p, m = scattered_day(120, 30, seed=3)
    cheap = solve(p, m)
    costly = dataclasses.replace(p.options, weights=Weights(fixed_per_engineer=10**7))
    plan = solve(p, m, costly)
    assert (
        plan.stats is not None
        and plan.stats.objective
        == price(
            dataclasses.replace(p, options=costly),
            plan.routes,
            [u.visit_id for u in plan.unassigned],
            m,
            costly.weights,
        ).total
    )
    assert len(plan.routes) < len(cheap.routes)


def test_a_rule_the_search_cannot_price_is_never_dropped_silently() -> None:
    """The progress output names the engine that plans the day."""
    p, m = tiny_day("event", 1)
    stages: list[Progress] = []
    solve(p, m, progress=stages.append)
    assert stages[0].stage.startswith("compiled search")
    stages.clear()
    solve(p, m, dataclasses.replace(p.options, engine="ortools", solution_limit=100),
          progress=stages.append)  # fmt: skip
    assert stages[0].stage.startswith("OR-Tools")
