"""One test per dispatch rule on hand-checkable line problems (10 min driving per step), for
each engine: the compiled search and OR-Tools.

Every plan is also checked by the independent validator: a rule test passes only if the
rule holds *and* nothing else broke.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from scheduler.domain import Engine, Plan, Problem, Reason, Stop, Weights
from scheduler.solver import solve
from scheduler.validate import validate
from tests.builders import MIN, STEP, engineer, hm, matrix_of, problem, visit


@pytest.fixture(params=["compiled", "ortools"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def plan_for(p: Problem, engine: Engine) -> Plan:
    plan = solve(p, matrix_of(p), dataclasses.replace(p.options, engine=engine))
    assert validate(p, plan, matrix_of(p)) == []
    return plan


def stops_of(plan: Plan, engineer_id: str) -> list[str]:
    route = plan.route_of(engineer_id)
    return [] if route is None else [s.visit_id for s in route.stops]


def stop(plan: Plan, visit_id: str) -> Stop:
    (found,) = [s for r in plan.routes for s in r.stops if s.visit_id == visit_id]
    return found


def reasons(plan: Plan) -> dict[str, Reason]:
    return {u.visit_id: u.reason for u in plan.unassigned}


def travel_seconds(p: Problem, plan: Plan) -> int:
    m, row = matrix_of(p), p.location_index()
    total = 0
    for r in plan.routes:
        e = p.engineer(r.engineer_id)
        locs = [e.start_location, *(p.visit(s.visit_id).location for s in r.stops), e.end_location]
        total += sum(int(m[row[a], row[b]]) for a, b in itertools.pairwise(locs))
    return total


def test_each_engineer_leaves_from_and_returns_to_own_depot(engine: Engine) -> None:
    """Multi-depot: e1 lives at p0 and e2 at p5, so each takes the visit next to home."""
    p = problem([engineer("e1", at=0), engineer("e2", at=5)], [visit("a", 1), visit("b", 4)])
    plan = plan_for(p, engine)
    assert stops_of(plan, "e1") == ["a"] and stops_of(plan, "e2") == ["b"]
    assert travel_seconds(p, plan) == 4 * STEP  # 2 steps there and back, twice
    e1 = plan.route_of("e1")
    assert e1 is not None and (e1.departure, e1.return_) == (hm(8), hm(8, 50))


def test_time_windows_decide_the_order_and_waiting_is_allowed(engine: Engine) -> None:
    """v2 (p3) must start by 09:00, v1 (p1) not before 10:00: serve v2 first, wait for v1."""
    p = problem(
        [engineer("e1")],
        [
            visit("v1", 1, windows=[(hm(10), hm(10, 30))]),
            visit("v2", 3, windows=[(hm(8), hm(9))]),
        ],
    )
    plan = plan_for(p, engine)
    assert stops_of(plan, "e1") == ["v2", "v1"]
    assert stop(plan, "v2").start == hm(8, 30)  # 30 min drive from 08:00
    assert stop(plan, "v1") == Stop("v1", arrival=hm(9, 20), start=hm(10), end=hm(10, 30))


def test_a_later_window_is_used_when_the_first_cannot_be_reached(engine: Engine) -> None:
    """Windows 08:00-08:05 and 12:00-13:00; p3 is 30 min away, so service starts at 12:00."""
    p = problem([engineer("e1")], [visit("v", 3, windows=[(hm(8), hm(8, 5)), (hm(12), hm(13))])])
    assert stop(plan_for(p, engine), "v").start == hm(12)


@pytest.mark.parametrize(
    ("overtime_min", "served"),
    [
        (0, False),  # back at 16:30 is past the 16:00 shift end
        (20, False),  # 30 min of overtime needed, 20 allowed
        (30, True),  # exactly enough overtime
    ],
)
def test_shift_end_and_overtime_maximum_are_hard(
    overtime_min: int, served: bool, engine: Engine
) -> None:
    p = problem(
        [engineer("e1", overtime_min=overtime_min)],
        [visit("v", 3, windows=[(hm(15, 30), hm(16))])],
    )
    plan = plan_for(p, engine)
    if served:
        route = plan.route_of("e1")
        assert route is not None and route.return_ == hm(16, 30)
    else:
        assert reasons(plan) == {"v": Reason.OUTSIDE_ALL_SHIFTS}


def test_overtime_is_avoided_when_it_costs_more_than_it_saves(engine: Engine) -> None:
    """Two ways to serve v at p1 (window 15:00-15:45): starting at 15:00 ends the day at 15:40
    with no overtime; the solver must not drift later into paid overtime."""
    p = problem([engineer("e1", overtime_min=60)], [visit("v", 1, windows=[(hm(15), hm(15, 45))])])
    route = plan_for(p, engine).route_of("e1")
    assert route is not None and route.return_ <= hm(16)


def test_lunch_break_between_stops_delays_the_next_start_by_the_break(engine: Engine) -> None:
    """v1 ends 12:00 at p1; the 30-min lunch must fit in 12:00-13:00 and cannot follow v2
    (v2 would end 12:40 at the earliest, then lunch would end 13:10). So lunch goes between
    them: v2 starts at 12:00 + 10 min drive + 30 min lunch = 12:40."""
    p = problem(
        [engineer("e1", lunch=(30, hm(12), hm(13)))],
        [
            visit("v1", 1, windows=[(hm(11, 30), hm(11, 30))]),
            visit("v2", 2, windows=[(hm(12), hm(12, 40))]),
        ],
    )
    plan = plan_for(p, engine)
    route = plan.route_of("e1")
    assert route is not None
    assert stop(plan, "v2").start == stop(plan, "v1").end + STEP + 30 * MIN
    (lunch,) = route.breaks
    assert lunch.end - lunch.start == 30 * MIN and hm(12) <= lunch.start and lunch.end <= hm(13)


def test_required_skill_sends_the_qualified_engineer_even_from_far_away(engine: Engine) -> None:
    p = problem(
        [engineer("e1", at=0), engineer("e2", at=5, skills=["sign_language"])],
        [visit("v", 1, skills=["sign_language"])],
    )
    assert stops_of(plan_for(p, engine), "e2") == ["v"]


def test_a_pinned_visit_goes_to_its_engineer(engine: Engine) -> None:
    p = problem([engineer("e1", at=0), engineer("e2", at=5)], [visit("v", 1, allowed=["e2"])])
    assert stops_of(plan_for(p, engine), "e2") == ["v"]


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (900, "e1"),  # e2 would drive 3,600 s more: the 900 preference penalty is not worth it
        (5000, "e2"),  # the preference now outweighs the extra 3,600 s of driving
    ],
)
def test_preferred_engineer_is_soft(weight: int, expected: str, engine: Engine) -> None:
    p = problem(
        [engineer("e1", at=0), engineer("e2", at=5)],
        [visit("v", 1, preferred=["e2"])],
        weights=Weights(non_preferred_engineer=weight),
    )
    assert stops_of(plan_for(p, engine), expected) == ["v"]


def test_urgent_visit_beats_any_number_of_less_urgent_ones(engine: Engine) -> None:
    """A 2-hour shift fits either the urgent visit (p2, 60 min) or both priority-2 visits
    (p1, 50 min each), never all three: the urgent one must be served."""
    p = problem(
        [engineer("e1", shift=(hm(8), hm(10)))],
        [
            visit("urgent", 2, minutes=60, priority=1),
            visit("low1", 1, minutes=50, priority=2),
            visit("low2", 1, minutes=50, priority=2),
        ],
    )
    plan = plan_for(p, engine)
    assert stops_of(plan, "e1") == ["urgent"]
    assert reasons(plan) == {"low1": Reason.CAPACITY, "low2": Reason.CAPACITY}


@pytest.mark.parametrize("soft", [False, True])
def test_soft_window_allows_a_late_start_at_a_cost(soft: bool, engine: Engine) -> None:
    """p3 is 30 min away and the window closes 08:10: 20 minutes late at best."""
    p = problem([engineer("e1")], [visit("v", 3, windows=[(hm(8), hm(8, 10))], soft=soft)])
    plan = plan_for(p, engine)
    if soft:
        assert stop(plan, "v").start == hm(8, 30)
        assert plan.stats is not None and plan.stats.objective == 6 * STEP + 20 * MIN
    else:
        assert reasons(plan) == {"v": Reason.OUTSIDE_ALL_SHIFTS}


def test_event_gets_k_distinct_engineers_at_its_fixed_start(engine: Engine) -> None:
    engineers = [engineer(f"e{i}") for i in (1, 2, 3)]
    p = problem(engineers, [visit("ev", 2, minutes=120, k=2, windows=[(hm(10), hm(10))])])
    plan = plan_for(p, engine)
    at_event = [r for r in plan.routes if "ev" in stops_of(plan, r.engineer_id)]
    assert len(at_event) == 2
    for r in at_event:
        (s,) = r.stops
        assert (s.start, s.end) == (hm(10), hm(12))


def test_event_start_chosen_in_window_waits_for_the_last_engineer(engine: Engine) -> None:
    """e2 starts at 11:00 three steps away: the earliest common start is 11:30."""
    p = problem(
        [engineer("e1", at=0), engineer("e2", at=5, shift=(hm(11), hm(16)))],
        [visit("ev", 2, minutes=60, k=2, windows=[(hm(9), hm(14))])],
    )
    plan = plan_for(p, engine)
    starts = {r.engineer_id: r.stops[0].start for r in plan.routes}
    assert set(starts) == {"e1", "e2"} and len(set(starts.values())) == 1
    assert starts["e1"] == hm(11, 30)


def test_event_that_cannot_be_fully_staffed_is_not_held_at_all(engine: Engine) -> None:
    """e2's shift ends at 09:00, before the event: one engineer alone must not go."""
    p = problem(
        [engineer("e1"), engineer("e2", shift=(hm(7), hm(9)))],
        [visit("ev", 1, minutes=60, k=2, windows=[(hm(10), hm(12))]), visit("v", 1)],
    )
    plan = plan_for(p, engine)
    assert reasons(plan) == {"ev": Reason.EVENT_UNDERSTAFFED}
    assert all("ev" not in stops_of(plan, e) for e in ("e1", "e2"))


