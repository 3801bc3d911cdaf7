"""The compiled search places crews (members with their own skills and durations, together or
in sequence) and prices the worst lateness exactly as brute force does on tiny days.

Brute force: every assignment of tasks to engineers (members of one visit on different
engineers, each member's skills held) and every order of each route; for each, the least
schedule (every start as early as the routes, windows and crew timing allow: the costs only
grow with time, so it is optimal) from the difference constraints, priced by
``scheduler.objective``."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest

from scheduler.domain import (
    CrewMember,
    CrewSequence,
    Problem,
    Route,
    SearchParams,
    Stop,
    TimeWindow,
    Visit,
    Weights,
)
from scheduler.objective import price
from scheduler.solver.solve import solve
from scheduler.validate import validate
from tests.builders import MIN, engineer, hm, matrix_of, problem

Task = tuple[Visit, int]  # a visit and its crew member


def _least_schedule(p: Problem, routes: dict[str, list[Task]]) -> dict[tuple[str, int], int] | None:
    """The least starts of every task (None when infeasible)."""
    m = matrix_of(p)
    idx = p.location_index()
    engineers = {e.id: e for e in p.engineers}
    start: dict[tuple[str, int], int] = {}
    for tasks in routes.values():
        for v, q in tasks:
            start[(v.id, q)] = v.time_windows[0].start if v.time_windows else -(10**9)
    for _ in range(4 * len(start) + 4):
        changed = False

        def raise_to(key: tuple[str, int], t: int) -> None:
            nonlocal changed
            if t > start[key]:
                start[key] = t
                changed = True

        for eid, tasks in routes.items():
            e = engineers[eid]
            here, free = idx[e.start_location], e.shift_start
            for v, q in tasks:
                key = (v.id, q)
                raise_to(key, free + int(m[here, idx[v.location]]))
                here, free = idx[v.location], start[key] + v.members()[q].duration
        for v in p.visits:
            if v.engineers_required < 2 or (v.id, 0) not in start:
                continue
            gap = v.crew_timing
            lo, hi = (0, 0) if gap is None else (gap.min_gap, gap.max_gap)
            for q in range(1, v.engineers_required):
                a, b = (v.id, q - 1), (v.id, q)
                raise_to(b, start[a] + lo)
                raise_to(a, start[b] - hi)
        if not changed:
            break
    else:
        return None
    for eid, tasks in routes.items():
        for v, q in tasks:
            s = start[(v.id, q)]
            if not v.start_allowed(s):
                return None
        e = engineers[eid]
        if tasks:
            v, q = tasks[-1]
            back = start[(v.id, q)] + v.members()[q].duration
            back += int(m[idx[v.location], idx[e.end_location]])
            if back > e.working_day.end:
                return None
    return start


def brute_force(p: Problem) -> int:
    """The least objective serving every visit."""
    m = matrix_of(p)
    idx = p.location_index()
    tasks: list[Task] = [(v, q) for v in p.visits for q in range(v.engineers_required)]
    best: int | None = None
    for who in itertools.product(p.engineers, repeat=len(tasks)):
        if any(not v.members()[q].skills <= e.skills for (v, q), e in zip(tasks, who, strict=True)):
            continue
        pairs = [(v.id, e.id) for (v, _), e in zip(tasks, who, strict=True)]
        if len(set(pairs)) != len(pairs):
            continue  # one engineer twice on a visit
        per: dict[str, list[Task]] = {e.id: [] for e in p.engineers}
        for t, e in zip(tasks, who, strict=True):
            per[e.id].append(t)
        ids = list(per)
        for orders in itertools.product(*(itertools.permutations(per[i]) for i in ids)):
            routes = {i: list(o) for i, o in zip(ids, orders, strict=True)}
            start = _least_schedule(p, routes)
            if start is None:
                continue
            built = []
            for eid, ts in routes.items():
                if not ts:
                    continue
                e = p.engineer(eid)
                stops = tuple(
                    Stop(v.id, start[(v.id, q)], start[(v.id, q)],
                         start[(v.id, q)] + v.members()[q].duration, q)
                    for v, q in ts
                )  # fmt: skip
                last = ts[-1][0]
                back = stops[-1].end + int(m[idx[last.location], idx[e.end_location]])
                built.append(Route(eid, e.shift_start, back, stops))
            total = price(p, built, (), m, p.options.weights).total
            if best is None or total < best:
                best = total
    assert best is not None
    return best


def _crew(vid: str, at: int, members: list[tuple[str, int]], gap: tuple[int, int] | None,
          window: tuple[int, int]) -> Visit:  # fmt: skip
    return Visit(
        vid,
        f"p{at}",
        0,
        time_windows=(TimeWindow(*window),),
        soft_windows=True,
        crew=tuple(CrewMember(frozenset({s}), d * MIN) for s, d in members),
        crew_timing=None if gap is None else CrewSequence(gap[0] * MIN, gap[1] * MIN),
    )


def tiny_day(seed: int, *, sequence: bool, max_late: int) -> Problem:
    """Three engineers at p0 (skills a+b, b, c), one crew visit (a then c, or b with c) with
    a tight soft window, and two single visits with soft windows."""
    rnd = random.Random(seed)
    gap = (rnd.randint(0, 2) * 10, rnd.randint(3, 6) * 10) if sequence else None
    first = rnd.choice(["a", "b"])
    open_at = hm(8) + rnd.randint(0, 6) * 10 * MIN
    visits = [
        _crew("crew", rnd.randint(1, 4), [(first, rnd.choice([20, 40])), ("c", 30)], gap,
              (open_at, open_at + 10 * MIN)),
        Visit("s1", f"p{rnd.randint(1, 4)}", 30 * MIN, soft_windows=True,
              time_windows=(TimeWindow(hm(8), hm(8) + rnd.randint(2, 8) * 10 * MIN),),
              required_skills=frozenset({rnd.choice(["a", "b"])})),
        Visit("s2", f"p{rnd.randint(1, 4)}", 20 * MIN, soft_windows=True,
              time_windows=(TimeWindow(hm(8), hm(8) + rnd.randint(2, 8) * 10 * MIN),),
              required_skills=frozenset({rnd.choice(["b", "c"])})),
    ]  # fmt: skip
    return problem(
        [
            engineer("e1", skills=["a", "b"], shift=(hm(8), hm(13))),
            engineer("e2", skills=["b"], shift=(hm(8), hm(13))),
            engineer("e3", skills=["c"], shift=(hm(8), hm(13))),
        ],
        visits,
        weights=Weights(max_lateness_per_second=max_late, drop_base=10**9),
    )


def _compiled(p: Problem, seed: int = 0) -> int:
    options = dataclasses.replace(
        p.options, workers=1, params=SearchParams(seed=seed, iterations=3000)
    )
    plan = solve(p, matrix_of(p), options)
    assert plan.unassigned == ()
    assert validate(p, plan, matrix_of(p)) == []
    assert plan.stats is not None and plan.stats.objective is not None
    return plan.stats.objective


@pytest.mark.parametrize("seed", range(4))
def test_crew_together_matches_brute_force(seed: int) -> None:
    p = tiny_day(seed, sequence=False, max_late=0)
    assert _compiled(p) == brute_force(p)


@pytest.mark.parametrize("seed", range(4))
def test_crew_in_sequence_matches_brute_force(seed: int) -> None:
    p = tiny_day(seed, sequence=True, max_late=0)
    assert _compiled(p) == brute_force(p)


@pytest.mark.parametrize("seed", range(4))
def test_max_lateness_priced_as_brute_force(seed: int) -> None:
    p = tiny_day(100 + seed, sequence=seed % 2 == 1, max_late=3)
    assert _compiled(p) == brute_force(p)


def test_each_member_on_an_engineer_with_its_skill_and_duration() -> None:
    p = tiny_day(7, sequence=True, max_late=1)
    options = dataclasses.replace(p.options, workers=1, params=SearchParams(iterations=500))
    plan = solve(p, matrix_of(p), options)
    crew = p.visit("crew")
    members = sorted(
        (s.crew_member, r.engineer_id, s.start, s.end - s.start)
        for r in plan.routes
        for s in r.stops
        if s.visit_id == "crew"
    )
    assert [m[0] for m in members] == [0, 1]
    assert members[0][1] != members[1][1]
    for q, eid, _, length in members:
        assert crew.members()[q].skills <= p.engineer(eid).skills
        assert length == crew.members()[q].duration
    gap = members[1][2] - members[0][2]
    assert crew.crew_timing is not None
    assert crew.crew_timing.min_gap <= gap <= crew.crew_timing.max_gap


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sequence", [False, True])
def test_ortools_model_is_an_oracle_for_crews(seed: int, sequence: bool) -> None:
    # together: equal start cumuls; sequence: start differences bounded; members on
    # distinct vehicles holding their skills, with their own service times
    p = tiny_day(seed, sequence=sequence, max_late=0)
    options = dataclasses.replace(
        p.options, workers=1, engine="ortools", solution_limit=2000, time_limit=60
    )
    plan = solve(p, matrix_of(p), options)
    assert plan.unassigned == ()
    assert plan.stats is not None
    assert plan.stats.objective == brute_force(p) == _compiled(p)


def test_ortools_refuses_the_max_lateness_weight() -> None:
    from scheduler.errors import ProblemError

    p = tiny_day(0, sequence=False, max_late=1)
    options = dataclasses.replace(p.options, engine="ortools", solution_limit=10)
    with pytest.raises(ProblemError, match="max_lateness_per_second"):
        solve(p, matrix_of(p), options)
