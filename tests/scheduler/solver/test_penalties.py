"""Drop penalties make priorities strict: one visit of priority p outweighs every less urgent
visit of the problem together."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scheduler.solver.penalties import PENALTY_CAP, drop_penalties, visit_penalty
from tests.builders import visit


def test_hand_computed_penalties() -> None:
    # one visit of each priority, base 10: P5 = 10, P4 = 10 + 10 = 20, P3 = 10 + 20 + 10 = 40,
    # P2 = 10 + 40 + 20 + 10 = 80, P1 = 10 + 80 + 40 + 20 + 10 = 160
    visits = [visit(f"v{p}", 0, priority=p) for p in range(1, 6)]
    assert drop_penalties(visits, 10) == {5: 10, 4: 20, 3: 40, 2: 80, 1: 160}


def test_an_event_counts_as_k_visits() -> None:
    event = visit("ev", 0, priority=2, k=3)
    penalties = drop_penalties([event, visit("v", 0, priority=1)], 100)
    assert visit_penalty(event, penalties) == 3 * penalties[2]
    assert penalties[1] == 100 + 3 * penalties[2]


@given(st.lists(st.integers(1, 5), min_size=1, max_size=300), st.integers(1, 100_000))
def test_each_level_outweighs_all_less_urgent_visits(priorities: list[int], base: int) -> None:
    visits = [visit(f"v{i}", 0, priority=p) for i, p in enumerate(priorities)]
    penalties = drop_penalties(visits, base)
    for p in range(1, 5):
        below = sum(penalties[v.priority] for v in visits if v.priority > p)
        if penalties[p] < PENALTY_CAP:
            assert penalties[p] > below