def test_event_is_not_held_when_it_would_push_out_an_urgent_visit(engine: Engine) -> None:
    """Holding the 09:00-12:00 event takes both engineers; the urgent visit must start by
    11:00, so the event (priority 3) gives way, and comes back as CAPACITY."""
    p = problem(
        [engineer("e1", shift=(hm(8), hm(13))), engineer("e2", shift=(hm(8), hm(13)))],
        [
            visit("ev", 1, minutes=180, k=2, windows=[(hm(9), hm(9))]),
            visit("urgent", 1, minutes=60, priority=1, windows=[(hm(9), hm(11))]),
        ],
    )
    plan = plan_for(p, engine)
    assert reasons(plan) == {"ev": Reason.CAPACITY}
    assert not any(s.visit_id == "ev" for r in plan.routes for s in r.stops)


@pytest.mark.parametrize(
    ("fixed", "engineers_used"),
    [
        (0, 2),  # two short trips (2,400 s) beat one long one (4,800 s)
        (3600, 1),  # 2,400 + 2 x 3,600 > 4,800 + 3,600
    ],
)
def test_fixed_cost_per_engineer_used(fixed: int, engineers_used: int, engine: Engine) -> None:
    p = problem(
        [engineer("e1", at=0), engineer("e2", at=5)],
        [visit("a", 1), visit("b", 4)],
        weights=Weights(fixed_per_engineer=fixed),
    )
    assert len(plan_for(p, engine).routes) == engineers_used


