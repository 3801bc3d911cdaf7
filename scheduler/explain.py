"""Why a visit is not in the plan: one :class:`~scheduler.domain.Reason` code per dropped visit.

* ``NO_QUALIFIED_ENGINEER``: no engineer holds every required skill and is allowed to go.
* ``OUTSIDE_ALL_SHIFTS``: a home visit no qualified engineer could serve even with nothing
  else to do, within shift + overtime (and their breaks).
* ``EVENT_UNDERSTAFFED``: an event needing ``k`` engineers together, but fewer than ``k`` are
  qualified or fewer than ``k`` could be there at one common start; or a crew with a member
  (named in the message) no allowed engineer is qualified for, or that no engineer is left
  for once the other members are staffed.
* ``CAPACITY``: the visit fits an otherwise empty route, just not this plan; the message names
  the engineer closest to having room and how much more room (seconds) they would need.

Times are seconds since local midnight (messages show ``HH:MM``); shortfalls are seconds
(messages round them up to whole minutes). No OR-Tools here: timing comes from
:mod:`scheduler.timeline`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scheduler.domain import Engineer, Problem, Reason, Route, Unassigned, Visit
from scheduler.timeline import (
    InsertionTimer,
    feasible_start_intervals,
    route_shortfall,
    schedule_visits,
)
from scheduler.travel import Matrix

__all__ = ["explain_dropped", "serviceable_engineers", "static_reasons"]

# At most this many common start times are tried when explaining a dropped event.
_EVENT_TIMES_MAX = 48


def serviceable_engineers(problem: Problem, matrix: Matrix) -> dict[str, tuple[str, ...]]:
    """For every visit, the engineers (problem order) who could serve it in an empty route.

    An engineer counts when qualified (skills and ``allowed_engineers``) and able to serve the
    visit alone within shift + overtime and breaks. For a community event needing ``k``
    engineers they must moreover be able to start at a moment when at least ``k`` qualified
    engineers can all start.
    """
    ctx = _Context.of(problem, matrix)
    return {v.id: _serviceable(ctx, v) for v in problem.visits}


def static_reasons(problem: Problem, matrix: Matrix) -> dict[str, Unassigned]:
    """The visits no plan could serve, each with its reason (keyed by visit id)."""
    ctx = _Context.of(problem, matrix)
    out = {}
    for v in problem.visits:
        reason = _static_reason(ctx, v)
        if reason is not None:
            out[v.id] = reason
    return out


def explain_dropped(
    problem: Problem, routes: Sequence[Route], matrix: Matrix, visit_ids: Sequence[str]
) -> tuple[Unassigned, ...]:
    """One explanation per id in ``visit_ids`` (same order), for a plan made of ``routes``.

    A visit with a static reason gets it; any other gets ``CAPACITY`` with the engineer
    whose planned route could take it with the least ``shortfall`` (seconds of extra room
    needed; other events in the route keep their planned start). Engineers without a route
    count as having an empty one.
    """
    ctx = _Context.of(problem, matrix)
    plans = _Plans(ctx, {r.engineer_id: r for r in routes})
    out = []
    for vid in visit_ids:
        visit = ctx.visits[vid]
        static = _static_reason(ctx, visit)
        if static is not None:
            out.append(static)
        elif visit.is_event:
            out.append(_event_capacity(ctx, plans, visit))
        else:
            out.append(_home_capacity(ctx, plans, visit))
    return tuple(out)


# --- shared context -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    problem: Problem
    matrix: Matrix
    loc: dict[str, int]
    visits: dict[str, Visit]
    staffing: dict[str, _Staffing] = field(default_factory=dict)
    fits: dict[tuple[object, ...], bool] = field(default_factory=dict)

    @classmethod
    def of(cls, problem: Problem, matrix: Matrix) -> _Context:
        return cls(problem, matrix, problem.location_index(), {v.id: v for v in problem.visits})

    def shortfall(
        self,
        e: Engineer,
        visits: Sequence[Visit],
        fixed: Mapping[str, int] | None = None,
        at_most: int | None = None,
    ) -> int | None:
        """Seconds of extra room ``e`` needs for ``visits`` in order (None: over at_most)."""
        return route_shortfall(
            e, visits, self.matrix, self.loc, fixed_starts=fixed, at_most=at_most
        )

    def fits_alone(self, e: Engineer, v: Visit, start: int | None = None) -> bool:
        # Engineers alike in everything timing depends on share the answer: a fleet of
        # identical vans is screened once per visit, not once per van.
        key = (
            e.start_location,
            e.end_location,
            e.shift_start,
            e.shift_end,
            e.overtime_max,
            e.breaks,
            v.id,
            start,
        )
        if key not in self.fits:
            fixed = None if start is None else {v.id: start}
            self.fits[key] = self.shortfall(e, [v], fixed, at_most=0) == 0
        return self.fits[key]

    def event_staffing(self, v: Visit) -> _Staffing:
        if v.id not in self.staffing:
            self.staffing[v.id] = _staff(self, v)
        return self.staffing[v.id]


@dataclass(frozen=True)
class _Staffing:
    """Who could be at an event together, from the engineers' empty-route start intervals."""

    intervals: dict[str, tuple[tuple[int, int], ...]]
    most: int  # largest number of qualified engineers able to start at one common time
    serviceable: tuple[str, ...]
    good_times: tuple[int, ...]  # candidate starts where >= k engineers can be there


