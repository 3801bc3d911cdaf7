"""Event selection in the routing model: exact unique coverage as prizes, a budget of
engineer-hours, home-service limits, and a comparison with a planner's manual choice."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.domain import Problem
from scheduler.errors import ProblemError
from scheduler.simulate.coverage import Coverage, EventCoverage, Mode, Residents
from scheduler.simulate.selection import HomeServiceLimits, coverage_prizes, select_events
from scheduler.solver.event_selection import EventChoice, solve_choosing_events
from scheduler.validate import validate
from tests.builders import H, engineer, hm, matrix_of, problem, visit


def hand_coverage(reach: dict[str, set[int]], residents: int) -> Coverage:
    """Coverage where event ``e`` reaches buildings ``reach[e]`` (one resident each)."""
    people = Residents(
        ids=tuple(f"b{i}" for i in range(residents)),
        lon=np.zeros(residents),
        lat=np.zeros(residents),
        weight=np.ones(residents),
    )
    events = tuple(
        EventCoverage(e, 0, 0.0, len(b), float(len(b)), np.array(sorted(b), dtype=np.int64))
        for e, b in reach.items()
    )
    return Coverage(Mode.DRIVE, 10.0, None, people, events, 0, 0.0)


# A reaches the most people alone, but half of them are also reached by B or by C, and
# B and C do not overlap: with room for two events, B + C (12) beats A + either (10).
REACH = {"A": {3, 4, 5, 6, 7, 8, 12}, "B": {0, 1, 2, 3, 4, 5}, "C": {6, 7, 8, 9, 10, 11}}


def outreach_day(homes: int = 6, time_limit: float = 10.0) -> Problem:
    """Four engineers at p0; three two-engineer, two-hour events starting 09:00-12:00."""
    engineers = [engineer(f"e{i}") for i in range(4)]
    home = [visit(f"h{i}", 1 + i % 5, minutes=40, windows=[(hm(8), hm(15))]) for i in range(homes)]
    events = [
        visit(name, at, minutes=120, windows=[(hm(9), hm(12))], k=2)
        for name, at in (("A", 2), ("B", 3), ("C", 4))
    ]
    return problem(engineers, home + events, time_limit=time_limit, solution_limit=300)


def test_prizes_of_any_held_set_equal_its_unique_coverage() -> None:
    cov = hand_coverage(REACH, 13)
    prizes, shared = coverage_prizes(cov, "ABC", resident_value=10)
    for held in ({"A"}, {"B", "C"}, {"A", "B"}, {"A", "B", "C"}):
        earned = sum(prizes[e] for e in held) + sum(s.prize for s in shared if s.events & held)
        assert earned == 10 * cov.unique_residents(held)


def test_model_finds_the_known_optimum_and_beats_the_manual_choice() -> None:
    day = outreach_day()
    m = matrix_of(day)
    cov = hand_coverage(REACH, 13)
    result = select_events(day, m, cov, budget_hours=8, manual=["A", "B"])
    assert result.chosen.events == ("B", "C")
    assert result.chosen.residents == 12.0
    assert result.manual is not None and result.manual.residents == 10.0
    assert result.chosen.residents >= result.manual.residents
    assert result.chosen.engineer_hours <= 8
    assert validate(day, result.chosen.plan, m) == []
    assert validate(day, result.manual.plan, m) == []
    table = result.table()
    assert list(table.index) == ["model", "manual"]
    assert table.loc["model", "residents"] == 12.0
    # Held events are fully staffed and start together.
    for e in result.chosen.events:
        starts = {s.start for r in result.chosen.plan.routes for s in r.stops if s.visit_id == e}
        engineers = [
            r.engineer_id
            for r in result.chosen.plan.routes
            if any(s.visit_id == e for s in r.stops)
        ]
        assert len(starts) == 1 and len(engineers) == 2


def test_budget_is_respected() -> None:
    day = outreach_day()
    cov = hand_coverage(REACH, 13)
    one = select_events(day, matrix_of(day), cov, budget_hours=4.5)
    assert len(one.chosen.events) == 1 and one.chosen.engineer_hours <= 4.5
    assert one.chosen.events == ("A",)  # the best single event
    none = select_events(day, matrix_of(day), cov, budget_hours=3)
    assert none.chosen.events == () and none.chosen.residents == 0
    every = select_events(day, matrix_of(day), cov, budget_hours=None)
    assert len(every.chosen.events) >= 2  # four engineers, events 09:00-14:00 at most


def test_home_service_limit_stops_events_that_cost_home_visits() -> None:
    # Two engineers; a two-engineer event 09:00-15:00 leaves no time for two home visits
    # in 09:00-15:00 windows. Allowed to defer none, the model holds no event.
    engineers = [engineer("e1"), engineer("e2")]
    home = [visit(f"h{i}", 1, minutes=60, windows=[(hm(9), hm(14))]) for i in range(2)]
    event = visit("E", 2, minutes=6 * 60, windows=[(hm(9), hm(9))], k=2)
    day = problem(engineers, [*home, event], time_limit=5, solution_limit=200)
    cov = hand_coverage({"E": {0, 1, 2}}, 3)
    strict = select_events(
        day,
        matrix_of(day),
        cov,
        budget_hours=None,
        limits=HomeServiceLimits(max_deferred=0),
        manual=["E"],
    )
    assert strict.chosen.events == () and strict.chosen.home_deferred == 0
    assert strict.manual is not None and strict.manual.home_deferred == 2
    assert strict.manual.within_limits is False and strict.chosen.within_limits
    loose = select_events(
        day, matrix_of(day), cov, budget_hours=None, limits=HomeServiceLimits(max_deferred=2)
    )
    assert loose.chosen.events == ("E",) and loose.chosen.home_deferred == 2


def test_bad_choices_are_named() -> None:
    day = outreach_day(homes=0, time_limit=2)
    m = matrix_of(day)
    cov = hand_coverage(REACH, 13)
    with pytest.raises(ProblemError, match="candidates"):
        select_events(day, m, cov, budget_hours=8, candidates=["Z"])
    with pytest.raises(ProblemError, match="budget_s"):
        solve_choosing_events(
            day, m, EventChoice(candidates=frozenset("C"), required=frozenset("AB"), budget_s=H)
        )
    with pytest.raises(ProblemError, match="has no coverage"):
        select_events(day, m, hand_coverage({"A": {1}}, 2), budget_hours=8)