@pytest.mark.parametrize(
    ("balance", "engineers_used"),
    [
        (0, 1),  # one engineer: 1,200 s driving; two: 2,400 s
        (1, 2),  # 1,200 + 8,400 (140 min of work) > 2,400 + 4,800 (80 min each)
    ],
)
def test_workload_balance(balance: int, engineers_used: int, engine: Engine) -> None:
    p = problem(
        [engineer("e1"), engineer("e2")],
        [visit("a", 1, minutes=60), visit("b", 1, minutes=60)],
        weights=Weights(balance_per_second=balance),
    )
    assert len(plan_for(p, engine).routes) == engineers_used


def test_same_solution_limit_gives_the_same_plan(engine: Engine) -> None:
    """With a solution limit (not a time limit) the search is reproducible."""
    engineers = [engineer("e1", at=0, lunch=(30, hm(11), hm(13))), engineer("e2", at=5)]
    visits = [visit(f"v{i}", i % 6, windows=[(hm(8 + i % 4), hm(10 + i % 4))]) for i in range(8)]
    p = problem(engineers, visits, time_limit=30, solution_limit=50)
    p = dataclasses.replace(p)
    first, second = plan_for(p, engine), plan_for(p, engine)
    assert first.routes == second.routes and first.unassigned == second.unassigned
