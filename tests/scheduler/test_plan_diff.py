"""What changed between two plans, per visit and per engineer, on hand-built plans with
known answers."""

from __future__ import annotations

from scheduler.domain import Plan, Route, Stop
from scheduler.plan_diff import plan_diff
from tests.builders import hm


def route(engineer: str, *stops: tuple[str, int]) -> Route:
    timed = tuple(Stop(v, t, t, t + 1800) for v, t in stops)
    end = timed[-1].end if timed else hm(8)
    return Route(engineer, hm(8), end, timed)


def test_each_kind_of_change_per_visit_and_per_engineer() -> None:
    old = Plan(
        (
            route("a", ("same", hm(9)), ("later", hm(10)), ("given", hm(11)), ("done", hm(12))),
            route("b", ("lost", hm(9)), ("nudged", hm(10))),
            route("c", ("team", hm(13))),
            route("d", ("team", hm(13))),
        ),
        (),
    )
    new = Plan(
        (
            route("a", ("same", hm(9)), ("later", hm(10, 30))),
            route("b", ("given", hm(11)), ("nudged", hm(10, 10)), ("new", hm(14))),
            route("c", ("team", hm(13, 20))),
            route("d", ("team", hm(13, 20))),
        ),
        (),
    )
    diff = plan_diff(old, new, tolerance=900, gone={"done"})
    kinds = {c.visit_id: c.change for c in diff.visits}
    assert kinds == {
        "same": "unchanged",
        "later": "moved",  # 30 min > 15 min tolerance
        "nudged": "unchanged",  # 10 min: within it
        "given": "reassigned",
        "done": "left",
        "lost": "dropped",
        "new": "added",
        "team": "moved",  # counted once, for both its engineers
    }
    later = next(c for c in diff.visits if c.visit_id == "later")
    assert later.seconds_moved == 1800 and later.engineers_before == {"a"}
    team = next(c for c in diff.visits if c.visit_id == "team")
    assert team.engineers_after == {"c", "d"}
    a, b = diff.engineers[0], diff.engineers[1]
    assert (a.engineer_id, a.added, a.removed, a.moved) == ("a", (), ("given", "done"), ("later",))
    assert (a.stops_before, a.stops_after) == (4, 2)
    assert (b.engineer_id, b.added, b.removed, b.moved) == ("b", ("given", "new"), ("lost",), ())
    assert b.return_after == hm(14, 30)


def test_an_engineer_in_one_plan_only_has_no_times_in_the_other() -> None:
    diff = plan_diff(Plan((route("a", ("v", hm(9))),), ()), Plan((), ()))
    (a,) = diff.engineers
    assert a.removed == ("v",) and a.departure_after is None and a.return_after is None
    assert diff.visits[0].change == "dropped" and diff.visits[0].seconds_moved is None
