"""Load capacity and maximum route duration: the model keeps them, the validator checks them,
and the problem file carries them (line problems, 10 min driving per step)."""

from __future__ import annotations

import dataclasses
import json

from scheduler.domain import Engineer, Plan, Problem, Reason, Route, Stop, Visit
from scheduler.formats import problem_from_json, problem_to_json
from scheduler.solver import solve
from scheduler.validate import Code, validate
from tests.builders import engineer, hm, matrix_of, problem, visit


def loaded(v: Visit, load: int) -> Visit:
    return dataclasses.replace(v, load=load)


def limited(e: Engineer, capacity: int | None = None, duration: int | None = None) -> Engineer:
    return dataclasses.replace(e, load_capacity=capacity, max_route_duration=duration)


def plan_for(p: Problem) -> Plan:
    plan = solve(p, matrix_of(p))
    assert validate(p, plan, matrix_of(p)) == []
    return plan


def served_by(plan: Plan) -> dict[str, str]:
    return {s.visit_id: r.engineer_id for r in plan.routes for s in r.stops}


def test_full_vans_split_the_jobs_by_capacity() -> None:
    """Three 1-unit visits at p1: e1 (p0) carries 2 units and e2 (p5) 1, so they must split
    2 + 1 although e1 alone would drive far less."""
    p = problem(
        [limited(engineer("e1", at=0), capacity=2), limited(engineer("e2", at=5), capacity=1)],
        [loaded(visit(v, 1), 1) for v in ("a", "b", "c")],
    )
    by = served_by(plan_for(p))
    assert sorted(by.values()) == ["e1", "e1", "e2"]


def test_without_capacities_loads_change_nothing() -> None:
    """Loads alone (no engineer with a limit) leave the nearest engineer serving everything."""
    p = problem(
        [engineer("e1", at=0), engineer("e2", at=5)],
        [loaded(visit(v, 1), 50) for v in ("a", "b", "c")],
    )
    assert set(served_by(plan_for(p)).values()) == {"e1"}


def test_a_load_nobody_can_carry_is_explained() -> None:
    p = problem([limited(engineer("e1"), capacity=3)], [loaded(visit("big", 1), 4)])
    (u,) = plan_for(p).unassigned
    assert u.reason is Reason.NO_QUALIFIED_ENGINEER
    assert "load 4" in u.message and "largest: 3" in u.message


def test_route_duration_limit_drops_a_visit_too_far_for_it() -> None:
    """p3 is 30 min away: there and back plus 30 min on site is 90 min, over a 1 h limit."""
    far = visit("far", 3)
    short = problem([limited(engineer("e1"), duration=hm(1))], [far])
    assert served_by(plan_for(short)) == {}
    ok = problem([limited(engineer("e1"), duration=hm(1, 30))], [far])
    route = plan_for(ok).route_of("e1")
    assert route is not None and route.return_ - route.departure == hm(1, 30)


def test_validator_reports_overload_and_overlong_routes() -> None:
    p = problem(
        [limited(engineer("e1"), capacity=1, duration=hm(1))],
        [loaded(visit("a", 1), 1), loaded(visit("b", 2), 1)],
    )
    route = Route(
        "e1",
        departure=hm(8),
        return_=hm(9, 40),
        stops=(
            Stop("a", arrival=hm(8, 10), start=hm(8, 10), end=hm(8, 40)),
            Stop("b", arrival=hm(8, 50), start=hm(8, 50), end=hm(9, 20)),
        ),
    )
    codes = [v.code for v in validate(p, Plan((route,), ()), matrix_of(p))]
    assert codes.count(Code.LOAD_CAPACITY) == 1
    assert codes.count(Code.ROUTE_DURATION) == 1
    assert set(codes) == {Code.LOAD_CAPACITY, Code.ROUTE_DURATION}


def test_problem_file_round_trips_load_and_duration() -> None:
    p = problem(
        [limited(engineer("e1"), capacity=7, duration=hm(6)), engineer("e2")],
        [loaded(visit("a", 1), 3), visit("b", 2)],
    )
    back = problem_from_json(json.dumps(problem_to_json(p)))
    assert back.engineer("e1").load_capacity == 7
    assert back.engineer("e1").max_route_duration == hm(6)
    assert back.engineer("e2").load_capacity is None
    assert back.engineer("e2").max_route_duration is None
    assert (back.visit("a").load, back.visit("b").load) == (3, 0)
