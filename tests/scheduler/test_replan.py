"""Re-planning the rest of a day (``scheduler.replan``) and its churn (``scheduler.churn``):
each freeze rule and each churn figure on hand-built line days (10 minutes per step)."""

from __future__ import annotations

import dataclasses

import pytest

from scheduler.churn import churn_between
from scheduler.day_state import DayState, EngineerState, VisitState, VisitStatus
from scheduler.domain import Plan, Problem, Route, SearchParams, Stop, TimeWindow
from scheduler.errors import ProblemError
from scheduler.replan import ChurnWeights, replan, replan_problem
from scheduler.solver import solve
from scheduler.validate import validate
from tests.builders import MIN, STEP, engineer, hm, matrix_of, problem, visit


def day() -> Problem:
    """Two engineers at p0 and p9; four visits in the west, four in the east."""
    crew = [engineer("w", at=0, shift=(hm(8), hm(17))), engineer("e", at=9, shift=(hm(8), hm(17)))]
    west = [visit(f"a{i}", 1 + i, minutes=40) for i in range(4)]
    east = [visit(f"b{i}", 8 - i, minutes=40) for i in range(4)]
    p = problem(crew, [*west, *east], points=10, solution_limit=None)
    return dataclasses.replace(
        p, options=dataclasses.replace(p.options, params=SearchParams(iterations=2000))
    )


def published(p: Problem) -> Plan:
    plan = solve(p, matrix_of(p))
    assert validate(p, plan, matrix_of(p)) == []
    return plan


def stops(plan: Plan, eid: str) -> list[str]:
    r = plan.route_of(eid)
    return [s.visit_id for s in r.stops] if r else []


def first_stop_start(plan: Plan, eid: str) -> int:
    r = plan.route_of(eid)
    assert r is not None
    return r.stops[0].start


def run(p: Problem, plan: Plan, state: DayState, at: int) -> Plan:
    result = replan(p, matrix_of(p), plan, state, at)
    assert validate(result.problem, result.plan, result.matrix) == []
    return result.plan


def test_done_cancelled_and_failed_visits_are_never_planned_again() -> None:
    p = day()
    plan = published(p)
    first, second = stops(plan, "w")[:2]
    state = DayState({
        first: VisitState(VisitStatus.DONE),
        second: VisitState(VisitStatus.CANNOT_COMPLETE),
        stops(plan, "e")[-1]: VisitState(VisitStatus.CANCELLED),
    })  # fmt: skip
    new = run(p, plan, state, hm(10))
    served = {s.visit_id for r in new.routes for s in r.stops}
    assert not served & {first, second, stops(plan, "e")[-1]}
    assert served == {v.id for v in p.visits} - {first, second, stops(plan, "e")[-1]}
    assert new.unassigned == ()


def test_a_started_job_stays_where_it_is_and_its_engineer_goes_on_from_there() -> None:
    """w started a1 (p2) at 9:00 and it runs late: w is free at p2 at 9:40 at the earliest,
    and the rest of w's day starts from there."""
    p = day()
    plan = published(p)
    state = DayState({"a1": VisitState(VisitStatus.STARTED, actual_start=hm(9))})
    rest = replan_problem(p, plan, state, hm(9, 10))
    w = rest.engineer("w")
    assert (w.start_location, w.shift_start) == ("p2", hm(9, 40))
    assert "a1" not in {v.id for v in rest.visits}
    new = run(p, plan, state, hm(9, 10))
    route = new.route_of("w")
    assert route is not None and route.departure >= hm(9, 40)


def test_an_engineer_driving_to_a_stop_keeps_it_first() -> None:
    p = day()
    plan = published(p)
    target = stops(plan, "e")[2]  # en route to their third stop (the first two done)
    state = DayState({
        stops(plan, "e")[0]: VisitState(VisitStatus.DONE),
        stops(plan, "e")[1]: VisitState(VisitStatus.DONE),
        target: VisitState(VisitStatus.EN_ROUTE),
    })  # fmt: skip
    # Free of charge to move everything: only the freeze rule keeps the target first.
    free = ChurnWeights(reassign=0, move_per_second=0, broken_promise=0, drop_planned=0)
    result = replan(p, matrix_of(p), plan, state, hm(10), churn=free)
    assert stops(result.plan, "e")[0] == target
    assert result.problem.engineer("e").next_visit == target


def test_engineers_driving_to_an_event_keep_it_and_the_day_replans() -> None:
    """An event for two engineers that both are driving to: not one engineer's locked next
    stop (that failed with 'not a known home-service visit id'), but held by the two."""
    crew = [engineer(e, at=a, shift=(hm(8), hm(17))) for e, a in (("w", 0), ("e", 9), ("x", 5))]
    event = visit("ev", 5, minutes=120, windows=[(hm(11), hm(11, 30))], k=2, priority=1)
    p = problem(crew, [event, *(visit(f"a{i}", 1 + i, minutes=40) for i in range(4))], points=10)
    plan = published(p)
    holders = sorted(r.engineer_id for r in plan.routes for s in r.stops if s.visit_id == "ev")
    assert len(holders) == 2
    state = DayState({"ev": VisitState(VisitStatus.EN_ROUTE)})
    # Free of charge to move everything: only the freeze rule keeps the event with them.
    free = ChurnWeights(reassign=0, move_per_second=0, broken_promise=0, drop_planned=0)
    result = replan(p, matrix_of(p), plan, state, hm(10, 30), churn=free)
    assert validate(result.problem, result.plan, result.matrix) == []
    assert all(e.next_visit is None for e in result.problem.engineers)
    now = sorted(r.engineer_id for r in result.plan.routes for s in r.stops if s.visit_id == "ev")
    assert now == holders


