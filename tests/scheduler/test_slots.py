"""Booking slots (``scheduler.slots``) on a hand-built line day (10 minutes per step)."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.domain import Plan, Problem, TimeWindow, Weights
from scheduler.errors import ProblemError
from scheduler.slots import BookingDay, SlotRequest, offer_slots, with_request
from scheduler.timeline import schedule_route
from tests.builders import STEP, engineer, hm, line_matrix, matrix_of, problem, visit

FIXED = 1000


def booking_day(
    windows: list[tuple[int, int]], *, not_before: int | None = None, at: int = 1
) -> BookingDay:
    """w (p0) serves a at p2 in 9:00-9:30; e (p9, skill tv) is idle; 8:00-16:00 both.
    The request's place is p``at``: the line matrix with one more row and column."""
    crew = [engineer("w", at=0), engineer("e", at=9, skills=["tv"])]
    p = problem(
        crew, [visit("a", 2, windows=[(hm(9), hm(9, 30))])], points=10,
        weights=Weights(fixed_per_engineer=FIXED),
    )  # fmt: skip
    route = schedule_route(p, p.engineer("w"), ["a"], matrix_of(p)).to_route()
    plan = Plan((route,), ())
    day = with_request(p, SlotRequest(60.17, 24.91, 30 * 60))
    line = np.asarray(line_matrix(10), dtype=np.int64)
    m = np.zeros((11, 11), dtype=np.int64)
    m[:10, :10] = line
    m[10, :10] = m[:10, 10] = line[at]  # the request sits on point ``at``
    return BookingDay(
        "2026-11-27", day, m, plan,
        tuple(TimeWindow(a, b) for a, b in windows), not_before=not_before,
    )  # fmt: skip


def test_each_window_gets_its_cheapest_engineer_and_impossible_ones_none() -> None:
    """The request at p1 lies on w's way to and from a (p2): no detour, no new engineer, so
    it costs nothing before a (8:10 start) or after it (window 10:00); 15:45 would bring w
    back at 16:25, after the shift."""
    day = booking_day([(hm(10), hm(12)), (hm(8), hm(10)), (hm(15, 45), hm(16))])
    slots = offer_slots([day], SlotRequest(60.17, 24.91, 30 * 60))
    assert [(s.window.start, s.engineer_id, s.position, s.start, s.added_cost) for s in slots] == [
        (hm(8), "w", 0, hm(8, 10), 0),
        (hm(10), "w", 1, hm(10), 0),
    ]


def test_a_skill_only_an_idle_engineer_has_costs_their_day() -> None:
    """Only e has tv: e drives 9-1-9 (16 steps) and comes out (the fixed cost)."""
    day = booking_day([(hm(8), hm(12))])
    (slot,) = offer_slots([day], SlotRequest(60.17, 24.91, 30 * 60, frozenset({"tv"})))
    assert (slot.engineer_id, slot.start, slot.added_cost) == ("e", hm(9, 20), 16 * STEP + FIXED)


def test_cheapest_first_across_days_and_nothing_before_not_before() -> None:
    """On a second day the request sits at p5: 6 steps more driving for w, less than e's
    9-5-9 (8 steps) and fixed cost."""
    near = booking_day([(hm(8), hm(10))], not_before=hm(9, 45))
    far = booking_day([(hm(8), hm(10))], at=5)
    far = BookingDay("2026-11-28", far.problem, far.matrix, far.plan, far.windows)
    slots = offer_slots([far, near], SlotRequest(60.17, 24.91, 30 * 60))
    assert [(s.day, s.added_cost) for s in slots] == [
        ("2026-11-27", 0),  # after a: 9:40 at p1, starts 9:45 (not before 9:45)
        ("2026-11-28", 6 * STEP),  # 0-5-2-0 (10 steps) against 0-2-0 (4)
    ]
    assert slots[0].start == hm(9, 45)


def test_a_day_without_the_request_place_is_named() -> None:
    day = booking_day([(hm(8), hm(10))])
    bare: Problem = problem([engineer("w")], [], points=10)
    with pytest.raises(ProblemError, match="2026-11-27"):
        offer_slots([BookingDay("2026-11-27", bare, day.matrix, day.plan, day.windows)],
                    SlotRequest(60.17, 24.91, 1800))  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "named"), [({"duration": 0}, "duration"), ({"lat": 91.0}, "lat")]
)
def test_a_bad_request_is_named(fields: dict[str, float], named: str) -> None:
    values = {"lat": 60.17, "lon": 24.91, "duration": 1800} | fields
    with pytest.raises(ProblemError, match=named):
        SlotRequest(values["lat"], values["lon"], int(values["duration"]))
