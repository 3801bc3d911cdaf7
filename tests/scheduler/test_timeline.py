"""Route timing: earliest starts, late departure, break placement, shortfall (seconds).

Every expected number below is worked out by hand from a tiny explicit matrix in minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain import Break, BreakTaken, Engineer, Location, Plan, Problem, TimeWindow, Visit
from scheduler.timeline import (
    InsertionTimer,
    feasible_start_intervals,
    route_shortfall,
    schedule_route,
)
from scheduler.travel import Matrix
from scheduler.validate import validate

H, MIN = 3600, 60


def hm(h: int, m: int = 0) -> int:
    """Clock time as seconds since midnight."""
    return h * H + m * MIN


def make(
    minutes: Sequence[Sequence[int]], engineers: Sequence[Engineer], visits: Sequence[Visit]
) -> tuple[Problem, Matrix]:
    """A problem on locations L0, L1, ... with driving ``minutes[i][j]`` from Li to Lj."""
    n = len(minutes)
    rows = tuple(tuple(m * MIN for m in row) for row in minutes)
    p = Problem(
        date=dt.date(2026, 11, 27),
        locations=tuple(Location(f"L{i}", 60.0, 24.0 + 0.01 * i) for i in range(n)),
        engineers=tuple(engineers),
        visits=tuple(visits),
        travel_time_matrix=rows,
    )
    return p, np.asarray(rows, dtype=np.int64)


def eng(
    eid: str = "e1",
    shift: tuple[int, int] = (hm(8), hm(16)),
    lunch: tuple[int, int, int] | None = None,
    overtime: int = 0,
    at: int = 0,
) -> Engineer:
    """An engineer at L{at}; ``lunch`` = (minutes, earliest start, latest end)."""
    breaks = () if lunch is None else (Break(lunch[0] * MIN, lunch[1], lunch[2]),)
    return Engineer(
        eid, f"L{at}", f"L{at}", shift[0], shift[1], breaks=breaks, overtime_max=overtime
    )


def job(
    vid: str,
    at: int,
    minutes: int,
    windows: Sequence[tuple[int, int]] = (),
    soft: bool = False,
) -> Visit:
    windows_ = tuple(TimeWindow(a, b) for a, b in windows)
    return Visit(vid, f"L{at}", minutes * MIN, time_windows=windows_, soft_windows=soft)


TRIANGLE = [[0, 20, 20], [20, 0, 10], [20, 10, 0]]  # L0 depot, L1 and L2 10 min apart


def test_single_visit_departs_as_late_as_possible() -> None:
    """Earliest start is the window start; the engineer leaves just in time (no waiting)."""
    p, m = make(TRIANGLE, [eng()], [job("a", 1, 60, [(hm(9), hm(10))])])
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.feasible and s.shortfall == 0
    assert s.departure == hm(8, 40)
    assert (s.stops[0].arrival, s.stops[0].start, s.stops[0].end) == (hm(9), hm(9), hm(10))
    assert s.return_ == hm(10, 20)
    assert s.breaks == ()


def test_empty_route_has_no_breaks() -> None:
    """A route without stops needs no break and is trivially feasible."""
    p, m = make(TRIANGLE, [eng(lunch=(30, hm(12), hm(13)))], [])
    s = schedule_route(p, p.engineers[0], [], m)
    assert s.feasible and s.stops == () and s.breaks == ()


def test_break_forced_between_two_stops_delays_the_second_by_the_break() -> None:
    """Lunch (30 min, 12:00-13:00) cannot precede 'a' (11:00-12:00) nor follow 'b' (it would
    end 13:40), so it goes between them and 'b' starts exactly 30 min later than without."""
    visits = [job("a", 1, 60, [(hm(11), hm(11))]), job("b", 2, 60)]
    p, m = make(TRIANGLE, [eng(lunch=(30, hm(12), hm(13))), eng("e2")], visits)
    with_lunch = schedule_route(p, p.engineers[0], ["a", "b"], m)
    without = schedule_route(p, p.engineers[1], ["a", "b"], m)
    assert without.stops[1].start == hm(12, 10)
    assert with_lunch.feasible
    assert with_lunch.stops[1].start == without.stops[1].start + 30 * MIN == hm(12, 40)
    # as early as possible: at 'a' right after it, then the 10 min drive
    assert with_lunch.breaks == (BreakTaken(hm(12), hm(12, 30)),)
    assert with_lunch.stops[1].arrival == hm(12, 40)
    assert with_lunch.return_ == hm(14)


def test_waiting_absorbs_a_break() -> None:
    """'b' cannot start before 13:00, so the 12:00-12:30 lunch costs nothing."""
    visits = [job("a", 1, 60, [(hm(11), hm(11))]), job("b", 2, 60, [(hm(13), hm(14))])]
    p, m = make(TRIANGLE, [eng(lunch=(30, hm(12), hm(13)))], visits)
    s = schedule_route(p, p.engineers[0], ["a", "b"], m)
    assert s.feasible
    assert s.stops[1].start == hm(13)
    assert s.breaks == (BreakTaken(hm(12), hm(12, 30)),)


def test_break_before_departure_keeps_departure_late() -> None:
    """Lunch window 08:00-09:00 (30 min) at shift start: taken at the centre 08:00-08:30,
    then the engineer leaves at 08:40 for a 09:00 start."""
    p, m = make(TRIANGLE, [eng(lunch=(30, hm(8), hm(9)))], [job("a", 1, 60, [(hm(9), hm(10))])])
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.feasible
    assert s.breaks == (BreakTaken(hm(8), hm(8, 30)),)
    assert (s.departure, s.stops[0].start) == (hm(8, 40), hm(9))


def test_break_after_return_at_the_centre() -> None:
    """Work 08:20-09:20, back 09:40; lunch (30 min, 11:00-12:00) then at the centre."""
    p, m = make(TRIANGLE, [eng(lunch=(30, hm(11), hm(12)))], [job("a", 1, 60)])
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.feasible
    assert (s.stops[0].start, s.return_) == (hm(8, 20), hm(9, 40))
    assert s.breaks == (BreakTaken(hm(11), hm(11, 30)),)


def test_break_after_arrival_when_it_would_delay_the_start() -> None:
    """First window 12:30, lunch (30 min) not before 12:00, drive 20 min: leaving 11:40,
    lunch 12:00-12:30 on site beats lunch at the centre (start 12:50)."""
    p, m = make(
        TRIANGLE,
        [eng(lunch=(30, hm(12), hm(13)))],
        [job("a", 1, 60, [(hm(12, 30), hm(12, 30))])],
    )
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.feasible
    assert (s.departure, s.stops[0].arrival, s.stops[0].start) == (hm(11, 40), hm(12), hm(12, 30))
    assert s.breaks == (BreakTaken(hm(12), hm(12, 30)),)


def test_soft_window_late_start_is_feasible_with_lateness() -> None:
    """Window 08:00-08:30 but the shift starts 09:00, drive 20 min: start 09:20. Soft: 50 min
    lateness and feasible; hard: infeasible, shortfall 50 min, start still 09:20."""
    e = eng(shift=(hm(9), hm(17)))
    soft = job("s", 1, 30, [(hm(8), hm(8, 30))], soft=True)
    hard = job("h", 1, 30, [(hm(8), hm(8, 30))])
    p, m = make(TRIANGLE, [e], [soft, hard])
    s = schedule_route(p, e, ["s"], m)
    assert s.feasible and s.lateness == 50 * MIN and s.stops[0].start == hm(9, 20)
    h = schedule_route(p, e, ["h"], m)
    assert not h.feasible and h.shortfall == 50 * MIN and h.stops[0].start == hm(9, 20)
    assert h.lateness == 0


def test_second_window_when_the_first_is_missed() -> None:
    """Windows 07:00-07:30 and 10:00-11:00: a 08:00 shift reaches the second one at 10:00."""
    p, m = make(TRIANGLE, [eng()], [job("a", 1, 60, [(hm(7), hm(7, 30)), (hm(10), hm(11))])])
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.feasible and s.stops[0].start == hm(10)


def test_late_in_a_closed_window_when_waiting_costs_more() -> None:
    """Windows 07:00-07:30 and 15:30-16:00, shift 08:00-12:00: waiting for 15:30 would
    return 5 h 20 min late, starting in the first window is 50 min late: shortfall 50 min."""
    p, m = make(
        TRIANGLE,
        [eng(shift=(hm(8), hm(12)))],
        [job("a", 1, 30, [(hm(7), hm(7, 30)), (hm(15, 30), hm(16))])],
    )
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.shortfall == 50 * MIN and s.stops[0].start == hm(8, 20)


def test_overtime_limit_is_hard() -> None:
    """Shift to 12:00 with 30 min overtime; 4 h of work from 08:20 returns 12:40: 10 min over."""
    p, m = make(TRIANGLE, [eng(shift=(hm(8), hm(12)), overtime=30 * MIN)], [job("a", 1, 240)])
    s = schedule_route(p, p.engineers[0], ["a"], m)
    assert s.return_ == hm(12, 40) and s.shortfall == 10 * MIN


def test_fixed_start_waits_or_counts_the_late_arrival() -> None:
    """A fixed 10:00 start is waited for; a fixed 08:00 start is missed by 20 min."""
    p, m = make(TRIANGLE, [eng()], [job("a", 1, 60)])
    e = p.engineers[0]
    later = schedule_route(p, e, ["a"], m, fixed_starts={"a": hm(10)})
    assert later.feasible and later.stops[0].start == hm(10) and later.departure == hm(9, 40)
    early = schedule_route(p, e, ["a"], m, fixed_starts={"a": hm(8)})
    assert early.shortfall == 20 * MIN and early.stops[0].start == hm(8, 20)


def test_start_intervals_with_a_tight_lunch() -> None:
    """Lunch exactly 12:00-13:00, job 60 min 20 min away, shift 08:00-16:00. Before lunch:
    the job may end at 12:00 with lunch on site and the drive home after it, so it starts
    08:20..11:00. After lunch: driving there first and lunching on site allows 13:00, and
    the return by 16:00 allows up to 14:40."""
    p, m = make(TRIANGLE, [eng(lunch=(60, hm(12), hm(13)))], [job("a", 1, 60)])
    spans = feasible_start_intervals(p.engineers[0], p.visits[0], m, p.location_index())
    assert spans == ((hm(8, 20), hm(11)), (hm(13), hm(14, 40)))


# --- properties ------------------------------------------------------------------------

_ROUTE_CODES = {"SHIFT_START", "OVERTIME_MAX", "TIMING", "TRAVEL", "OVERLAP", "WINDOW"}
_ROUTE_CODES |= {"BREAK_MISSING", "BREAK_WINDOW", "BREAK_OVERLAP", "BREAK_EXTRA"}


@st.composite
def routes(draw: st.DrawFn) -> tuple[Problem, Matrix, list[str]]:
    """A random minute-aligned day for one engineer and 1-4 visits on 4 locations."""
    n = 4
    minutes = [[0 if i == j else draw(st.integers(0, 40)) for j in range(n)] for i in range(n)]
    start = draw(st.integers(6 * 60, 10 * 60))
    end = start + draw(st.integers(3 * 60, 9 * 60))
    breaks = []
    for _ in range(draw(st.integers(0, 2))):
        dur = draw(st.integers(10, 60))
        lo = draw(st.integers(start - 60, end))
        breaks.append(Break(dur * MIN, lo * MIN, (lo + dur + draw(st.integers(0, 120))) * MIN))
    e = Engineer(
        "e1",
        "L0",
        f"L{draw(st.integers(0, n - 1))}",
        start * MIN,
        end * MIN,
        breaks=tuple(breaks),
        overtime_max=draw(st.integers(0, 60)) * MIN,
    )
    visits = []
    for i in range(draw(st.integers(1, 4))):
        windows = []
        t = draw(st.integers(start - 60, end))
        for _ in range(draw(st.integers(0, 2))):
            a = t + draw(st.integers(0, 120))
            b = a + draw(st.integers(0, 120))
            windows.append((a * MIN, b * MIN))
            t = b + 1
        visits.append(
            Visit(
                f"v{i}",
                f"L{draw(st.integers(1, n - 1))}",
                draw(st.integers(0, 90)) * MIN,
                time_windows=tuple(TimeWindow(a, b) for a, b in windows),
                soft_windows=draw(st.booleans()),
            )
        )
    p, m = make(minutes, [e], visits)
    return p, m, [v.id for v in visits]


@settings(max_examples=150, deadline=None)
@given(routes())
def test_feasible_schedules_pass_the_validator(case: tuple[Problem, Matrix, list[str]]) -> None:
    """Whenever the timing says feasible, the independent validator finds nothing wrong with
    the route (and soft lateness is the only cost of late starts)."""
    p, m, ids = case
    s = schedule_route(p, p.engineers[0], ids, m)
    assert s.shortfall >= 0
    assert [x.visit_id for x in s.stops] == ids
    for stop in s.stops:
        assert stop.arrival <= stop.start
    if s.feasible:
        plan = Plan(routes=(s.to_route(),), unassigned=())
        bad = [v for v in validate(p, plan, m) if v.code in _ROUTE_CODES]
        assert bad == []


@settings(max_examples=150, deadline=None)
@given(routes(), st.data())
def test_start_intervals_match_fixed_start_timing(
    case: tuple[Problem, Matrix, list[str]], data: st.DataObject
) -> None:
    """A start ``t`` lies in ``feasible_start_intervals`` iff fixing it gives a feasible
    single-visit schedule; without breaks the free schedule starts at the earliest of them."""
    p, m, ids = case
    e, v = p.engineers[0], p.visit(ids[0])
    spans = feasible_start_intervals(e, v, m, p.location_index())
    probes = {data.draw(st.integers(e.shift_start - H, e.shift_end + H)) for _ in range(5)}
    probes |= {t + d for lo, hi in spans for t in (lo, hi) for d in (-1, 0, 1)}
    for t in probes:
        inside = any(lo <= t <= hi for lo, hi in spans)
        fixed = schedule_route(p, e, [v.id], m, fixed_starts={v.id: t})
        assert inside == fixed.feasible, t
    free = schedule_route(p, e, [v.id], m)
    assert free.feasible == bool(spans)
    if spans:
        start = free.stops[0].start
        assert any(lo <= start <= hi for lo, hi in spans)
        if not e.required_breaks():  # with breaks an earlier return may win over it
            assert start == spans[0][0]


@settings(max_examples=150, deadline=None)
@given(routes(), st.data())
def test_fast_shortfalls_agree_with_the_full_timing(
    case: tuple[Problem, Matrix, list[str]], data: st.DataObject
) -> None:
    """``route_shortfall`` (with and without a cap) and ``InsertionTimer`` give the same
    shortfall as timing the whole order with ``schedule_route``."""
    p, m, ids = case
    e, loc = p.engineers[0], p.location_index()
    visits = [p.visit(i) for i in ids]
    full = schedule_route(p, e, ids, m).shortfall
    assert route_shortfall(e, visits, m, loc) == full
    cap = data.draw(st.integers(0, 2 * full + 1))
    assert route_shortfall(e, visits, m, loc, at_most=cap) == (full if full <= cap else None)
    rest, new = visits[:-1], visits[-1]
    timer = InsertionTimer(e, rest, m, loc)
    assert timer.shortfall == schedule_route(p, e, ids[:-1], m).shortfall
    for pos in range(len(rest) + 1):
        order = [v.id for v in rest[:pos]] + [new.id] + [v.id for v in rest[pos:]]
        assert timer.shortfall_with(new, pos) == schedule_route(p, e, order, m).shortfall
