"""Independent plan checker: does a ``Plan`` obey every hard rule of its ``Problem``?

It shares no code with the optimiser (no OR-Tools, nothing from ``scheduler.solver``), so a
bug in the model cannot hide itself. All times are integer seconds since local midnight of the
problem's date; messages show them as ``HH:MM:SS`` and durations as ``1 h 5 min 30 s``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from scheduler.domain import Break, BreakTaken, Engineer, Plan, Problem, Route, Stop, Visit
from scheduler.errors import FieldrouteError, ProblemError
from scheduler.travel import Matrix

__all__ = [
    "Code",
    "PlanInvalid",
    "Violation",
    "assert_valid",
    "format_duration",
    "format_hms",
    "validate",
]


class Code(StrEnum):
    """Every violation code ``validate`` can report."""

    UNKNOWN_ENGINEER = "UNKNOWN_ENGINEER"
    DUPLICATE_ROUTE = "DUPLICATE_ROUTE"
    SHIFT_START = "SHIFT_START"
    OVERTIME_MAX = "OVERTIME_MAX"
    ROUTE_DURATION = "ROUTE_DURATION"
    LOAD_CAPACITY = "LOAD_CAPACITY"
    TIMING = "TIMING"
    TRAVEL = "TRAVEL"
    OVERLAP = "OVERLAP"
    WINDOW = "WINDOW"
    SKILL = "SKILL"
    NOT_ALLOWED = "NOT_ALLOWED"
    BREAK_MISSING = "BREAK_MISSING"
    BREAK_WINDOW = "BREAK_WINDOW"
    BREAK_OVERLAP = "BREAK_OVERLAP"
    BREAK_EXTRA = "BREAK_EXTRA"
    DUPLICATE = "DUPLICATE"
    EVENT_STAFFING = "EVENT_STAFFING"
    EVENT_SIMULTANEITY = "EVENT_SIMULTANEITY"
    CREW_MEMBER = "CREW_MEMBER"
    CREW_SEQUENCE = "CREW_SEQUENCE"
    MISSING = "MISSING"
    SERVED_AND_UNASSIGNED = "SERVED_AND_UNASSIGNED"
    UNKNOWN_VISIT = "UNKNOWN_VISIT"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: a ``Code`` value and a message a dispatcher can act on."""

    code: str
    message: str
    engineer_id: str | None = None
    visit_id: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class PlanInvalid(FieldrouteError):  # noqa: N818 - name fixed by the public API
    """A plan breaks hard rules; ``violations`` lists every one of them."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"plan breaks {len(self.violations)} rule(s):\n{lines}")


def format_hms(t: int) -> str:
    """Seconds since midnight as ``HH:MM:SS``; negative gets a ``-``, hours may pass 23."""
    sign = "-" if t < 0 else ""
    h, rest = divmod(abs(t), 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}"


def format_duration(seconds: int) -> str:
    """A duration in seconds as e.g. ``1 h 5 min 30 s`` (``0 s`` for zero)."""
    sign = "-" if seconds < 0 else ""
    h, rest = divmod(abs(seconds), 3600)
    m, s = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((h, "h"), (m, "min"), (s, "s")) if n]
    return sign + (" ".join(parts) if parts else "0 s")


def assert_valid(problem: Problem, plan: Plan, matrix: Matrix) -> None:
    """Raise ``PlanInvalid`` listing every violation when ``plan`` breaks any rule."""
    violations = validate(problem, plan, matrix)
    if violations:
        raise PlanInvalid(violations)


def validate(problem: Problem, plan: Plan, matrix: Matrix) -> list[Violation]:
    """Every hard rule ``plan`` breaks, routes first (in plan order), then visit accounting.

    ``matrix`` holds driving seconds in ``problem.locations`` order. An empty list means the
    plan is feasible.
    """
    n = len(problem.locations)
    if matrix.shape != (n, n):
        raise ProblemError("travel times", "shape", matrix.shape, f"must be ({n}, {n})")
    checker = _Checker(problem, matrix)
    out: list[Violation] = []
    seen: set[str] = set()
    for route in plan.routes:
        engineer = checker.engineers.get(route.engineer_id)
        if engineer is None:
            out.append(
                _v(
                    Code.UNKNOWN_ENGINEER,
                    f"a route is planned for engineer {route.engineer_id!r}, who is not in "
                    "the problem",
                    engineer_id=route.engineer_id,
                )
            )
        elif route.engineer_id in seen:
            out.append(
                _v(
                    Code.DUPLICATE_ROUTE,
                    f"{_who(engineer)} has more than one route; an engineer gets at most one",
                    engineer_id=engineer.id,
                )
            )
        seen.add(route.engineer_id)
        # Stay-at-home routes need no timeline or breaks; unknown engineers have no shift.
        if engineer is not None and route.stops:
            out.extend(checker.route(route, engineer))
    out.extend(checker.accounting(plan))
    return out


def _v(
    code: Code, message: str, engineer_id: str | None = None, visit_id: str | None = None
) -> Violation:
    return Violation(code.value, message, engineer_id, visit_id)


def _who(e: Engineer) -> str:
    return f"engineer {e.id!r} ({e.name})" if e.name else f"engineer {e.id!r}"


def _span(lo: int, hi: int) -> str:
    return f"{format_hms(lo)}-{format_hms(hi)}"


def _break_text(b: BreakTaken) -> str:
    return f"break {_span(b.start, b.end)} ({format_duration(b.end - b.start)})"


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    # Half-open intervals, except that a zero-length service still blocks a break across it.
    if a_start == a_end:
        return b_start < a_start < b_end
    if b_start == b_end:
        return a_start < b_start < a_end
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True, slots=True)
class _End:
    """One side of a gap in a route: where the engineer is and how to name it."""

    location: str | None  # None when the stop's visit is unknown: travel can't be checked
    text: str
    visit_id: str | None


class _Checker:
    def __init__(self, problem: Problem, matrix: Matrix) -> None:
        self.problem = problem
        self.matrix = matrix
        self.index = problem.location_index()
        self.engineers = {e.id: e for e in problem.engineers}
        self.visits = {v.id: v for v in problem.visits}

    def travel(self, a: str, b: str) -> int:
        return int(self.matrix[self.index[a], self.index[b]])

    # ---- one route -------------------------------------------------------------------

    def route(self, route: Route, e: Engineer) -> list[Violation]:
        who = _who(e)
        out: list[Violation] = []
        if route.departure < e.shift_start:
            out.append(
                _v(
                    Code.SHIFT_START,
                    f"{who} leaves at {format_hms(route.departure)}, "
                    f"{format_duration(e.shift_start - route.departure)} before the shift "
                    f"starts at {format_hms(e.shift_start)}",
                    engineer_id=e.id,
                )
            )
        latest = e.shift_end + e.overtime_max
        if route.return_ > latest:
            out.append(
                _v(
                    Code.OVERTIME_MAX,
                    f"{who} is back at {format_hms(route.return_)}, "
                    f"{format_duration(route.return_ - e.shift_end)} after the shift ends at "
                    f"{format_hms(e.shift_end)}; at most {format_duration(e.overtime_max)} "
                    f"overtime is allowed (latest {format_hms(latest)}), exceeded by "
                    f"{format_duration(route.return_ - latest)}",
                    engineer_id=e.id,
                )
            )

        if e.max_route_duration is not None and (
            route.return_ - route.departure > e.max_route_duration
        ):
            out.append(
                _v(
                    Code.ROUTE_DURATION,
                    f"{who} is out {format_duration(route.return_ - route.departure)} "
                    f"({_span(route.departure, route.return_)}); at most "
                    f"{format_duration(e.max_route_duration)} is allowed (max_route_duration)",
                    engineer_id=e.id,
                )
            )
        if e.load_capacity is not None:
            load = sum(
                self.visits[s.visit_id].load for s in route.stops if s.visit_id in self.visits
            )
            if load > e.load_capacity:
                out.append(
                    _v(
                        Code.LOAD_CAPACITY,
                        f"{who} serves visits with a total load of {load}, more than their "
                        f"load_capacity {e.load_capacity} by {load - e.load_capacity}",
                        engineer_id=e.id,
                    )
                )

        prev = _End(e.start_location, f"their start location {e.start_location!r}", None)
        prev_end = route.departure
        prev_stop: Stop | None = None
        for stop in route.stops:
            visit = self.visits.get(stop.visit_id)
            if visit is not None:
                out.extend(self.stop(stop, visit, e))
            here = _End(
                visit.location if visit is not None else None,
                f"visit {stop.visit_id!r}",
                stop.visit_id,
            )
            if prev_stop is not None and stop.start < prev_stop.end:
                # The gap is negative, so a TRAVEL report on top would only repeat this.
                out.append(
                    _v(
                        Code.OVERLAP,
                        f"{who} starts visit {stop.visit_id!r} at {format_hms(stop.start)}, "
                        f"{format_duration(prev_stop.end - stop.start)} before visit "
                        f"{prev_stop.visit_id!r} ends at {format_hms(prev_stop.end)}",
                        engineer_id=e.id,
                        visit_id=stop.visit_id,
                    )
                )
            else:
                out.extend(self.gap(route, e, prev, prev_end, here, stop.arrival, stop.start))
            prev, prev_end, prev_stop = here, stop.end, stop
        home = _End(e.end_location, f"their end location {e.end_location!r}", None)
        out.extend(self.gap(route, e, prev, prev_end, home, route.return_, route.return_))
        out.extend(self.breaks(route, e))
        return out

    def stop(self, stop: Stop, visit: Visit, e: Engineer) -> list[Violation]:
        who, what = _who(e), f"visit {visit.id!r}"
        out: list[Violation] = []

        def add(code: Code, message: str) -> None:
            out.append(_v(code, message, engineer_id=e.id, visit_id=visit.id))

        members = visit.members()
        if not 0 <= stop.crew_member < len(members):
            add(
                Code.CREW_MEMBER,
                f"{who} serves {what} as crew member {stop.crew_member}, but its crew has "
                f"members 0..{len(members) - 1}",
            )
            return out
        member = members[stop.crew_member]
        if visit.crew:
            what = f"{what} (crew member {stop.crew_member})"
        if stop.end != stop.start + member.duration:
            add(
                Code.TIMING,
                f"{who} serves {what} {_span(stop.start, stop.end)} "
                f"({format_duration(stop.end - stop.start)}) but it lasts "
                f"{format_duration(member.duration)}, so it must end at "
                f"{format_hms(stop.start + member.duration)}",
            )
        if stop.arrival > stop.start:
            add(
                Code.TIMING,
                f"{who} starts {what} at {format_hms(stop.start)}, "
                f"{format_duration(stop.arrival - stop.start)} before arriving at "
                f"{format_hms(stop.arrival)}",
            )
        if not visit.start_allowed(stop.start):
            add(
                Code.WINDOW,
                f"{who} starts {what} at {format_hms(stop.start)}, "
                f"{_window_miss(visit, stop.start)}",
            )
        missing = member.skills - e.skills
        if missing:
            add(
                Code.SKILL,
                f"{who} serves {what} but lacks required skill(s) {', '.join(sorted(missing))}",
            )
        if visit.allowed_engineers and e.id not in visit.allowed_engineers:
            add(
                Code.NOT_ALLOWED,
                f"{who} serves {what}, which only "
                f"{', '.join(repr(i) for i in sorted(visit.allowed_engineers))} may serve",
            )
        return out

    def gap(
        self,
        route: Route,
        e: Engineer,
        prev: _End,
        prev_end: int,
        nxt: _End,
        arrival: int,
        next_start: int,
    ) -> list[Violation]:
        """Check the drive (and the breaks) between two activities of ``e``'s route."""
        if prev.location is None or nxt.location is None:
            return []  # an unknown visit has no location; UNKNOWN_VISIT reports it
        who = _who(e)
        visit_id = nxt.visit_id or prev.visit_id
        drive = self.travel(prev.location, nxt.location)
        leaves = "leave" if prev.visit_id is None else "finish"
        if arrival < prev_end + drive:
            earliest = prev_end + drive
            return [
                _v(
                    Code.TRAVEL,
                    f"{who} reaches {nxt.text} at {format_hms(arrival)}, but they {leaves} "
                    f"{prev.text} at {format_hms(prev_end)} and the drive takes "
                    f"{format_duration(drive)}, so the earliest arrival is "
                    f"{format_hms(earliest)}: {format_duration(earliest - arrival)} too early",
                    engineer_id=e.id,
                    visit_id=visit_id,
                )
            ]
        # Breaks taken while waiting on site count too: the gap must hold drive and breaks.
        inside = [b for b in route.breaks if prev_end <= b.start and b.end <= next_start]
        need = drive + sum(b.end - b.start for b in inside)
        have = next_start - prev_end
        if have >= need:
            return []
        starts = "starting" if nxt.visit_id is not None else "returning to"
        breaks = ", ".join(_break_text(b) for b in inside) or "no break"
        return [
            _v(
                Code.TRAVEL,
                f"{who}: between {'leaving' if prev.visit_id is None else 'finishing'} "
                f"{prev.text} at {format_hms(prev_end)} and {starts} {nxt.text} at "
                f"{format_hms(next_start)} there are {format_duration(have)}, but the "
                f"{format_duration(drive)} drive plus {breaks} need {format_duration(need)}: "
                f"{format_duration(need - have)} short",
                engineer_id=e.id,
                visit_id=visit_id,
            )
        ]

    def breaks(self, route: Route, e: Engineer) -> list[Violation]:
        """Placement of each taken break, then matching taken breaks to required ones."""
        who = _who(e)
        out: list[Violation] = []
        stops = route.stops
        starts = [route.departure, *(s.end for s in stops)]
        ends = [*(s.start for s in stops), route.return_]
        gaps = list(zip(starts, ends, strict=True))
        for b in route.breaks:
            clashes = [s for s in stops if _overlaps(s.start, s.end, b.start, b.end)]
            if clashes:
                for s in clashes:
                    lo, hi = max(s.start, b.start), min(s.end, b.end)
                    out.append(
                        _v(
                            Code.BREAK_OVERLAP,
                            f"{who} takes a {_break_text(b)} during visit {s.visit_id!r} "
                            f"({_span(s.start, s.end)}), overlapping by "
                            f"{format_duration(hi - lo)}",
                            engineer_id=e.id,
                            visit_id=s.visit_id,
                        )
                    )
            elif not (
                b.end <= route.departure
                or b.start >= route.return_
                or any(lo <= b.start and b.end <= hi for lo, hi in gaps)
            ):
                if b.start < route.departure < b.end:
                    where = f"it spans the departure at {format_hms(route.departure)}"
                elif b.start < route.return_ < b.end:
                    where = f"it spans the return at {format_hms(route.return_)}"
                else:
                    where = "it does not fit between two activities"
                out.append(
                    _v(
                        Code.BREAK_OVERLAP,
                        f"{who} takes a {_break_text(b)} but {where}; a break lies wholly "
                        "before departure, between two activities, or after the return",
                        engineer_id=e.id,
                    )
                )
        ordered = sorted(route.breaks, key=lambda b: (b.start, b.end))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if _overlaps(a.start, a.end, b.start, b.end):
                    out.append(
                        _v(
                            Code.BREAK_OVERLAP,
                            f"{who} takes {_break_text(a)} and {_break_text(b)}, which overlap "
                            f"by {format_duration(min(a.end, b.end) - max(a.start, b.start))}",
                            engineer_id=e.id,
                        )
                    )
        out.extend(_match_breaks(who, e.id, e.required_breaks(), route.breaks))
        return out

    # ---- the plan as a whole -----------------------------------------------------------

    def accounting(self, plan: Plan) -> list[Violation]:
        """Each visit served the right number of times, or listed once as unassigned."""
        out: list[Violation] = []
        served: dict[str, list[tuple[str, Stop]]] = {v.id: [] for v in self.problem.visits}
        for route in plan.routes:
            for stop in route.stops:
                if stop.visit_id in served:
                    served[stop.visit_id].append((route.engineer_id, stop))
                else:
                    known = self.engineers.get(route.engineer_id)
                    who = _who(known) if known else f"engineer {route.engineer_id!r}"
                    out.append(
                        _v(
                            Code.UNKNOWN_VISIT,
                            f"{who} has a stop at "
                            f"{format_hms(stop.start)} for visit {stop.visit_id!r}, which is "
                            "not in the problem",
                            engineer_id=route.engineer_id,
                            visit_id=stop.visit_id,
                        )
                    )
        listed = Counter(u.visit_id for u in plan.unassigned)
        for vid in listed:
            if vid not in served:
                out.append(
                    _v(
                        Code.UNKNOWN_VISIT,
                        f"visit {vid!r} is listed as unassigned but is not in the problem",
                        visit_id=vid,
                    )
                )
        for visit in self.problem.visits:
            entries = served[visit.id]
            what = f"visit {visit.id!r}"
            by = ", ".join(f"{eid!r} at {format_hms(s.start)}" for eid, s in entries)
            if visit.is_team:
                out.extend(_event(visit, entries, by))
            elif len(entries) > 1:
                out.append(
                    _v(
                        Code.DUPLICATE,
                        f"{what} is served {len(entries)} times ({by}); a home-service visit "
                        "is served at most once",
                        visit_id=visit.id,
                    )
                )
            times = listed.get(visit.id, 0)
            if times > 1:
                out.append(
                    _v(
                        Code.DUPLICATE,
                        f"{what} is listed {times} times as unassigned",
                        visit_id=visit.id,
                    )
                )
            if entries and times:
                out.append(
                    _v(
                        Code.SERVED_AND_UNASSIGNED,
                        f"{what} is served ({by}) and also listed as unassigned",
                        visit_id=visit.id,
                    )
                )
            elif not entries and not times:
                out.append(
                    _v(
                        Code.MISSING,
                        f"{what} is neither served nor listed as unassigned",
                        visit_id=visit.id,
                    )
                )
        return out


