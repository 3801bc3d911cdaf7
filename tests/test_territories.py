"""Territories for large days: an event's engineers are never split, a pin never broken.

Line problems (10 min per step): engineers e1, e2 live at p0 and e3, e4 at p9; the visits
near each end form two territories, but an event needing three engineers and a visit pinned
to the far engineer have to pull people across.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from scheduler.domain import Problem, SolveOptions
from scheduler.explain import serviceable_engineers
from scheduler.solver import search as search_module
from scheduler.solver import solve
from scheduler.solver.territories import split_into_territories
from scheduler.validate import validate
from tests.builders import engineer, hm, matrix_of, problem, visit


def day() -> Problem:
    crew = [
        engineer("e1", at=0, shift=(hm(8), hm(18))),
        engineer("e2", at=0, shift=(hm(8), hm(18))),
        engineer("e3", at=9, shift=(hm(8), hm(18))),
        engineer("e4", at=9, shift=(hm(8), hm(18))),
    ]
    west = [visit(f"w{i}", i % 3, minutes=20) for i in range(6)]
    east = [visit(f"x{i}", 7 + i % 3, minutes=20) for i in range(6)]
    event = visit("fair", 8, minutes=60, k=3, windows=[(hm(13), hm(13))])
    pinned = visit("pin", 9, minutes=20, allowed=["e1"])  # east end, pinned to a westerner
    return problem(crew, [*west, *east, event, pinned], points=10, time_limit=6.0)


def test_split_keeps_an_event_staffed_and_a_pin_with_its_engineer() -> None:
    p = day()
    m = matrix_of(p)
    able = serviceable_engineers(p, m)
    parts = split_into_territories(p, m, p.visits, able, k=2)
    assert len(parts) == 2
    assert sorted(e for t in parts for e in t.engineers) == ["e1", "e2", "e3", "e4"]
    assert sorted(v for t in parts for v in t.visits) == sorted(v.id for v in p.visits)
    (fair,) = [t for t in parts if "fair" in t.visits]
    assert len(fair.engineers) >= 3
    (pin,) = [t for t in parts if "pin" in t.visits]
    assert "e1" in pin.engineers


def test_solving_by_territories_serves_the_event_together_and_honours_the_pin() -> None:
    p = day()
    options = dataclasses.replace(p.options, decompose_above=1)
    assert isinstance(options, SolveOptions)
    stages: list[str] = []
    plan = solve(p, matrix_of(p), options, progress=lambda r: stages.append(r.stage))
    assert "territories joined" in stages
    assert validate(p, plan, matrix_of(p)) == []
    at_fair = [r.engineer_id for r in plan.routes for s in r.stops if s.visit_id == "fair"]
    assert len(at_fair) == 3
    starts = {s.start for r in plan.routes for s in r.stops if s.visit_id == "fair"}
    assert starts == {hm(13)}
    assert [r.engineer_id for r in plan.routes for s in r.stops if s.visit_id == "pin"] == ["e1"]
    assert plan.unassigned == ()


def test_when_the_whole_day_cannot_start_from_the_territories_their_plans_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen on a 2,000-visit day: the joined warm start failed and the day was planned
    afresh in the time left, serving nothing. The territories' plans must survive."""
    original = search_module._Search.run

    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("warm_routes") is not None:
            return None  # the whole-day search could not start from the joined routes
        return original(self, *args, **kwargs)

    monkeypatch.setattr(search_module._Search, "run", run)
    p = day()
    options = dataclasses.replace(p.options, decompose_above=1)
    stages: list[str] = []
    plan = solve(p, matrix_of(p), options, progress=lambda r: stages.append(r.stage))
    assert "territories kept as planned" in stages
    assert validate(p, plan, matrix_of(p)) == []
    assert plan.unassigned == ()
    assert len([s for r in plan.routes for s in r.stops if s.visit_id == "fair"]) == 3
