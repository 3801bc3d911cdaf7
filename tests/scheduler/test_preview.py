"""Previewing a dispatcher's manual change (``scheduler.preview``) on hand-built line days
(10 minutes per step), against figures worked out by hand."""

from __future__ import annotations

import pytest

from scheduler.domain import Plan, Problem, Weights
from scheduler.errors import ProblemError
from scheduler.preview import Move, preview
from scheduler.timeline import schedule_route
from scheduler.validate import Code
from tests.builders import STEP, engineer, hm, matrix_of, problem, visit


def day(**visit_windows: tuple[int, int]) -> Problem:
    """w at p0, e at p9, both 8:00-16:00; a at p1, b at p2, c at p8 (30 min each)."""
    crew = [engineer("w", at=0), engineer("e", at=9)]
    places = {"a": 1, "b": 2, "c": 8}
    visits = [
        visit(vid, at, windows=[visit_windows[vid]] if vid in visit_windows else [])
        for vid, at in places.items()
    ]
    return problem(crew, visits, points=10, weights=Weights(fixed_per_engineer=1000))


def plan_of(p: Problem, **orders: list[str]) -> Plan:
    m = matrix_of(p)
    return Plan(
        tuple(
            schedule_route(p, p.engineer(eid), order, m).to_route() for eid, order in orders.items()
        ),
        (),
    )


def order(plan: Plan, eid: str) -> list[str]:
    r = plan.route_of(eid)
    return [s.visit_id for s in r.stops] if r else []


def test_a_move_to_another_engineer_is_priced_per_term_by_hand() -> None:
    """w: a, b, c (0-1-2-8-0: 16 steps); e idle. Moving c to e: w drives 0-1-2-0 (4 steps), e
    drives 9-8-9 (2 steps): 10 steps less driving, one more engineer out (1000)."""
    p = day()
    plan = plan_of(p, w=["a", "b", "c"], e=[])
    result = preview(p, matrix_of(p), plan, [Move("c", "e")])
    assert result.feasible
    assert order(result.plan, "w") == ["a", "b"]
    assert order(result.plan, "e") == ["c"]
    delta = result.delta()
    assert delta["travel"] == -10 * STEP
    assert delta["fixed"] == 1000
    assert delta["total"] == -10 * STEP + 1000
    assert result.churn.reassigned == 1
    assert result.churn.compared == 3


def test_a_move_at_a_position_and_one_by_start_time() -> None:
    p = day()
    plan = plan_of(p, w=["a", "b"], e=["c"])
    at_front = preview(p, matrix_of(p), plan, [Move("c", "w", position=0)])
    assert order(at_front.plan, "w") == ["c", "a", "b"]
    assert order(at_front.plan, "e") == []
    # e serves c (p8) 8:10-8:40, then drives 7 steps to a (p1): there at 9:50 at the earliest.
    by_start = preview(p, matrix_of(p), plan, [Move("a", "e", start=hm(10))])
    assert by_start.feasible
    assert order(by_start.plan, "e") == ["c", "a"]  # c starts 8:10, before 10:00
    (a,) = [s for s in by_start.plan.route_of("e").stops if s.visit_id == "a"]  # type: ignore[union-attr]
    assert a.start == hm(10)
    too_soon = preview(p, matrix_of(p), plan, [Move("a", "e", start=hm(9, 30))])
    assert not too_soon.feasible


def test_without_a_place_the_cheapest_feasible_detour_is_taken() -> None:
    """b (p2) goes between a (p1) and c (p8) on w's route: no detour at all."""
    p = day()
    plan = plan_of(p, w=["a", "c"], e=["b"])
    result = preview(p, matrix_of(p), plan, [Move("b", "w")])
    assert order(result.plan, "w") == ["a", "b", "c"]
    assert result.delta()["travel"] == -14 * STEP  # e no longer drives 9-2-9


def test_a_move_that_breaks_a_window_is_answered_with_the_violation() -> None:
    """a must start by 8:20; after c (p8, ends 9:50 at the earliest) w reaches p1 far too late."""
    p = day(a=(hm(8), hm(8, 20)))
    plan = plan_of(p, w=["a"], e=["b", "c"])
    result = preview(p, matrix_of(p), plan, [Move("c", "w", position=0)])
    assert not result.feasible
    assert [v.code for v in result.violations] == [Code.WINDOW]
    assert "a" in result.violations[0].message


def test_moves_apply_in_order_and_the_plan_given_is_untouched() -> None:
    p = day()
    plan = plan_of(p, w=["a", "b", "c"], e=[])
    result = preview(p, matrix_of(p), plan, [Move("c", "e"), Move("b", "e", position=0)])
    assert order(result.plan, "e") == ["b", "c"]
    assert order(plan, "w") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("move", "frozen", "named"),
    [
        (Move("zz", "w"), (), "zz"),
        (Move("a", "nobody"), (), "nobody"),
        (Move("a", "e"), ("a",), "under way"),
        (Move("c", "w", position=5), (), "0..2"),
        (Move("a", "w"), (), "already serves"),
    ],
)
def test_bad_moves_are_refused_naming_what_is_wrong(
    move: Move, frozen: tuple[str, ...], named: str
) -> None:
    p = day()
    plan = plan_of(p, w=["a", "b"], e=["c"])
    with pytest.raises(ProblemError, match=named):
        preview(p, matrix_of(p), plan, [move], frozen=frozen)


def test_a_shared_visit_names_which_engineer_gives_it_up() -> None:
    crew = [engineer("w", at=0), engineer("e", at=9), engineer("x", at=5)]
    desk = visit("desk", 5, minutes=120, windows=[(hm(10), hm(10))], k=2)
    p = problem(crew, [desk], points=10)
    plan = plan_of(p, w=["desk"], e=["desk"], x=[])
    with pytest.raises(ProblemError, match="replaces"):
        preview(p, matrix_of(p), plan, [Move("desk", "x")])
    result = preview(p, matrix_of(p), plan, [Move("desk", "x", replaces="w")])
    assert result.feasible
    assert (order(result.plan, "w"), order(result.plan, "x")) == ([], ["desk"])
    (stop,) = result.plan.route_of("x").stops  # type: ignore[union-attr]
    assert stop.start == hm(10)  # the team still starts together
    # w drove 0-5-0 (10 steps), x drives 5-5-5 (none).
    assert result.delta()["travel"] == -10 * STEP