def _event(visit: Visit, entries: list[tuple[str, Stop]], by: str) -> list[Violation]:
    """A team visit (an event or a crew) is either not served, or served by exactly k
    distinct engineers, one per crew member, starting together or in its sequence."""
    if not entries:
        return []
    out: list[Violation] = []
    what = f"{'event' if visit.is_event else 'visit'} {visit.id!r}"
    k = visit.engineers_required
    distinct = {eid for eid, _ in entries}
    if len(entries) != k or len(distinct) != len(entries):
        out.append(
            _v(
                Code.EVENT_STAFFING,
                f"{what} needs exactly {k} different engineers (or none) but has "
                f"{len(entries)} stop(s) by {len(distinct)} engineer(s): {by}",
                visit_id=visit.id,
            )
        )
    if visit.crew:
        got = sorted(s.crew_member for _, s in entries)
        if got != list(range(len(entries))) and len(entries) == k:
            out.append(
                _v(
                    Code.CREW_MEMBER,
                    f"{what} needs one engineer per crew member 0..{k - 1} but has members "
                    f"{got}: {by}",
                    visit_id=visit.id,
                )
            )
    seq = visit.crew_timing
    if seq is not None:
        key = (lambda x: x[1].crew_member) if visit.crew else (lambda x: x[1].start)
        ordered = sorted(entries, key=key)
        for (ea, a), (eb, b) in itertools.pairwise(ordered):
            gap = b.start - a.start
            if not seq.min_gap <= gap <= seq.max_gap:
                out.append(
                    _v(
                        Code.CREW_SEQUENCE,
                        f"{what}: crew member {b.crew_member} ({eb!r}) starts at "
                        f"{format_hms(b.start)}, {format_duration(abs(gap))} "
                        f"{'after' if gap >= 0 else 'before'} member {a.crew_member} ({ea!r}) "
                        f"at {format_hms(a.start)}; it must start "
                        f"{format_duration(seq.min_gap)} to {format_duration(seq.max_gap)} after",
                        visit_id=visit.id,
                    )
                )
        return out
    starts = [s.start for _, s in entries]
    if min(starts) != max(starts):
        out.append(
            _v(
                Code.EVENT_SIMULTANEITY,
                f"{what} must start at the same time for every engineer, but starts are "
                f"{by}: {format_duration(max(starts) - min(starts))} apart",
                visit_id=visit.id,
            )
        )
    return out


