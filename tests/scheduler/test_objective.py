"""The objective priced once (`scheduler.objective`): strict priorities at any size, and each
term as documented."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain import Route, Stop, Weights
from scheduler.objective import drop_penalty, penalty_units, price, priority_radices
from tests.builders import MIN, STEP, engineer, hm, matrix_of, problem, visit


def test_hand_computed_penalties() -> None:
    # One visit of each priority, base 10: P5 = 10, P4 = 10 + 10 = 20, P3 = 10 + 20 + 10 = 40,
    # P2 = 10 + 40 + 20 + 10 = 80, P1 = 10 + 80 + 40 + 20 + 10 = 160.
    visits = [visit(f"v{p}", 0, priority=p) for p in range(1, 6)]
    radices = priority_radices(visits)
    w = Weights(drop_base=10)
    assert {v.priority: drop_penalty(v, radices, w) for v in visits} == {
        5: 10,
        4: 20,
        3: 40,
        2: 80,
        1: 160,
    }


def test_an_event_counts_as_k_visits() -> None:
    event = visit("ev", 0, priority=2, k=3)
    urgent = visit("v", 0, priority=1)
    radices = priority_radices([event, urgent])
    assert penalty_units(event, radices) == 3 * radices[2]
    w = Weights(drop_base=100)
    assert drop_penalty(urgent, radices, w) == 100 + drop_penalty(event, radices, w)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=300),
    st.integers(1, 100_000),
)
def test_each_level_outweighs_all_less_urgent_visits(priorities: list[int], base: int) -> None:
    visits = [visit(f"v{i}", 0, priority=p) for i, p in enumerate(priorities)]
    radices = priority_radices(visits)
    w = Weights(drop_base=base)
    for p in range(1, 5):
        below = sum(drop_penalty(v, radices, w) for v in visits if v.priority > p)
        assert drop_penalty(visit("x", 0, priority=p), radices, w) >= below + base


def test_priorities_stay_strict_above_city_size() -> None:
    """2,500 visit-units and more (the old 10**15 cap broke strictness near 2,000): one
    more urgent visit still outweighs every less urgent visit of the day together, exactly."""
    for per_level in (500, 2_000, 20_000):
        visits = [visit(f"v{p}-{i}", 0, priority=p) for p in range(1, 6) for i in range(per_level)]
        radices = priority_radices(visits)
        w = Weights()
        for p in range(1, 5):
            below = sum(
                per_level * drop_penalty(visit("y", 0, priority=q), radices, w)
                for q in range(p + 1, 6)
            )
            assert drop_penalty(visit("x", 0, priority=p), radices, w) == below + w.drop_base
    # At 100,000 visit-units the total passes 64 bits: exact integers, no cap.
    assert drop_penalty(visit("x", 0, priority=1), radices, w) * per_level > 2**63


def test_each_term_as_documented() -> None:
    # A line of points 10 minutes apart; e1 leaves p0, serves "a" at p2 (soft window 8:00-8:10,
    # started 8:30: 20 min late) and "b" at p3 (prefers e2), back at p0 10 min after shift end.
    e1 = engineer("e1", at=0, shift=(hm(8), hm(9)), overtime_min=60)
    e2 = engineer("e2", at=5)
    a = visit("a", 2, minutes=10, windows=[(hm(8), hm(8, 10))], soft=True)
    b = visit("b", 3, minutes=10, preferred=["e2"])
    c = visit("c", 4, priority=1)
    p = problem([e1, e2], [a, b, c], weights=Weights(fixed_per_engineer=7, balance_per_second=2))
    p = dataclasses.replace(p, visits=(dataclasses.replace(a, lateness_cost=3), b, c))
    route = Route(
        "e1",
        hm(8, 10),
        hm(9, 10),
        (Stop("a", hm(8, 30), hm(8, 30), hm(8, 40)), Stop("b", hm(8, 50), hm(8, 50), hm(9))),
    )
    got = price(p, [route], ["c"], matrix_of(p), p.options.weights)
    drive = 2 * STEP + STEP + 3 * STEP  # p0 -> p2 -> p3 -> p0
    assert got.travel == drive
    assert got.overtime == 2 * 10 * MIN
    assert got.lateness == 3 * 20 * MIN
    assert got.fixed == 7
    assert got.non_preferred == 900
    assert got.balance == 2 * (drive + 20 * MIN)
    radices = priority_radices(p.visits)
    assert got.dropped == p.options.weights.drop_base * radices[1]
    assert got.total == sum(got[t] for t in ("travel", "overtime", "lateness", "fixed",
                                             "non_preferred", "balance", "dropped"))  # fmt: skip