def _contains(spans: Sequence[tuple[int, int]], t: int) -> bool:
    i = bisect.bisect_right(spans, (t, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= t <= spans[i][1]


def _staff(ctx: _Context, v: Visit) -> _Staffing:
    """Check every candidate common start exactly: window starts/ends and the ends of each
    engineer's feasible-start intervals (the count of engineers able to start at ``t``
    changes only there)."""
    qualified = ctx.problem.qualified_engineers(v)
    intervals = {e.id: feasible_start_intervals(e, v, ctx.matrix, ctx.loc) for e in qualified}
    candidates = {t for w in v.time_windows for t in (w.start, w.end)}
    candidates |= {t for spans in intervals.values() for span in spans for t in span}
    most = 0
    able: set[str] = set()
    good = []
    for t in sorted(candidates):
        present = [
            e.id for e in qualified if _contains(intervals[e.id], t) and ctx.fits_alone(e, v, t)
        ]
        most = max(most, len(present))
        if len(present) >= v.engineers_required:
            able.update(present)
            good.append(t)
    serviceable = tuple(e.id for e in qualified if e.id in able)
    return _Staffing(intervals, most, serviceable, tuple(good))


def _serviceable(ctx: _Context, v: Visit) -> tuple[str, ...]:
    if v.crew and not v.is_event:
        # Each member's own skills; the search times the crew (members differ in duration).
        able = {e.id for i in range(len(v.crew)) for e in ctx.problem.qualified_engineers(v, i)}
        return tuple(e.id for e in ctx.problem.engineers if e.id in able)
    if v.is_event:
        return ctx.event_staffing(v).serviceable
    return tuple(e.id for e in ctx.problem.qualified_engineers(v) if ctx.fits_alone(e, v))


# --- static reasons -----------------------------------------------------------------------


def _crew_reason(ctx: _Context, v: Visit) -> Unassigned | None:
    """A crew that cannot be staffed: a member no engineer is qualified for, or too few
    distinct engineers for its members together (EVENT_UNDERSTAFFED, naming the member)."""
    pools = [ctx.problem.qualified_engineers(v, i) for i in range(len(v.crew))]
    for i, pool in enumerate(pools):
        if not pool:
            m = v.crew[i]
            skills = ", ".join(sorted(m.skills)) or "no skills"
            return Unassigned(
                v.id,
                Reason.EVENT_UNDERSTAFFED,
                f"crew member {i} ({skills}, {_minutes(m.duration)}) cannot be staffed: no "
                "allowed engineer holds those skills",
            )
    taken: dict[str, int] = {}

    def assign(i: int, seen: set[str]) -> bool:  # Kuhn's augmenting path
        for e in pools[i]:
            if e.id in seen:
                continue
            seen.add(e.id)
            if e.id not in taken or assign(taken[e.id], seen):
                taken[e.id] = i
                return True
        return False

    for i in range(len(pools)):
        if not assign(i, set()):
            return Unassigned(
                v.id,
                Reason.EVENT_UNDERSTAFFED,
                f"crew member {i} cannot be staffed: its {len(pools[i])} qualified engineer(s) "
                f"are all needed by the other members ({len(v.crew)} different engineers "
                "needed)",
            )
    return None


def _static_reason(ctx: _Context, v: Visit) -> Unassigned | None:
    problem = ctx.problem
    if v.crew and not v.is_event:
        return _crew_reason(ctx, v)
    qualified = problem.qualified_engineers(v)
    if not qualified:
        return Unassigned(v.id, Reason.NO_QUALIFIED_ENGINEER, _no_qualified_message(problem, v))
    if v.is_event:
        k = v.engineers_required
        if len(qualified) < k:
            names = ", ".join(_who(e) for e in qualified)
            return Unassigned(
                v.id,
                Reason.EVENT_UNDERSTAFFED,
                f"needs {k} engineers together, only {len(qualified)} are qualified ({names})",
            )
        staffing = ctx.event_staffing(v)
        if staffing.most < k:
            if staffing.most == 0:
                where = f"none of the {len(qualified)} qualified can be there"
            else:
                where = f"only {staffing.most} can be there at the same time"
            return Unassigned(
                v.id,
                Reason.EVENT_UNDERSTAFFED,
                f"needs {k} engineers together, {where} within their shift + overtime "
                f"({_windows_text(v)}, {_minutes(v.duration)}){_break_clash(v, qualified)}",
            )
        return None
    if any(ctx.fits_alone(e, v) for e in qualified):
        return None
    best: tuple[int, Engineer] | None = None
    for e in qualified:
        short = ctx.shortfall(e, [v], at_most=None if best is None else best[0] - 1)
        if short is not None:
            best = (short, e)
    assert best is not None
    short, e = best
    return Unassigned(
        v.id,
        Reason.OUTSIDE_ALL_SHIFTS,
        f"no qualified engineer can serve it ({_windows_text(v)}, {_minutes(v.duration)} on "
        f"site) within their shift + overtime, even with nothing else to do: closest is "
        f"{_who(e)}, who would need {_minutes(short)} more",
        closest_engineer=e.id,
        shortfall=short,
    )


def _no_qualified_message(problem: Problem, v: Visit) -> str:
    if not problem.engineers:
        return "there are no engineers in the problem"
    pool = [
        e
        for e in problem.engineers
        if v.required_skills <= e.skills
        and (not v.allowed_engineers or e.id in v.allowed_engineers)
    ]
    if pool:  # skilled and allowed, so only the load stands in the way
        most = max(e.load_capacity or 0 for e in pool)
        return (
            f"its load {v.load} is more than the load_capacity of every engineer qualified to "
            f"serve it (largest: {most})"
        )
    skilled = [e for e in problem.engineers if v.required_skills <= e.skills]
    if v.allowed_engineers:
        pool = [e for e in problem.engineers if e.id in v.allowed_engineers]
        lacking = sorted(set().union(*(v.required_skills - e.skills for e in pool)))
        text = (
            f"only {', '.join(_who(e) for e in pool)} may serve it (allowed_engineers), "
            f"and none of them has every required skill (missing: {', '.join(lacking)})"
        )
        if skilled:
            names, verb = (
                ", ".join(_who(e) for e in skilled),
                "has" if len(skilled) == 1 else "have",
            )
            text += f"; {names} {verb} them but {'is' if len(skilled) == 1 else 'are'} not allowed"
        return text
    held: set[str] = set().union(*(e.skills for e in problem.engineers))
    missing = sorted(v.required_skills - held)
    if missing:
        return f"no engineer has the required skill(s) {', '.join(missing)}"
    return f"no single engineer has all the required skills {', '.join(sorted(v.required_skills))}"


# --- capacity -----------------------------------------------------------------------------


class _Plans:
    """Each engineer's planned order, timed once, with its events' starts kept fixed."""

    def __init__(self, ctx: _Context, routes: Mapping[str, Route]) -> None:
        self.ctx = ctx
        self.routes = routes
        self.timers: dict[str, tuple[InsertionTimer, list[int]]] = {}

    def of(self, e: Engineer) -> tuple[InsertionTimer, list[int]]:
        """The timer of ``e``'s planned order and the planned starts (seconds)."""
        if e.id not in self.timers:
            route = self.routes.get(e.id)
            stops = route.stops if route is not None else ()
            visits = self.ctx.visits
            order = [visits[s.visit_id] for s in stops]
            fixed = {s.visit_id: s.start for s in stops if visits[s.visit_id].is_team}
            timer = InsertionTimer(e, order, self.ctx.matrix, self.ctx.loc, fixed_starts=fixed)
            self.timers[e.id] = (timer, [s.start for s in stops])
        return self.timers[e.id]

    def order(self, e: Engineer) -> tuple[Visit, ...]:
        return self.of(e)[0].visits

    def insert(
        self,
        e: Engineer,
        v: Visit,
        positions: Sequence[int],
        start: int | None = None,
        below: int | None = None,
    ) -> tuple[int, int] | None:
        """Least extra shortfall (seconds) of ``v`` inserted into ``e``'s order and its
        position, ``start`` fixing the start of ``v``; None when none is below ``below``."""
        timer = self.of(e)[0]
        base = timer.shortfall
        best: tuple[int, int] | None = None
        for p in positions:
            bound = below if best is None else best[0]
            at_most = None if bound is None else base + bound - 1
            if at_most is not None and at_most < base:
                break
            short = timer.shortfall_with(v, p, start=start, at_most=at_most)
            if short is not None:
                best = (max(0, short - base), p)
        return best


def _where(order: Sequence[Visit], p: int) -> str:
    if p > 0:
        return f"inserted after visit {order[p - 1].id}"
    if order:
        return f"as the first visit, before {order[0].id}"
    return "in an otherwise empty route"


def _home_capacity(ctx: _Context, plans: _Plans, v: Visit) -> Unassigned:
    best: tuple[int, int, Engineer] | None = None
    for eid in _serviceable(ctx, v):
        e = ctx.problem.engineer(eid)
        order = plans.order(e)
        found = plans.insert(e, v, range(len(order) + 1), below=None if best is None else best[0])
        if found is not None:
            best = (*found, e)
    assert best is not None, "a visit without a static reason has a serviceable engineer"
    extra, p, e = best
    where = _where(plans.order(e), p)
    if extra == 0:
        message = (
            f"fits: {_who(e)} still has room ({where}); the optimiser left it out "
            "(dropping it cost less, or the search stopped early)"
        )
    else:
        message = (
            f"fits alone, but no engineer has room today: closest is {_who(e)}, who would "
            f"need {_minutes(extra)} more ({where})"
        )
    return Unassigned(v.id, Reason.CAPACITY, message, closest_engineer=e.id, shortfall=extra)


def _event_capacity(ctx: _Context, plans: _Plans, v: Visit) -> Unassigned:
    """Try common starts: the candidates where ``k`` engineers can be there alone, plus the
    earliest start of the event at each position of each engineer's route."""
    k = v.engineers_required
    staffing = ctx.event_staffing(v)
    engineers = [ctx.problem.engineer(i) for i in staffing.serviceable]
    times = set(staffing.good_times)
    for e in engineers:
        timer = plans.of(e)[0]
        order, fixed = timer.visits, timer.fixed_starts
        for p in range(len(order) + 1):
            timed = schedule_visits(
                e, [*order[:p], v, *order[p:]], ctx.matrix, ctx.loc, fixed_starts=fixed
            )
            times.add(timed.stops[p].start)

    def present(t: int) -> list[Engineer]:
        return [e for e in engineers if _contains(staffing.intervals[e.id], t)]

    ordered = sorted(t for t in times if len(present(t)) >= k)
    if len(ordered) > _EVENT_TIMES_MAX:
        step = len(ordered) / _EVENT_TIMES_MAX
        ordered = [ordered[int(i * step)] for i in range(_EVENT_TIMES_MAX)]
    best: tuple[int, int, int, list[tuple[int, int, Engineer]]] | None = None
    for t in ordered:
        options = []
        for rank, e in enumerate(present(t)):
            starts = plans.of(e)[1]
            p0 = bisect.bisect_left(starts, t)
            near = [p for p in (p0, p0 - 1, p0 + 1) if 0 <= p <= len(starts)]
            found = plans.insert(e, v, near, t, None if best is None else best[0] + 1)
            if found is not None:
                options.append((*found, rank, e))
        if len(options) < k:
            continue
        options.sort(key=lambda o: (o[0], o[2]))
        room = sum(1 for o in options if o[0] == 0)
        team = [(extra, p, e) for extra, p, _, e in options[:k]]
        total = sum(extra for extra, _, _ in team)
        if best is None or (total, -room) < (best[0], -best[1]):
            best = (total, room, t, team)
    assert best is not None, "an event without a static reason has a common start"
    total, room, t, team = best
    if total == 0:
        names = ", ".join(_who(e) for _, _, e in team)
        return Unassigned(
            v.id,
            Reason.CAPACITY,
            f"fits: {names} all have room at {_clock(t)}; the optimiser left it out "
            "(dropping it cost less, or the search stopped early)",
            shortfall=0,
        )
    short = [(extra, p, e) for extra, p, e in team if extra > 0]
    extra, p, e = short[0]
    if room == 0:
        head = f"needs {k} engineers together; at {_clock(t)} none of them has room: closest"
    else:
        verb = "has" if room == 1 else "have"
        head = (
            f"needs {k} engineers together; at {_clock(t)} only {room} of them {verb} room: "
            "closest of the rest"
        )
    message = (
        f"{head} is {_who(e)}, who would need {_minutes(extra)} more ({_where(plans.order(e), p)})"
    )
    if len(short) > 1:
        message += f"; freeing {len(short)} engineers needs {_minutes(total)} more in total"
    return Unassigned(v.id, Reason.CAPACITY, message, closest_engineer=e.id, shortfall=total)


# --- formatting ---------------------------------------------------------------------------


def _who(e: Engineer) -> str:
    return f"{e.name} ({e.id})" if e.name else e.id


def _clock(t: int) -> str:
    """Seconds since midnight as ``HH:MM`` (with a day offset outside the day)."""
    day, rest = divmod(t, 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return text if day == 0 else f"{text} ({day:+d} d)"


def _minutes(seconds: int) -> str:
    """A duration in seconds as whole minutes, rounded up (``1 h 5 min`` above an hour)."""
    m = -(-seconds // 60)
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def _break_clash(v: Visit, engineers: Sequence[Engineer]) -> str:
    """``: for 14 of them the event leaves no room for their break (...)`` when, at every
    allowed start, the event covers so much of a required break's window that the break
    fits neither before nor after it (travel ignored: a sufficient reason on its own)."""
    starts = sorted({t for w in v.time_windows for t in (w.start, w.end)})
    if not starts:
        return ""
    clashes: list[str] = []
    for e in engineers:
        for b in e.required_breaks():
            if all(
                min(t, b.latest_end) - b.earliest_start < b.duration
                and b.latest_end - max(t + v.duration, b.earliest_start) < b.duration
                for t in starts
            ):
                clashes.append(
                    f"{_minutes(b.duration)} between {_clock(b.earliest_start)} and "
                    f"{_clock(b.latest_end)}"
                )
                break
    if not clashes:
        return ""
    which = "for all of them" if len(clashes) == len(engineers) else (f"for {len(clashes)} of them")
    common = f" ({clashes[0]})" if len(set(clashes)) == 1 else ""
    return f": {which} the event leaves no room for their break{common}"


def _windows_text(v: Visit) -> str:
    if not v.time_windows:
        return "no time window"
    if len(v.time_windows) == 1 and v.time_windows[0].start == v.time_windows[0].end:
        return f"fixed start {_clock(v.time_windows[0].start)}"
    spans = ", ".join(f"{_clock(w.start)}-{_clock(w.end)}" for w in v.time_windows)
    text = f"window{'s' if len(v.time_windows) > 1 else ''} {spans}"
    return text + " (soft)" if v.soft_windows else text
