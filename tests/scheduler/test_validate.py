"""Tests for the independent plan checker, on one hand-timed scenario and single mutations.

Scenario (times as HH:MM; the matrix is in seconds, symmetric, locations D A B C):

         D     A     B     C
    D    0   600   900  1200      D-A 10 min, D-B 15 min, D-C 20 min
    A  600     0   300   900      A-B  5 min, A-C 15 min
    B  900   300     0   600      B-C 10 min
    C 1200   900   600     0

Engineers all start and end at D, shift 08:00-16:00, one 30 min break within 12:00-14:00:
e1 Alice (skills gas+elec, 1 h overtime allowed), e2 Bob (elec), e3 Cara (stays home).
Visits: vA at A (60 min, window 09:00-10:00, needs gas); vB at B (30 min, window
10:00-10:30); ev at C (event, 2 engineers, 60 min, window 13:00-14:00); vU at A (unassigned).

Valid plan:
  Alice  leaves 08:50, +10 -> vA 09:00-10:00, +5 -> vB 10:05-10:35, +10 -> arrives C 10:45,
         break 12:00-12:30 (gap 10:35-13:00 = 145 min >= 10 drive + 30 break),
         ev 13:00-14:00, +20 -> back 14:20.
  Bob    break 12:00-12:30 before leaving, leaves 12:30, +20 -> arrives C 12:50,
         ev 13:00-14:00, +20 -> back 14:20.
  Cara   empty route.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from scheduler.domain import (
    Break,
    BreakTaken,
    Engineer,
    Location,
    Plan,
    Problem,
    Reason,
    Route,
    Stop,
    TimeWindow,
    Unassigned,
    Visit,
    VisitKind,
)
from scheduler.errors import FieldrouteError, ProblemError
from scheduler.travel import Matrix
from scheduler.validate import (
    Code,
    PlanInvalid,
    Violation,
    assert_valid,
    format_duration,
    format_hms,
    validate,
)

MATRIX: Matrix = np.array(
    [
        [0, 600, 900, 1200],
        [600, 0, 300, 900],
        [900, 300, 0, 600],
        [1200, 900, 600, 0],
    ],
    dtype=np.int64,
)


def hm(h: int, m: int = 0) -> int:
    """Clock time as seconds since midnight."""
    return h * 3600 + m * 60


LUNCH = Break(1800, hm(12), hm(14))


def make_problem() -> Problem:
    def engineer(eid: str, name: str, **kw: Any) -> Engineer:
        return Engineer(eid, "D", "D", hm(8), hm(16), name=name, breaks=(LUNCH,), **kw)

    return Problem(
        date=dt.date(2024, 5, 6),
        locations=tuple(Location(i, 51.5, -0.1 + n / 100) for n, i in enumerate("DABC")),
        engineers=(
            engineer("e1", "Alice", skills=frozenset({"gas", "elec"}), overtime_max=3600),
            engineer("e2", "Bob", skills=frozenset({"elec"})),
            engineer("e3", "Cara"),
        ),
        visits=(
            Visit(
                "vA",
                "A",
                3600,
                time_windows=(TimeWindow(hm(9), hm(10)),),
                required_skills=frozenset({"gas"}),
            ),
            Visit("vB", "B", 1800, time_windows=(TimeWindow(hm(10), hm(10, 30)),)),
            Visit(
                "ev",
                "C",
                3600,
                kind=VisitKind.COMMUNITY_EVENT,
                engineers_required=2,
                time_windows=(TimeWindow(hm(13), hm(14)),),
            ),
            Visit("vU", "A", 1800),
        ),
    )


def make_plan() -> Plan:
    return Plan(
        routes=(
            Route(
                "e1",
                departure=hm(8, 50),
                return_=hm(14, 20),
                stops=(
                    Stop("vA", hm(9), hm(9), hm(10)),
                    Stop("vB", hm(10, 5), hm(10, 5), hm(10, 35)),
                    Stop("ev", hm(10, 45), hm(13), hm(14)),
                ),
                breaks=(BreakTaken(hm(12), hm(12, 30)),),
            ),
            Route(
                "e2",
                departure=hm(12, 30),
                return_=hm(14, 20),
                stops=(Stop("ev", hm(12, 50), hm(13), hm(14)),),
                breaks=(BreakTaken(hm(12), hm(12, 30)),),
            ),
            Route("e3", departure=hm(8), return_=hm(8), stops=()),
        ),
        unassigned=(Unassigned("vU", Reason.CAPACITY, "no room"),),
    )


# ---- small editing helpers: each returns a changed copy -----------------------------------

Mutation = Callable[[Problem, Plan], tuple[Problem, Plan]]


def edit_route(plan: Plan, eid: str, **changes: Any) -> Plan:
    routes = tuple(replace(r, **changes) if r.engineer_id == eid else r for r in plan.routes)
    return replace(plan, routes=routes)


def edit_stop(plan: Plan, eid: str, vid: str, **changes: Any) -> Plan:
    route = plan.route_of(eid)
    assert route is not None
    stops = tuple(replace(s, **changes) if s.visit_id == vid else s for s in route.stops)
    return edit_route(plan, eid, stops=stops)


def edit_visit(problem: Problem, vid: str, **changes: Any) -> Problem:
    visits = tuple(replace(v, **changes) if v.id == vid else v for v in problem.visits)
    return replace(problem, visits=visits)


def edit_engineer(problem: Problem, eid: str, **changes: Any) -> Problem:
    engineers = tuple(replace(e, **changes) if e.id == eid else e for e in problem.engineers)
    return replace(problem, engineers=engineers)


def plan_only(f: Callable[[Plan], Plan]) -> Mutation:
    return lambda problem, plan: (problem, f(plan))


def problem_only(f: Callable[[Problem], Problem]) -> Mutation:
    return lambda problem, plan: (f(problem), plan)


def start_va_early(plan: Plan) -> Plan:
    # Leave 08:40, arrive A 08:50 and start at once: 10 min before the 09:00 window opens.
    plan = edit_route(plan, "e1", departure=hm(8, 40))
    return edit_stop(plan, "e1", "vA", arrival=hm(8, 50), start=hm(8, 50), end=hm(9, 50))


def start_vb_late(plan: Plan) -> Plan:
    # Start vB at 11:00, 30 min after its window closes; +10 min drive reaches C at 11:40,
    # and the gap 11:30-13:00 still holds 10 drive + 30 break.
    plan = edit_stop(plan, "e1", "vB", start=hm(11), end=hm(11, 30))
    return edit_stop(plan, "e1", "ev", arrival=hm(11, 40))


def add_unassigned(vid: str) -> Callable[[Plan], Plan]:
    return lambda plan: replace(
        plan, unassigned=(*plan.unassigned, Unassigned(vid, Reason.CAPACITY, "no room"))
    )


def soft(vid: str) -> Callable[[Problem], Problem]:
    return lambda problem: edit_visit(problem, vid, soft_windows=True)


def both(pf: Callable[[Problem], Problem], lf: Callable[[Plan], Plan]) -> Mutation:
    return lambda problem, plan: (pf(problem), lf(plan))


CASES = [
    # Leaving 07:50 is 10 min before the 08:00 shift start.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", departure=hm(7, 50))),
        ["SHIFT_START"],
        ("e1", "07:50:00", "10 min"),
        id="departure-before-shift",
    ),
    # Back 17:10; shift ends 16:00 with 1 h overtime allowed -> 10 min beyond 17:00.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", return_=hm(17, 10))),
        ["OVERTIME_MAX"],
        ("e1", "17:10:00", "exceeded by 10 min"),
        id="overtime-beyond-max",
    ),
    # Back 16:30 is 30 min overtime, within Alice's 1 h: costly but allowed.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", return_=hm(16, 30))),
        [],
        (),
        id="overtime-within-max-accepted",
    ),
    # vA lasts 60 min, so 09:00 start must end 10:00, not 09:50.
    pytest.param(
        plan_only(lambda p: edit_stop(p, "e1", "vA", end=hm(9, 50))),
        ["TIMING"],
        ("e1", "vA", "10:00:00"),
        id="end-not-start-plus-duration",
    ),
    # Service starts 09:00 but arrival is 09:10 (departure 08:50 + 10 min drive is fine).
    pytest.param(
        plan_only(lambda p: edit_stop(p, "e1", "vA", arrival=hm(9, 10))),
        ["TIMING"],
        ("e1", "vA", "10 min before arriving"),
        id="start-before-arrival",
    ),
    # Leave 08:55 + 10 min drive D->A = 09:05 at the earliest, but arrival says 09:00.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", departure=hm(8, 55))),
        ["TRAVEL"],
        ("e1", "vA", "09:05:00", "5 min too early"),
        id="arrival-faster-than-travel",
    ),
    # ev ends 14:00 + 20 min drive C->D = 14:20, but the route claims back at 14:10.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", return_=hm(14, 10))),
        ["TRAVEL"],
        ("e1", "end location 'D'", "14:20:00", "10 min too early"),
        id="return-faster-than-travel",
    ),
    # Bob leaves 12:20, arrives 12:40 (20 min drive, fine), but also breaks 12:20-12:50
    # before ev at 13:00: gap 40 min < 20 drive + 30 break -> 10 min short.
    pytest.param(
        plan_only(
            lambda p: edit_stop(
                edit_route(
                    p, "e2", departure=hm(12, 20), breaks=(BreakTaken(hm(12, 20), hm(12, 50)),)
                ),
                "e2",
                "ev",
                arrival=hm(12, 40),
            )
        ),
        ["TRAVEL"],
        ("e2", "ev", "12:20:00-12:50:00", "10 min short"),
        id="break-overlapping-a-drive",
    ),
    # vB (windows removed) starts 09:50 while vA runs until 10:00: 10 min overlap only.
    pytest.param(
        both(
            lambda pr: edit_visit(pr, "vB", time_windows=()),
            lambda p: edit_stop(p, "e1", "vB", arrival=hm(9, 50), start=hm(9, 50), end=hm(10, 20)),
        ),
        ["OVERLAP"],
        ("e1", "vB", "vA", "10 min"),
        id="stops-overlap",
    ),
    # vA starts 08:50, 10 min before its hard 09:00-10:00 window.
    pytest.param(
        plan_only(start_va_early),
        ["WINDOW"],
        ("e1", "vA", "08:50:00", "10 min early"),
        id="start-before-window",
    ),
    # vB starts 11:00, 30 min after its hard window closes at 10:30.
    pytest.param(
        plan_only(start_vb_late),
        ["WINDOW"],
        ("e1", "vB", "30 min late"),
        id="hard-window-late",
    ),
    # Same late start with soft windows is lateness, not a violation.
    pytest.param(both(soft("vB"), start_vb_late), [], (), id="soft-window-late-accepted"),
    # Soft windows still forbid starting before the first window: 10 min early.
    pytest.param(
        both(soft("vA"), start_va_early),
        ["WINDOW"],
        ("vA", "10 min early"),
        id="soft-window-early",
    ),
    # Soft windows 08:00-08:30 and 09:30-10:00: a 09:00 start falls in the gap (30 min
    # after the first closes, 30 min before the second opens).
    pytest.param(
        problem_only(
            lambda pr: edit_visit(
                pr,
                "vA",
                soft_windows=True,
                time_windows=(TimeWindow(hm(8), hm(8, 30)), TimeWindow(hm(9, 30), hm(10))),
            )
        ),
        ["WINDOW"],
        ("e1", "vA", "between windows", "30 min late", "30 min early"),
        id="soft-window-gap",
    ),
    # A visit without windows may start at any time, even 08:50.
    pytest.param(
        both(lambda pr: edit_visit(pr, "vA", time_windows=()), start_va_early),
        [],
        (),
        id="no-windows-accepted",
    ),
    # Alice loses the gas skill vA requires.
    pytest.param(
        problem_only(lambda pr: edit_engineer(pr, "e1", skills=frozenset({"elec"}))),
        ["SKILL"],
        ("e1", "vA", "gas"),
        id="skill-missing",
    ),
    # vA is pinned to Bob but Alice serves it.
    pytest.param(
        problem_only(lambda pr: edit_visit(pr, "vA", allowed_engineers=frozenset({"e2"}))),
        ["NOT_ALLOWED"],
        ("e1", "vA", "'e2'"),
        id="pin-violated",
    ),
    # A preference for Bob is soft: Alice serving vA is fine.
    pytest.param(
        problem_only(lambda pr: edit_visit(pr, "vA", preferred_engineers=frozenset({"e2"}))),
        [],
        (),
        id="preferred-engineer-accepted",
    ),
    # Alice works 08:50-14:20 with no break; 30 min within 12:00-14:00 is required.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", breaks=())),
        ["BREAK_MISSING"],
        ("e1", "30 min", "12:00:00-14:00:00"),
        id="break-missing",
    ),
    # Break 11:30-12:00 has the right length but starts 30 min before 12:00.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", breaks=(BreakTaken(hm(11, 30), hm(12)),))),
        ["BREAK_WINDOW"],
        ("e1", "11:30:00-12:00:00", "30 min too early"),
        id="break-outside-window",
    ),
    # A 20 min break where 30 min is required.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", breaks=(BreakTaken(hm(12), hm(12, 20)),))),
        ["BREAK_MISSING"],
        ("e1", "20 min", "wrong length"),
        id="break-too-short",
    ),
    # Break 13:30-14:00 is inside its window but during ev (13:00-14:00).
    pytest.param(
        plan_only(lambda p: edit_route(p, "e1", breaks=(BreakTaken(hm(13, 30), hm(14)),))),
        ["BREAK_OVERLAP"],
        ("e1", "ev", "30 min"),
        id="break-during-service",
    ),
    # Bob's break 12:20-12:50 straddles his 12:30 departure (arrival 12:50 stays valid).
    pytest.param(
        plan_only(lambda p: edit_route(p, "e2", breaks=(BreakTaken(hm(12, 20), hm(12, 50)),))),
        ["BREAK_OVERLAP"],
        ("e2", "departure at 12:30:00"),
        id="break-spans-departure",
    ),
    # An extra 15 min break after returning at 14:20 matches no required break.
    pytest.param(
        plan_only(
            lambda p: edit_route(
                p,
                "e1",
                breaks=(BreakTaken(hm(12), hm(12, 30)), BreakTaken(hm(15), hm(15, 15))),
            )
        ),
        ["BREAK_EXTRA"],
        ("e1", "15:00:00-15:15:00"),
        id="break-extra",
    ),
    # Breaks 12:00-12:30 and 12:15-12:45 overlap by 15 min; the second is also extra
    # (the gap 10:35-13:00 = 145 min still holds 10 drive + 60 break).
    pytest.param(
        plan_only(
            lambda p: edit_route(
                p,
                "e1",
                breaks=(BreakTaken(hm(12), hm(12, 30)), BreakTaken(hm(12, 15), hm(12, 45))),
            )
        ),
        ["BREAK_EXTRA", "BREAK_OVERLAP"],
        ("e1", "overlap by 15 min"),
        id="breaks-overlap-each-other",
    ),
    # An empty route is not checked: odd times and no break are fine.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e3", departure=hm(5), return_=hm(23))),
        [],
        (),
        id="empty-route-unchecked",
    ),
    # Bob stays home: the 2-engineer event has only Alice.
    pytest.param(
        plan_only(lambda p: edit_route(p, "e2", stops=(), breaks=())),
        ["EVENT_STAFFING"],
        ("ev", "2", "'e1'"),
        id="event-one-of-two",
    ),
    # Bob starts ev at 13:01, 60 s after Alice (he stays the full hour, back 14:21).
    pytest.param(
        plan_only(
            lambda p: edit_stop(
                edit_route(p, "e2", return_=hm(14, 21)), "e2", "ev", start=hm(13, 1), end=hm(14, 1)
            )
        ),
        ["EVENT_SIMULTANEITY"],
        ("ev", "13:01:00", "1 min apart"),
        id="event-starts-differ",
    ),
    # Alice attends ev twice (13:00 and 14:00, window end inclusive, back 15:20) and Bob not:
    # two stops but one engineer, and not simultaneous.
    pytest.param(
        plan_only(
            lambda p: edit_route(
                edit_route(p, "e2", stops=(), breaks=()),
                "e1",
                return_=hm(15, 20),
                stops=(
                    *p.routes[0].stops,
                    Stop("ev", hm(14), hm(14), hm(15)),
                ),
            )
        ),
        ["EVENT_SIMULTANEITY", "EVENT_STAFFING"],
        ("ev", "'e1'"),
        id="event-same-engineer-twice",
    ),
    # Bob also serves vB: leaves 09:45, +15 -> vB 10:00-10:30, +10 -> C 10:40, break
    # 12:00-12:30 in the gap, ev 13:00-14:00, back 14:20. Only the duplicate is wrong.
    pytest.param(
        plan_only(
            lambda p: edit_route(
                p,
                "e2",
                departure=hm(9, 45),
                stops=(
                    Stop("vB", hm(10), hm(10), hm(10, 30)),
                    Stop("ev", hm(10, 40), hm(13), hm(14)),
                ),
            )
        ),
        ["DUPLICATE"],
        ("vB", "'e1'", "'e2'"),
        id="home-visit-served-twice",
    ),
    # vU is dropped from the unassigned list without being served.
    pytest.param(
        plan_only(lambda p: replace(p, unassigned=())),
        ["MISSING"],
        ("vU",),
        id="visit-neither-served-nor-unassigned",
    ),
    # vA is served by Alice and also listed as unassigned.
    pytest.param(
        plan_only(add_unassigned("vA")),
        ["SERVED_AND_UNASSIGNED"],
        ("vA",),
        id="served-and-unassigned",
    ),
    # vU listed twice as unassigned.
    pytest.param(
        plan_only(add_unassigned("vU")),
        ["DUPLICATE"],
        ("vU", "2 times"),
        id="unassigned-twice",
    ),
    # An unassigned entry for a visit the problem does not have.
    pytest.param(
        plan_only(add_unassigned("ghost")),
        ["UNKNOWN_VISIT"],
        ("ghost",),
        id="unknown-unassigned-visit",
    ),
    # A stop for an unknown visit after ev (14:00-14:10); its drives cannot be checked.
    pytest.param(
        plan_only(
            lambda p: edit_route(
                p, "e1", stops=(*p.routes[0].stops, Stop("ghost", hm(14), hm(14), hm(14, 10)))
            )
        ),
        ["UNKNOWN_VISIT"],
        ("e1", "ghost"),
        id="unknown-stop-visit",
    ),
    # A route for an engineer who is not in the problem.
    pytest.param(
        plan_only(lambda p: replace(p, routes=(*p.routes, Route("e9", hm(8), hm(8), ())))),
        ["UNKNOWN_ENGINEER"],
        ("e9",),
        id="unknown-engineer",
    ),
    # A second (empty) route for Cara.
    pytest.param(
        plan_only(lambda p: replace(p, routes=(*p.routes, Route("e3", hm(8), hm(8), ())))),
        ["DUPLICATE_ROUTE"],
        ("e3", "Cara"),
        id="two-routes-one-engineer",
    ),
]


def test_valid_plan_has_no_violations() -> None:
    assert validate(make_problem(), make_plan(), MATRIX) == []
    assert_valid(make_problem(), make_plan(), MATRIX)


@pytest.mark.parametrize(("mutate", "codes", "mentions"), CASES)
def test_single_mutation(mutate: Mutation, codes: list[str], mentions: tuple[str, ...]) -> None:
    problem, plan = mutate(make_problem(), make_plan())
    found = validate(problem, plan, MATRIX)
    assert sorted(v.code for v in found) == codes, found
    text = "\n".join(v.message for v in found)
    for needle in mentions:
        assert needle in text, f"{needle!r} not in {text!r}"
    assert all(v.code in set(Code) for v in found)


def test_every_violation_is_reported() -> None:
    # Three independent faults at once: all three come back, not just the first.
    plan = replace(edit_route(start_va_early(make_plan()), "e1", breaks=()), unassigned=())
    found = validate(make_problem(), plan, MATRIX)
    assert sorted(v.code for v in found) == ["BREAK_MISSING", "MISSING", "WINDOW"]


def test_violation_carries_ids() -> None:
    (v,) = validate(make_problem(), start_va_early(make_plan()), MATRIX)
    assert v == Violation(v.code, v.message, engineer_id="e1", visit_id="vA")
    assert "Alice" in v.message
    assert str(v).startswith("WINDOW: ")


def test_break_matching_is_not_greedy() -> None:
    # Required: 30 min within 11:00-14:00, then 30 min within 11:00-11:45. Taken: 11:00-11:30
    # and 12:00-12:30 (gap 10:35-13:00 holds 10 drive + 60 break). Greedy pairing would give
    # 11:00-11:30 to the first and strand the second; a matching pairs them crosswise.
    problem = edit_engineer(
        make_problem(),
        "e1",
        breaks=(Break(1800, hm(11), hm(14)), Break(1800, hm(11), hm(11, 45))),
    )
    plan = edit_route(
        make_plan(),
        "e1",
        breaks=(BreakTaken(hm(11), hm(11, 30)), BreakTaken(hm(12), hm(12, 30))),
    )
    assert validate(problem, plan, MATRIX) == []


def test_assert_valid_lists_all_violations() -> None:
    plan = replace(start_va_early(make_plan()), unassigned=())
    with pytest.raises(PlanInvalid) as info:
        assert_valid(make_problem(), plan, MATRIX)
    assert isinstance(info.value, FieldrouteError)
    assert [v.code for v in info.value.violations] == ["WINDOW", "MISSING"]
    assert "vA" in str(info.value) and "vU" in str(info.value)


def test_matrix_of_wrong_shape_is_rejected() -> None:
    with pytest.raises(ProblemError, match="shape"):
        validate(make_problem(), make_plan(), MATRIX[:3, :3])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00:00"),
        (hm(8, 5) + 7, "08:05:07"),
        (-600, "-00:10:00"),  # the evening before
        (hm(25, 30), "25:30:00"),  # the next morning
    ],
)
def test_format_hms(seconds: int, text: str) -> None:
    assert format_hms(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (45, "45 s"), (600, "10 min"), (3930, "1 h 5 min 30 s"), (-60, "-1 min")],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


def test_checker_is_independent_of_the_solver() -> None:
    # By file: the package re-exports the function ``validate`` under the module's name.
    source_file = inspect.getsourcefile(validate)
    assert source_file is not None
    with open(source_file, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not any(m.startswith(("ortools", "scheduler.solver")) for m in imported), imported
