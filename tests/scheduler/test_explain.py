"""Reason codes for dropped visits, with hand-computed shortfalls (seconds).

Each test states the rule it checks; the numbers come from tiny explicit matrices in minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain import (
    Break,
    Engineer,
    Location,
    Problem,
    Reason,
    Route,
    TimeWindow,
    Visit,
    VisitKind,
)
from scheduler.explain import explain_dropped, serviceable_engineers, static_reasons
from scheduler.timeline import schedule_route
from scheduler.travel import Matrix

H, MIN = 3600, 60


def hm(h: int, m: int = 0) -> int:
    """Clock time as seconds since midnight."""
    return h * H + m * MIN


def make(
    minutes: Sequence[Sequence[int]], engineers: Sequence[Engineer], visits: Sequence[Visit]
) -> tuple[Problem, Matrix]:
    """A problem on locations L0, L1, ... with driving ``minutes[i][j]`` from Li to Lj."""
    rows = tuple(tuple(m * MIN for m in row) for row in minutes)
    p = Problem(
        date=dt.date(2026, 11, 27),
        locations=tuple(Location(f"L{i}", 60.0, 24.0 + 0.01 * i) for i in range(len(rows))),
        engineers=tuple(engineers),
        visits=tuple(visits),
        travel_time_matrix=rows,
    )
    return p, np.asarray(rows, dtype=np.int64)


def eng(
    eid: str,
    name: str = "",
    shift: tuple[int, int] = (hm(8), hm(16)),
    skills: Sequence[str] = (),
    at: int = 0,
) -> Engineer:
    return Engineer(
        eid, f"L{at}", f"L{at}", shift[0], shift[1], name=name, skills=frozenset(skills)
    )


def job(
    vid: str,
    at: int,
    minutes: int,
    windows: Sequence[tuple[int, int]] = (),
    skills: Sequence[str] = (),
    k: int = 1,
    allowed: Sequence[str] = (),
) -> Visit:
    return Visit(
        vid,
        f"L{at}",
        minutes * MIN,
        kind=VisitKind.COMMUNITY_EVENT if k > 1 else VisitKind.HOME_SERVICE,
        time_windows=tuple(TimeWindow(a, b) for a, b in windows),
        required_skills=frozenset(skills),
        engineers_required=k,
        allowed_engineers=frozenset(allowed),
    )


TRIANGLE = [[0, 20, 20], [20, 0, 10], [20, 10, 0]]  # L0 depot, L1 and L2 10 min apart


def planned(p: Problem, m: Matrix, orders: dict[str, list[str]]) -> list[Route]:
    """Routes timed by the timeline, as a solver would hand them over."""
    return [schedule_route(p, p.engineer(e), ids, m).to_route() for e, ids in orders.items()]


def test_engineer_without_the_skill_means_no_qualified_engineer() -> None:
    """Nobody holds 'gas': NO_QUALIFIED_ENGINEER naming the skill, in static and drop
    explanations alike."""
    p, m = make(TRIANGLE, [eng("e1", skills=["tv"])], [job("g", 1, 30, skills=["gas"])])
    reason = static_reasons(p, m)["g"]
    assert reason.reason is Reason.NO_QUALIFIED_ENGINEER
    assert "gas" in reason.message
    assert explain_dropped(p, [], m, ["g"]) == (reason,)
    assert serviceable_engineers(p, m) == {"g": ()}


def test_pin_to_an_unskilled_engineer_names_the_pin() -> None:
    """Pinned to e1, who lacks 'gas' while e2 has it: the message names both."""
    engineers = [eng("e1", "Anna"), eng("e2", "Bob", skills=["gas"])]
    p, m = make(TRIANGLE, engineers, [job("g", 1, 30, skills=["gas"], allowed=["e1"])])
    reason = static_reasons(p, m)["g"]
    assert reason.reason is Reason.NO_QUALIFIED_ENGINEER
    assert "Anna (e1)" in reason.message and "Bob (e2)" in reason.message
    assert "gas" in reason.message


def test_event_with_no_qualified_engineer_is_no_qualified_engineer() -> None:
    """An event nobody is qualified for is NO_QUALIFIED_ENGINEER, not understaffed."""
    engineers = [eng("e1"), eng("e2")]
    p, m = make(TRIANGLE, engineers, [job("ev", 1, 60, skills=["sign"], k=2)])
    assert static_reasons(p, m)["ev"].reason is Reason.NO_QUALIFIED_ENGINEER


def test_window_closing_before_anyone_arrives_is_outside_all_shifts() -> None:
    """Window 07:00-07:30. e1 (08:00 shift, 30 min away) arrives 08:30, 60 min late; e2
    (07:30 shift, 20 min away) arrives 07:50, 20 min late; e3 could be on time but lacks the
    skill. OUTSIDE_ALL_SHIFTS, closest e2, shortfall 20 min."""
    minutes = [[0, 30, 10], [30, 0, 20], [10, 20, 0]]
    engineers = [
        eng("e1", skills=["tv"]),
        eng("e2", "Bob Berg", shift=(hm(7, 30), hm(16)), skills=["tv"], at=2),
        eng("e3", shift=(hm(6), hm(14)), at=1),
    ]
    p, m = make(minutes, engineers, [job("v", 1, 30, [(hm(7), hm(7, 30))], skills=["tv"])])
    reason = static_reasons(p, m)["v"]
    assert reason.reason is Reason.OUTSIDE_ALL_SHIFTS
    assert (reason.closest_engineer, reason.shortfall) == ("e2", 20 * MIN)
    assert "07:00-07:30" in reason.message and "Bob Berg (e2)" in reason.message
    assert "20 min" in reason.message
    for e in p.qualified_engineers(p.visit("v")):
        assert not schedule_route(p, e, ["v"], m).feasible
    assert schedule_route(p, p.engineer("e1"), ["v"], m).shortfall == 60 * MIN
    assert serviceable_engineers(p, m)["v"] == ()


def test_fits_an_empty_route_but_not_the_plan_is_capacity() -> None:
    """Shifts 08:00-12:00. Anna works 08:20-11:20 at L1, Bob 08:20-11:40. 'x' (60 min at L2,
    10 min from L1) after Anna's job ends 12:30, back 12:50: 50 min over; after Bob's, back
    13:10: 70 min; first (before the fixed 08:20 jobs) is worse. CAPACITY, Anna, 3000 s."""
    engineers = [
        eng("e1", "Anna Virtanen", shift=(hm(8), hm(12))),
        eng("e2", "Bob Berg", shift=(hm(8), hm(12))),
    ]
    visits = [
        job("v1", 1, 180, [(hm(8, 20), hm(8, 20))]),
        job("v2", 1, 200, [(hm(8, 20), hm(8, 20))]),
        job("x", 2, 60),
    ]
    p, m = make(TRIANGLE, engineers, visits)
    routes = planned(p, m, {"e1": ["v1"], "e2": ["v2"]})
    assert all(schedule_route(p, e, ["x"], m).feasible for e in engineers)
    assert "x" not in static_reasons(p, m)
    assert serviceable_engineers(p, m)["x"] == ("e1", "e2")
    (reason,) = explain_dropped(p, routes, m, ["x"])
    assert reason.reason is Reason.CAPACITY
    assert (reason.closest_engineer, reason.shortfall) == ("e1", 50 * MIN)
    assert reason.message == (
        "fits alone, but no engineer has room today: closest is Anna Virtanen (e1), who "
        "would need 50 min more (inserted after visit v1)"
    )


def test_capacity_with_room_left_says_so() -> None:
    """An engineer without a route has room: CAPACITY with shortfall 0 naming them."""
    p, m = make(TRIANGLE, [eng("e1", "Anna")], [job("x", 2, 60)])
    (reason,) = explain_dropped(p, [], m, ["x"])
    assert (reason.reason, reason.closest_engineer, reason.shortfall) == (
        Reason.CAPACITY,
        "e1",
        0,
    )
    assert "Anna (e1) still has room" in reason.message


def test_event_needing_three_with_two_qualified_is_understaffed() -> None:
    """Needs 3 engineers with 'sign', only 2 have it: EVENT_UNDERSTAFFED."""
    engineers = [eng("e1", skills=["sign"]), eng("e2", skills=["sign"]), eng("e3")]
    p, m = make(TRIANGLE, engineers, [job("ev", 1, 120, [(hm(10), hm(12))], ["sign"], k=3)])
    reason = static_reasons(p, m)["ev"]
    assert reason.reason is Reason.EVENT_UNDERSTAFFED
    assert reason.message.startswith("needs 3 engineers together, only 2 are qualified")
    assert serviceable_engineers(p, m)["ev"] == ()


def test_event_covering_everyones_lunch_window_says_the_break_is_why() -> None:
    """A 10:00-13:30 event (fixed start) leaves no 30 min for a lunch due 11:00-13:30: the
    message names the break, not just the shift, and the start as fixed."""
    lunch = Break(30 * MIN, hm(11), hm(13, 30))
    engineers = [dataclasses.replace(eng(f"e{i}"), breaks=(lunch,)) for i in (1, 2)]
    p, m = make(TRIANGLE, engineers, [job("ev", 1, 210, [(hm(10), hm(10))], k=2)])
    reason = static_reasons(p, m)["ev"]
    assert reason.reason is Reason.EVENT_UNDERSTAFFED
    assert "(fixed start 10:00, 3 h 30 min)" in reason.message
    assert reason.message.endswith(
        ": for all of them the event leaves no room for their break (30 min between 11:00 "
        "and 13:30)"
    )


def test_event_blocked_by_one_lunch_and_one_late_shift_counts_the_break_once() -> None:
    """e1 cannot take lunch around the event; e2 starts work after it begins: the message
    blames the break for one of the two only."""
    lunch = Break(30 * MIN, hm(11), hm(13, 30))
    engineers = [
        dataclasses.replace(eng("e1"), breaks=(lunch,)),
        eng("e2", shift=(hm(11), hm(19))),
    ]
    p, m = make(TRIANGLE, engineers, [job("ev", 1, 210, [(hm(10), hm(10))], k=2)])
    reason = static_reasons(p, m)["ev"]
    assert reason.reason is Reason.EVENT_UNDERSTAFFED
    assert reason.message.endswith(
        ": for 1 of them the event leaves no room for their break (30 min between 11:00 and 13:30)"
    )


def test_event_needing_two_whose_shifts_do_not_meet_is_understaffed() -> None:
    """Window for the start 10:00-15:00, 60 min, 20 min away. e1 (08:00-12:00) can start
    10:00..10:40, e2 (13:00-17:00) 13:20..15:00: each alone fits, never together."""
    engineers = [eng("e1", shift=(hm(8), hm(12))), eng("e2", shift=(hm(13), hm(17)))]
    p, m = make(TRIANGLE, engineers, [job("ev", 1, 60, [(hm(10), hm(15))], k=2)])
    assert all(schedule_route(p, e, ["ev"], m).feasible for e in engineers)
    reason = static_reasons(p, m)["ev"]
    assert reason.reason is Reason.EVENT_UNDERSTAFFED
    assert "needs 2 engineers together" in reason.message
    assert "only 1 can be there at the same time" in reason.message
    assert serviceable_engineers(p, m)["ev"] == ()


def test_event_whose_shifts_meet_is_serviceable() -> None:
    """Same event with e2 on 10:00-17:00: e1 can start 10:00..10:40, e2 10:20..15:00, so
    both can start together 10:20..10:40 and both are serviceable."""
    engineers = [eng("e1", shift=(hm(8), hm(12))), eng("e2", shift=(hm(10), hm(17)))]
    p, m = make(TRIANGLE, engineers, [job("ev", 1, 60, [(hm(10), hm(15))], k=2)])
    assert "ev" not in static_reasons(p, m)
    assert serviceable_engineers(p, m)["ev"] == ("e1", "e2")


def test_event_not_held_for_lack_of_room_is_capacity() -> None:
    """Event at 10:00 sharp (60 min at L1) needs e1 and e2. e1 is free; e2 works at L2
    09:00-10:30 (fixed), so reaching L1 at 10:40 is 40 min late; before that job is worse.
    CAPACITY: 1 of 2 has room, closest of the rest e2, 2400 s."""
    engineers = [eng("e1", "Anna"), eng("e2", "Bob")]
    visits = [job("ev", 1, 60, [(hm(10), hm(10))], k=2), job("w", 2, 90, [(hm(9), hm(9))])]
    p, m = make(TRIANGLE, engineers, visits)
    routes = planned(p, m, {"e2": ["w"]})
    assert "ev" not in static_reasons(p, m)
    (reason,) = explain_dropped(p, routes, m, ["ev"])
    assert reason.reason is Reason.CAPACITY
    assert (reason.closest_engineer, reason.shortfall) == ("e2", 40 * MIN)
    assert "only 1 of them has room" in reason.message
    assert "Bob (e2), who would need 40 min more (inserted after visit w)" in reason.message


def test_other_events_keep_their_start_when_inserting() -> None:
    """e1's route holds event 'ev' fixed at 10:00 (10:00-11:00 at L1; its window 09:00-12:00
    would allow later). 'x' (60 min at L2, not before 09:30) first would push 'ev' to 10:40;
    with 'ev' kept at 10:00 the only fit is after it (11:10-12:10): shortfall 0."""
    engineers = [eng("e1"), eng("e2")]
    visits = [job("ev", 1, 60, [(hm(9), hm(12))], k=2), job("x", 2, 60, [(hm(9, 30), hm(16))])]
    p, m = make(TRIANGLE, engineers, visits)
    ev_at_10 = {"ev": hm(10)}
    routes = [schedule_route(p, e, ["ev"], m, fixed_starts=ev_at_10).to_route() for e in engineers]
    assert all(r.stops[0].start == hm(10) for r in routes)
    assert schedule_route(p, p.engineer("e1"), ["x", "ev"], m).feasible  # if 'ev' could move
    (reason,) = explain_dropped(p, routes, m, ["x"])
    assert (reason.reason, reason.closest_engineer, reason.shortfall) == (
        Reason.CAPACITY,
        "e1",
        0,
    )
    assert "(inserted after visit ev)" in reason.message


def test_drops_keep_their_order_and_mix_reasons() -> None:
    """explain_dropped answers in the order asked, static reasons first-class."""
    engineers = [eng("e1", shift=(hm(8), hm(12)))]
    visits = [job("late", 1, 30, [(hm(13), hm(14))]), job("g", 1, 30, skills=["gas"])]
    p, m = make(TRIANGLE, engineers, visits)
    out = explain_dropped(p, [], m, ["g", "late"])
    assert [u.visit_id for u in out] == ["g", "late"]
    assert [u.reason for u in out] == [Reason.NO_QUALIFIED_ENGINEER, Reason.OUTSIDE_ALL_SHIFTS]


# --- brute force over minute-aligned days -----------------------------------------------

BoolArray = npt.NDArray[np.bool_]


def feasible_minutes(e: Engineer, v: Visit, minutes: Sequence[Sequence[int]]) -> set[int]:
    """Every start minute at which ``e`` can serve ``v`` alone, by brute force over start and
    break minutes (at most one required break). All data are whole minutes, so a feasible
    timing exists iff a whole-minute one does."""
    loc = {f"L{i}": i for i in range(len(minutes))}
    tau0 = minutes[loc[e.start_location]][loc[v.location]]
    tau1 = minutes[loc[v.location]][loc[e.end_location]]
    s, end, d = e.shift_start // MIN, (e.shift_end + e.overtime_max) // MIN, v.duration // MIN
    t = np.arange(s, end + 1)[:, None]
    allowed = np.array([v.start_allowed(int(x) * MIN) for x in t[:, 0]])[:, None]
    ok: BoolArray = allowed & (t >= s + tau0) & (t + d + tau1 <= end)
    breaks = e.required_breaks()
    assert len(breaks) <= 1
    for b in breaks:
        bd, es, le = b.duration // MIN, b.earliest_start // MIN, b.latest_end // MIN
        bs = np.arange(es, le - bd + 1)[None, :]
        before = ((bs >= s) & (bs + bd + tau0 <= t)) | ((bs >= s + tau0) & (bs + bd <= t))
        after = ((bs >= t + d) & (bs + bd + tau1 <= end)) | (bs >= t + d + tau1)
        ok = ok & (before | after).any(axis=1, keepdims=True)
    return {int(x) for x in t[ok[:, 0], 0]}


@st.composite
def single_visit_days(draw: st.DrawFn, k: int) -> tuple[Problem, Matrix, list[list[int]]]:
    """``k`` engineers (at most one break each) and one visit (an event when ``k > 1``)."""
    n = 3
    minutes = [[0 if i == j else draw(st.integers(0, 90)) for j in range(n)] for i in range(n)]
    engineers = []
    for i in range(k if k > 1 else draw(st.integers(1, 2))):
        start = draw(st.integers(6 * 60, 12 * 60))
        end = start + draw(st.integers(60, 8 * 60))
        breaks: tuple[Break, ...] = ()
        if draw(st.booleans()):
            bd = draw(st.integers(15, 60))
            lo = draw(st.integers(start - 60, end))
            breaks = (Break(bd * MIN, lo * MIN, (lo + bd + draw(st.integers(0, 90))) * MIN),)
        engineers.append(
            Engineer(
                f"e{i}",
                f"L{draw(st.integers(0, n - 1))}",
                f"L{draw(st.integers(0, n - 1))}",
                start * MIN,
                end * MIN,
                breaks=breaks,
                overtime_max=draw(st.sampled_from([0, 30, 60])) * MIN,
            )
        )
    windows = []
    t = draw(st.integers(5 * 60, 16 * 60))
    for _ in range(draw(st.integers(0, 2))):
        a = t + draw(st.integers(0, 180))
        b = a + draw(st.integers(0, 120))
        windows.append(TimeWindow(a * MIN, b * MIN))
        t = b + 1
    visit = Visit(
        "v",
        f"L{draw(st.integers(0, n - 1))}",
        draw(st.integers(1 if k > 1 else 0, 240)) * MIN,
        kind=VisitKind.COMMUNITY_EVENT if k > 1 else VisitKind.HOME_SERVICE,
        time_windows=tuple(windows),
        soft_windows=draw(st.booleans()),
        engineers_required=k,
    )
    p, m = make(minutes, engineers, [visit])
    return p, m, minutes


@settings(max_examples=120, deadline=None)
@given(single_visit_days(1))
def test_outside_all_shifts_iff_brute_force_finds_no_start(
    case: tuple[Problem, Matrix, list[list[int]]],
) -> None:
    """OUTSIDE_ALL_SHIFTS exactly when no engineer has a feasible whole-minute start."""
    p, m, minutes = case
    v = p.visits[0]
    reachable = [bool(feasible_minutes(e, v, minutes)) for e in p.engineers]
    reason = static_reasons(p, m).get("v")
    assert (reason is not None and reason.reason is Reason.OUTSIDE_ALL_SHIFTS) == (
        not any(reachable)
    )
    assert reason is None or (reason.shortfall is not None and reason.shortfall > 0)
    expected = tuple(e.id for e, ok in zip(p.engineers, reachable, strict=True) if ok)
    assert serviceable_engineers(p, m)["v"] == expected


@settings(max_examples=80, deadline=None)
@given(single_visit_days(2))
def test_event_understaffed_iff_brute_force_finds_no_common_start(
    case: tuple[Problem, Matrix, list[list[int]]],
) -> None:
    """A 2-engineer event is EVENT_UNDERSTAFFED exactly when the two engineers' feasible
    whole-minute starts never coincide."""
    p, m, minutes = case
    v = p.visits[0]
    e1, e2 = p.engineers
    common = feasible_minutes(e1, v, minutes) & feasible_minutes(e2, v, minutes)
    reason = static_reasons(p, m).get("v")
    assert (reason is not None and reason.reason is Reason.EVENT_UNDERSTAFFED) == (not common)
    assert serviceable_engineers(p, m)["v"] == (("e0", "e1") if common else ())