def test_engineers_start_from_their_reported_position_at_the_replanning_time() -> None:
    p = day()
    plan = published(p)
    where = p.locations[5]  # p5, the middle of the line
    state = DayState(engineers={"w": EngineerState(where.lat, where.lon, seen_at=hm(10, 30))})
    rest = replan_problem(p, plan, state, hm(10))
    w = rest.engineer("w")
    assert w.start_location == "position:w" and w.shift_start == hm(10, 30)
    new = run(p, plan, state, hm(10))
    route = new.route_of("w")
    assert route is not None and route.departure >= hm(10, 30)


def test_an_engineer_off_from_now_hands_over_what_is_left() -> None:
    """e calls in sick at 10:00: e's visits not yet done go to w (or are explained)."""
    p = day()
    plan = published(p)
    state = DayState(engineers={"e": EngineerState(off_from=hm(10))})
    new = run(p, plan, state, hm(10))
    assert new.route_of("e") is None
    east_left = [v for v in stops(plan, "e")]
    served = {s.visit_id for r in new.routes for s in r.stops}
    assert all(v in served or any(u.visit_id == v for u in new.unassigned) for v in east_left)
    assert set(stops(new, "w")) & set(east_left)


def test_new_visits_join_and_urgent_ones_are_served() -> None:
    p = day()
    plan = published(p)
    urgent = visit("new", 6, minutes=30, priority=1, windows=[(hm(13), hm(15))])
    with_new = dataclasses.replace(p, visits=(*p.visits, urgent))
    new = run(with_new, plan, DayState(), hm(11))
    assert any(s.visit_id == "new" for r in new.routes for s in r.stops)


def test_a_priced_replan_moves_less_than_a_free_one() -> None:
    """With churn priced the re-plan keeps the published routes where nothing forces a
    change; with every churn weight 0 nothing holds them."""
    p = day()
    plan = published(p)
    priced = replan(p, matrix_of(p), plan, DayState(), hm(8))
    assert priced.churn.reassigned == 0 and priced.churn.moved == 0
    assert priced.churn.compared == len(p.visits)


def test_bad_state_is_named() -> None:
    p = day()
    plan = published(p)
    with pytest.raises(ProblemError, match="nope"):
        replan_problem(p, plan, DayState({"nope": VisitState()}), hm(10))
    with pytest.raises(ProblemError, match="ghost"):
        replan_problem(p, plan, DayState(engineers={"ghost": EngineerState()}), hm(10))
    with pytest.raises(ProblemError, match="at"):
        replan_problem(p, plan, DayState(), hm(23, 59) + 86_400)


def stop(vid: str, start: int) -> Stop:
    return Stop(vid, start, start, start + 30 * MIN)


def test_churn_figures_on_a_known_pair_of_plans() -> None:
    """Old: w serves a, b, c; e serves d, x, y. New: w serves b, a (swapped); e serves d (5 min
    later), then c (moved to e, 20 min later); x left out; y was cancelled (gone)."""
    old = Plan(
        (
            Route("w", hm(8), hm(12), (stop("a", hm(9)), stop("b", hm(10)), stop("c", hm(11)))),
            Route("e", hm(8), hm(12), (stop("d", hm(9)), stop("x", hm(10)), stop("y", hm(11)))),
        ),
        (),
    )
    new = Plan(
        (
            Route("w", hm(8), hm(12), (stop("b", hm(9)), stop("a", hm(10)))),
            Route("e", hm(8), hm(12), (stop("d", hm(9, 5)), stop("c", hm(11, 20)))),
        ),
        (),
    )
    promises = {
        "a": TimeWindow(hm(8, 30), hm(9, 30)),  # new start 10:00: later
        "b": TimeWindow(hm(9, 30), hm(10, 30)),  # new start 9:00: earlier
        "d": TimeWindow(hm(8, 30), hm(9, 30)),  # 9:05: kept
    }
    c = churn_between(old, new, tolerance=15 * MIN, promises=promises, gone={"y"})
    assert c.compared == 4  # a, b, c, d
    assert c.reassigned == 1  # c: w -> e
    assert c.moved == 3  # a +60, b -60, c +20 (beyond 15); d +5 within
    assert c.minutes_moved == 60 + 60 + 20 + 5
    assert (c.promises_broken_later, c.promises_broken_earlier) == (1, 1)
    assert c.dropped == 1  # x; y was cancelled
    # Predecessors: a (start -> b), b (a -> start), c (b -> d), d (start -> start): 3 of 4.
    assert c.sequence_change == 0.75


def test_churn_is_zero_against_itself() -> None:
    p = day()
    plan = published(p)
    c = churn_between(plan, plan)
    assert (c.reassigned, c.moved, c.minutes_moved, c.dropped, c.sequence_change) == (0, 0, 0, 0, 0)
    assert c.compared == sum(len(r.stops) for r in plan.routes) and STEP > 0
