"""The pass that puts left-out visits into routes with room (``scheduler.solver.insertion``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pytest

from scheduler.domain import Plan, Problem, Route, SearchParams, Weights
from scheduler.explain import serviceable_engineers
from scheduler.objective import drop_penalty, priority_radices
from scheduler.solver.insertion import Repaired, insert_left_out
from scheduler.solver.model import build_model
from scheduler.solver.ortools_search import search_parameters
from scheduler.timeline import schedule_route
from scheduler.validate import Code, validate
from tests.builders import engineer, hm, matrix_of, problem, visit


def timed(p: Problem, orders: Mapping[str, Sequence[str]]) -> dict[str, Route]:
    """Routes timed as the plan would time them, engineer id -> route."""
    m = matrix_of(p)
    routes = {}
    for eid, order in orders.items():
        s = schedule_route(p, p.engineer(eid), order, m)
        assert s.feasible, f"the test's route of {eid} must be feasible"
        routes[eid] = s.to_route()
    return routes


def repair(
    p: Problem, orders: Mapping[str, Sequence[str]], params: SearchParams | None = None
) -> tuple[dict[str, Route], Repaired]:
    m = matrix_of(p)
    routes = timed(p, orders)
    served = {vid for order in orders.values() for vid in order}
    left_out = [v for v in p.visits if v.id not in served]
    result = insert_left_out(
        p, m, routes, left_out, serviceable_engineers(p, m), priority_radices(p.visits),
        params=params or SearchParams(),
    )  # fmt: skip
    return routes, result


def orders_of(routes: Mapping[str, Route]) -> dict[str, list[str]]:
    return {e: [s.visit_id for s in r.stops] for e, r in routes.items() if r.stops}


def valid(p: Problem, routes: Mapping[str, Route]) -> bool:
    """Whether the routes break no rule (visits left out are not listed: not a break)."""
    plan = Plan(tuple(r for r in routes.values() if r.stops), (), None)
    return all(v.code == Code.MISSING for v in validate(p, plan, matrix_of(p)))


def model_objective(p: Problem, routes: Mapping[str, Route]) -> int:
    """The OR-Tools model's objective of ``routes`` (drop penalties of the rest included):
    the first solution of a search started from them."""
    m = matrix_of(p)
    able = serviceable_engineers(p, m)
    vehicle = {e.id: i for i, e in enumerate(p.engineers)}
    vehicles_for = {v.id: [vehicle[e] for e in able[v.id]] for v in p.visits}
    ctx = build_model(p, m, p.options.weights, list(p.visits), vehicles_for, frozenset())
    params = search_parameters(dataclasses.replace(p.options, solution_limit=1), 5.0)
    ctx.routing.CloseModelWithParameters(params)
    orders = orders_of(routes)
    starts = [
        [ctx.index(ctx.visit_nodes[vid][0]) for vid in orders.get(e.id, [])] for e in p.engineers
    ]
    solution = ctx.routing.SolveFromAssignmentWithParameters(
        ctx.routing.ReadAssignmentFromRoutes(starts, True), params
    )
    return int(solution.ObjectiveValue())


def test_a_left_out_visit_goes_where_it_adds_least_driving() -> None:
    """Two engineers have room; the visit beside the far engineer's stop goes to them, next
    to that stop, and the plan stays valid."""
    crew = [engineer("near", at=0), engineer("far", at=5)]
    visits = [visit("a", 1), visit("b", 4), visit("late", 4)]
    p = problem(crew, visits)
    before, result = repair(p, {"near": ["a"], "far": ["b"]})
    assert result.inserted == ("late",)
    orders = orders_of(result.routes)
    assert orders["near"] == ["a"]
    assert sorted(orders["far"]) == ["b", "late"]  # same place: either order adds nothing
    assert result.taken_out == ()
    assert valid(p, result.routes)
    assert result.delta == model_objective(p, result.routes) - model_objective(p, before)


def test_an_urgent_visit_takes_the_place_of_a_less_urgent_one_when_no_route_has_room() -> None:
    """One two-hour shift holds one of two 90-minute visits: the priority-1 visit replaces
    the priority-5 one, which is reported as taken out."""
    crew = [engineer("e", at=0, shift=(hm(8), hm(10)))]
    visits = [visit("low", 1, minutes=90, priority=5), visit("urgent", 1, minutes=90, priority=1)]
    p = problem(crew, visits)
    before, result = repair(p, {"e": ["low"]})
    assert result.inserted == ("urgent",)
    assert result.taken_out == ("low",)
    assert orders_of(result.routes) == {"e": ["urgent"]}
    assert valid(p, result.routes)
    radices, w = priority_radices(p.visits), p.options.weights
    gain = drop_penalty(visits[1], radices, w) - drop_penalty(visits[0], radices, w)
    assert result.delta == -gain  # same place, same driving: only the penalties change
    assert result.delta == model_objective(p, result.routes) - model_objective(p, before)


def test_no_visit_is_inserted_against_a_skill_a_load_limit_or_an_event() -> None:
    """The nearest engineer lacks the skill, the next one's van is full, so the visit goes
    to the third; a community event is never taken out, even for a more urgent visit."""
    crew = [
        engineer("plain", at=1),
        dataclasses.replace(engineer("full", at=2, skills=["tv"]), load_capacity=1),
        engineer("skilled", at=5, skills=["tv"]),
        engineer("host", at=0, shift=(hm(8), hm(11))),
        engineer("cohost", at=0, shift=(hm(8), hm(11))),
    ]
    visits = [
        dataclasses.replace(visit("tv", 2, skills=["tv"], priority=1), load=1),
        dataclasses.replace(visit("parts", 2, skills=["tv"], priority=1), load=1),
        visit("fair", 0, minutes=180, k=2, windows=[(hm(8), hm(8))], priority=5),
        visit("urgent", 0, minutes=60, priority=1, allowed=["host", "cohost"]),
    ]
    p = problem(crew, visits)
    _, result = repair(p, {"full": ["parts"], "host": ["fair"], "cohost": ["fair"]})
    assert result.inserted == ("tv",)
    assert orders_of(result.routes)["skilled"] == ["tv"]
    assert orders_of(result.routes)["host"] == ["fair"]
    assert orders_of(result.routes)["cohost"] == ["fair"]
    assert result.taken_out == ()


@pytest.mark.parametrize(
    "case",
    ["overtime", "soft-window", "non-preferred", "fixed-cost"],
)
def test_the_pass_prices_a_change_exactly_as_the_model_does(case: str) -> None:
    """The objective change the pass reports is the model's own: driving, overtime, soft
    lateness, a non-preferred engineer and the cost of sending an engineer out all count."""
    weights = Weights(fixed_per_engineer=500) if case == "fixed-cost" else None
    crew = [engineer("e", at=0, shift=(hm(8), hm(10)), overtime_min=60), engineer("idle", at=5)]
    first = visit("first", 2, minutes=60)
    extra = {
        "overtime": visit("x", 3, minutes=40),
        "soft-window": visit("x", 3, minutes=20, windows=[(hm(8), hm(9))], soft=True),
        "non-preferred": visit("x", 1, minutes=20, preferred=["idle"]),
        "fixed-cost": visit("x", 5, minutes=20, allowed=["idle"]),
    }[case]
    p = problem(crew, [first, extra], weights=weights)
    before, result = repair(p, {"e": ["first"]})
    assert result.inserted == ("x",)
    assert valid(p, result.routes)
    assert result.delta == model_objective(p, result.routes) - model_objective(p, before)
    assert result.delta < 0


def test_when_the_nearest_engineers_have_no_place_the_others_are_tried() -> None:
    """The engineers whose routes pass nearest are tried first; when none has room, a
    farther able engineer with room gets the visit."""
    crew = [engineer("near", at=1, shift=(hm(8), hm(10))), engineer("far", at=5)]
    visits = [visit("busy", 1, minutes=120, priority=1), visit("x", 1, minutes=30, priority=1)]
    p = problem(crew, visits)
    _, result = repair(p, {"near": ["busy"]}, SearchParams(nearest_engineers=1))
    assert result.inserted == ("x",)
    assert orders_of(result.routes) == {"near": ["busy"], "far": ["x"]}
    assert valid(p, result.routes)