def _window_miss(visit: Visit, t: int) -> str:
    """Why ``t`` is not an allowed start for ``visit`` and by how much."""
    ws = visit.time_windows
    allowed = ", ".join(_span(w.start, w.end) for w in ws)
    note = " (soft: any later start is also allowed)" if visit.soft_windows else ""
    if t < ws[0].start:
        miss = f"{format_duration(ws[0].start - t)} early"
    elif t > ws[-1].end:
        miss = f"{format_duration(t - ws[-1].end)} late"
    else:
        before = max((w for w in ws if w.end < t), key=lambda w: w.end)
        after = min((w for w in ws if w.start > t), key=lambda w: w.start)
        miss = (
            f"between windows: {format_duration(t - before.end)} late for "
            f"{_span(before.start, before.end)} and {format_duration(after.start - t)} early "
            f"for {_span(after.start, after.end)}"
        )
    return f"{miss}; allowed start window(s): {allowed}{note}"


def _fits(r: Break, b: BreakTaken) -> bool:
    return b.end - b.start == r.duration and b.start >= r.earliest_start and b.end <= r.latest_end


def _match_breaks(
    who: str, engineer_id: str, required: Sequence[Break], taken: Sequence[BreakTaken]
) -> list[Violation]:
    """Pair required and taken breaks one-to-one, then explain what stays unpaired."""
    # Maximum bipartite matching (Kuhn): greedy pairing could strand a break that fits.
    owner: dict[int, int] = {}  # taken index -> required index

    def augment(r: int, visited: set[int]) -> bool:
        for j, b in enumerate(taken):
            if j in visited or not _fits(required[r], b):
                continue
            visited.add(j)
            if j not in owner or augment(owner[j], visited):
                owner[j] = r
                return True
        return False

    for r in range(len(required)):
        augment(r, set())
    matched = set(owner.values())
    free = [j for j in range(len(taken)) if j not in owner]
    out: list[Violation] = []
    for r, req in enumerate(required):
        if r in matched:
            continue
        need = (
            f"a {format_duration(req.duration)} break within "
            f"{_span(req.earliest_start, req.latest_end)}"
        )

        def off(j: int, req: Break = req) -> int:
            b = taken[j]
            return max(0, req.earliest_start - b.start, b.end - req.latest_end)

        same = sorted((j for j in free if taken[j].end - taken[j].start == req.duration), key=off)
        near = [
            j
            for j in free
            if _overlaps(taken[j].start, taken[j].end, req.earliest_start, req.latest_end)
        ]
        if same:
            j = same[0]
            free.remove(j)
            b = taken[j]
            if b.start < req.earliest_start:
                miss = f"starts {format_duration(req.earliest_start - b.start)} too early"
            else:
                miss = f"ends {format_duration(b.end - req.latest_end)} too late"
            out.append(
                _v(
                    Code.BREAK_WINDOW,
                    f"{who} needs {need}, but the {_break_text(b)} {miss}",
                    engineer_id=engineer_id,
                )
            )
        elif near:
            j = near[0]
            free.remove(j)
            out.append(
                _v(
                    Code.BREAK_MISSING,
                    f"{who} needs {need}, but the {_break_text(taken[j])} has the wrong length",
                    engineer_id=engineer_id,
                )
            )
        else:
            out.append(
                _v(
                    Code.BREAK_MISSING,
                    f"{who} needs {need}, but takes none",
                    engineer_id=engineer_id,
                )
            )
    for j in free:
        out.append(
            _v(
                Code.BREAK_EXTRA,
                f"{who} takes a {_break_text(taken[j])} that matches no required break",
                engineer_id=engineer_id,
            )
        )
    return out
