"""The field-service domain as frozen dataclasses, validated on construction.

Times inside the core are integer seconds since local midnight of the problem's ``date``
(they may be negative or exceed 86,400 for times on neighbouring days); durations are
integer seconds. Conversion to and from clock times happens only in ``scheduler.formats``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from scheduler.errors import ProblemError


class VisitKind(StrEnum):
    HOME_SERVICE = "home_service"
    COMMUNITY_EVENT = "community_event"


class Reason(StrEnum):
    """Why a visit is not in the plan; each code has one meaning a dispatcher can act on."""

    NO_QUALIFIED_ENGINEER = "NO_QUALIFIED_ENGINEER"
    OUTSIDE_ALL_SHIFTS = "OUTSIDE_ALL_SHIFTS"
    EVENT_UNDERSTAFFED = "EVENT_UNDERSTAFFED"
    CAPACITY = "CAPACITY"


def _duplicates(ids: Iterable[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the map; ``lat``/``lon`` in WGS84 degrees."""

    id: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not self.id:
            raise ProblemError("location", "id", self.id, "must be a non-empty string")
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ProblemError(f"location {self.id!r}", "lat", self.lat, "must be in [-90, 90]")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ProblemError(f"location {self.id!r}", "lon", self.lon, "must be in [-180, 180]")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An interval ``[start, end]`` in seconds since local midnight (both ends included)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ProblemError(
                "time window", "end", self.end, f"must not be before its start {self.start}"
            )

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Break:
    """A break of ``duration`` seconds taken wholly inside ``[earliest_start, latest_end]``."""

    duration: int
    earliest_start: int
    latest_end: int

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ProblemError("break", "duration", self.duration, "must be > 0 seconds")
        if self.latest_end - self.earliest_start < self.duration:
            raise ProblemError(
                "break",
                "latest_end",
                self.latest_end,
                f"leaves less than the break's {self.duration} s after earliest_start "
                f"{self.earliest_start}",
            )


@dataclass(frozen=True, slots=True)
class ServiceCenter:
    """A service centre engineers leave from and return to."""

    id: str
    name: str
    location: str


@dataclass(frozen=True, slots=True)
class Engineer:
    """A field engineer's day: where it starts and ends, shift, breaks, skills, overtime.

    ``shift_start``/``shift_end`` in seconds since midnight; ``overtime_max`` is the hard
    limit (seconds) the route may end after ``shift_end``, at the overtime cost.
    ``load_capacity`` bounds the sum of the ``load`` of the visits served (parts in the van,
    jobs per day; None = no limit); ``max_route_duration`` bounds the seconds from departure
    to return (working-time rules; None = only the shift bounds it). ``next_visit``: the
    visit the engineer is driving to when a re-plan starts; it stays their first stop.
    """

    id: str
    start_location: str
    end_location: str
    shift_start: int
    shift_end: int
    name: str = ""
    breaks: tuple[Break, ...] = ()
    skills: frozenset[str] = frozenset()
    overtime_max: int = 0
    service_center: str | None = None
    load_capacity: int | None = None
    max_route_duration: int | None = None
    next_visit: str | None = None

    def __post_init__(self) -> None:
        who = f"engineer {self.id!r}"
        if not self.id:
            raise ProblemError("engineer", "id", self.id, "must be a non-empty string")
        if self.shift_end <= self.shift_start:
            raise ProblemError(
                who, "shift_end", self.shift_end, f"must be after shift_start {self.shift_start}"
            )
        if self.overtime_max < 0:
            raise ProblemError(who, "overtime_max", self.overtime_max, "must be >= 0")
        if self.load_capacity is not None and self.load_capacity < 0:
            raise ProblemError(
                who, "load_capacity", self.load_capacity, "must be >= 0 (or absent: no limit)"
            )
        if self.max_route_duration is not None and self.max_route_duration <= 0:
            raise ProblemError(
                who,
                "max_route_duration",
                self.max_route_duration,
                "must be > 0 seconds (or absent: no limit)",
            )

    @property
    def working_day(self) -> TimeWindow:
        """The longest the engineer may be out: shift start to shift end plus max overtime."""
        return TimeWindow(self.shift_start, self.shift_end + self.overtime_max)

    def required_breaks(self) -> tuple[Break, ...]:
        """Breaks this engineer must take: those whose window overlaps the working day by at
        least the break's duration, clipped to the working day."""
        day = self.working_day
        out = []
        for b in self.breaks:
            lo, hi = max(b.earliest_start, day.start), min(b.latest_end, day.end)
            if hi - lo >= b.duration:
                out.append(Break(b.duration, lo, hi))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Previous:
    """Where a visit stood in the plan a re-plan replaces: its engineers, its start and the
    window the customer was told (``promise``), seconds since midnight. Moving it costs what
    the weights' churn terms say (see ``scheduler.objective``)."""

    engineers: frozenset[str]
    start: int
    promise: TimeWindow | None = None


@dataclass(frozen=True, slots=True)
class CrewMember:
    """One engineer of a visit's crew: the skills that engineer must hold and the seconds
    they spend on site."""

    skills: frozenset[str] = frozenset()
    duration: int = 0


@dataclass(frozen=True, slots=True)
class CrewSequence:
    """Crew members start one after the other: member i+1 starts at least ``min_gap`` and at
    most ``max_gap`` seconds after member i starts (in crew order)."""

    min_gap: int
    max_gap: int

    def __post_init__(self) -> None:
        if self.min_gap < 0:
            raise ProblemError("crew_timing", "sequence.min_gap", self.min_gap, "must be >= 0")
        if self.max_gap < self.min_gap:
            raise ProblemError(
                "crew_timing",
                "sequence.max_gap",
                self.max_gap,
                f"must not be less than min_gap {self.min_gap}",
            )


MAX_DURATION = 24 * 3600  # the longest a crew member may stay on site (seconds)


@dataclass(frozen=True, slots=True)
class Visit:
    """A home-service visit or a community event.

    ``duration`` in seconds; ``time_windows`` bound the *start* of service. With
    ``soft_windows`` a start after the last window's end is allowed at ``lateness_cost``
    cost units per second late (gaps between windows stay forbidden). ``priority`` 1 is most urgent.
    ``engineers_required`` engineers must all start together and stay the whole duration.
    ``load`` counts against each serving engineer's ``load_capacity`` (units of the problem's
    choosing: parts, kilograms, 1 per job). ``previous``: where a re-plan found it.

    ``crew``: one member per engineer needed, each with its own skills and duration; when
    given it sets ``engineers_required`` (its length), ``duration`` (the longest member's) and
    ``required_skills`` (those every member needs). ``crew_timing``: None (every member
    starts together) or a ``CrewSequence`` (members one after the other within a gap).
    ``members()`` gives the crew of any visit (``engineers_required`` identical members
    without one).
    """

    id: str
    location: str
    duration: int
    kind: VisitKind = VisitKind.HOME_SERVICE
    time_windows: tuple[TimeWindow, ...] = ()
    soft_windows: bool = False
    lateness_cost: int = 1
    required_skills: frozenset[str] = frozenset()
    priority: int = 3
    allowed_engineers: frozenset[str] = frozenset()
    preferred_engineers: frozenset[str] = frozenset()
    engineers_required: int = 1
    load: int = 0
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    previous: Previous | None = None
    crew: tuple[CrewMember, ...] = ()
    crew_timing: CrewSequence | None = None

    def __post_init__(self) -> None:
        what = f"visit {self.id!r}"
        if not self.id:
            raise ProblemError("visit", "id", self.id, "must be a non-empty string")
        if self.crew:
            if self.engineers_required not in (1, len(self.crew)):
                raise ProblemError(
                    what,
                    "engineers_required",
                    self.engineers_required,
                    "is given with crew; crew alone says how many engineers",
                )
            for i, m in enumerate(self.crew):
                if not 0 < m.duration <= MAX_DURATION:
                    raise ProblemError(
                        what,
                        f"crew[{i}].duration",
                        m.duration,
                        f"must be > 0 and at most {MAX_DURATION} seconds",
                    )
            object.__setattr__(self, "engineers_required", len(self.crew))
            object.__setattr__(self, "duration", max(m.duration for m in self.crew))
            common = frozenset.intersection(*(m.skills for m in self.crew))
            object.__setattr__(self, "required_skills", common)
        if self.crew_timing is not None and self.engineers_required < 2:
            raise ProblemError(
                what, "crew_timing", "sequence", "needs a crew of at least 2 members"
            )
        if self.duration < 0:
            raise ProblemError(what, "duration", self.duration, "must be >= 0 seconds")
        if not 1 <= self.priority <= 5:
            raise ProblemError(what, "priority", self.priority, "must be 1 (most urgent) .. 5")
        if self.engineers_required < 1:
            raise ProblemError(what, "engineers_required", self.engineers_required, "must be >= 1")
        if self.kind is VisitKind.HOME_SERVICE and self.engineers_required != 1 and not self.crew:
            raise ProblemError(
                what,
                "engineers_required",
                self.engineers_required,
                "must be 1 for a home_service visit; use kind community_event for a team",
            )
        if self.kind is VisitKind.COMMUNITY_EVENT and self.duration <= 0:
            raise ProblemError(what, "duration", self.duration, "an event must last > 0 seconds")
        if self.lateness_cost < 0:
            raise ProblemError(what, "lateness_cost", self.lateness_cost, "must be >= 0")
        if self.load < 0:
            raise ProblemError(what, "load", self.load, "must be >= 0")
        if self.previous is not None and not self.previous.engineers:
            raise ProblemError(
                what, "previous.engineers", [], "must name the engineers it was planned for"
            )
        ordered = sorted(self.time_windows, key=lambda w: w.start)
        for a, b in itertools.pairwise(ordered):
            if b.start <= a.end:
                raise ProblemError(
                    what, "time_windows", [(w.start, w.end) for w in ordered], "must not overlap"
                )
        object.__setattr__(self, "time_windows", tuple(ordered))

    @property
    def is_event(self) -> bool:
        return self.kind is VisitKind.COMMUNITY_EVENT

    @property
    def is_team(self) -> bool:
        """Whether several engineers serve it (an event or a crew of 2 or more)."""
        return self.engineers_required > 1 or self.is_event

    def members(self) -> tuple[CrewMember, ...]:
        """The crew: one member per engineer needed, in crew order."""
        if self.crew:
            return self.crew
        return (CrewMember(self.required_skills, self.duration),) * self.engineers_required

    def start_allowed(self, t: int) -> bool:
        """Whether service may start at ``t`` (soft windows allow any time after the last)."""
        if not self.time_windows:
            return True
        if any(w.contains(t) for w in self.time_windows):
            return True
        return self.soft_windows and t > self.time_windows[-1].end

    def lateness(self, t: int) -> int:
        """Seconds after the last window's end (0 when inside a window or without windows)."""
        if not self.time_windows:
            return 0
        return max(0, t - self.time_windows[-1].end)

    def earliest_start_from(self, t: int) -> int | None:
        """Earliest allowed service start at or after ``t``; None when no window remains."""
        if not self.time_windows:
            return t
        for w in self.time_windows:
            if t <= w.end:
                return max(t, w.start)
        return t if self.soft_windows else None


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective weights in cost units; one unit is one second of driving.

    Per-second weights apply to seconds of overtime / of a working day; per-visit weights to
    each visit served by a non-preferred engineer; ``drop_base`` is the penalty for leaving a
    priority-5 visit out, each more urgent level is worth more than every less urgent visit
    together (see ``scheduler.objective``). The churn weights price a re-plan's changes to
    the plan it replaces (0 by default: a first plan has none).
    """

    travel_per_second: int = 1
    overtime_per_second: int = 2
    fixed_per_engineer: int = 0
    non_preferred_engineer: int = 900
    balance_per_second: int = 0
    drop_base: int = 36_000
    # Re-planning (visits with ``previous``): per visit served by another engineer; per second
    # a start moves later than ``move_tolerance`` seconds after its previous start; per start
    # after the window the customer was told; per visit planned before and left out now.
    reassign: int = 0
    move_per_second: int = 0
    move_tolerance: int = 900
    broken_promise: int = 0
    drop_planned: int = 0
    # The largest lateness of any stop of the plan, priced once per second.
    max_lateness_per_second: int = 0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value < 0:
                raise ProblemError("options.weights", name, value, "must be >= 0")
        if self.drop_base <= 0:
            raise ProblemError("options.weights", "drop_base", self.drop_base, "must be > 0")


Engine = Literal["compiled", "ortools"]
ENGINES: tuple[Engine, ...] = ("compiled", "ortools")


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Tuning of the searches, not of the problem (defaults: the measured choices of
    docs/benchmarks.md).

    ``seed`` seeds every random choice; ``iterations`` gives the compiled search a budget of
    ruin-and-recreate iterations instead of the time limit, which makes its plans repeatable
    whatever the machine's load.

    The compiled search removes about ``removals`` visits per iteration in strings of at most
    ``max_string``, among the ``neighbours`` nearest of a random visit; a visit is first
    tried in the routes of its ``granular`` nearest visits; the temperature falls from
    ``start_temperature`` to ``end_temperature`` times the average drive between stops.
    Days above ``SolveOptions.decompose_above`` visits get a whole-day plan
    (``first_share`` of the budget), then rounds that regroup the routes into one group per
    worker, each searched for ``round_seconds`` (or ``round_iterations``).

    The OR-Tools search plans territories of about ``territory_size`` visits, then improves
    groups of about ``group_size`` served visits in rounds (also a whole day of more than
    ``rounds_above`` visits), with at most ``idle_per_group`` idle engineers per group and a
    left-out visit sent to its least busy engineer's group with probability ``least_busy``;
    its left-out insertion pass tries ``nearest_engineers`` engineers first and may take out
    ``take_out_max`` less urgent visits for one.
    """

    seed: int = 0
    iterations: int | None = None
    removals: float = 10.0
    max_string: int = 10
    neighbours: int = 100
    granular: int = 40
    start_temperature: float = 1.5
    end_temperature: float = 0.01
    first_share: float = 0.05
    round_seconds: float = 10.0
    round_iterations: int = 20_000
    territory_size: int = 250
    group_size: int = 100
    rounds_above: int = 200
    idle_per_group: int = 3
    least_busy: float = 0.5
    nearest_engineers: int = 12
    take_out_max: int = 3

    def __post_init__(self) -> None:
        where = "options.params"
        if self.iterations is not None and self.iterations < 1:
            raise ProblemError(where, "iterations", self.iterations, "must be >= 1 (or absent)")
        for name in (
            "max_string",
            "neighbours",
            "granular",
            "round_iterations",
            "territory_size",
            "group_size",
            "nearest_engineers",
        ):
            if getattr(self, name) < 1:
                raise ProblemError(where, name, getattr(self, name), "must be >= 1")
        for name in ("rounds_above", "idle_per_group", "take_out_max"):
            if getattr(self, name) < 0:
                raise ProblemError(where, name, getattr(self, name), "must be >= 0")
        for name in ("removals", "start_temperature", "round_seconds"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ProblemError(where, name, value, "must be a number > 0")
        if not (math.isfinite(self.end_temperature) and self.end_temperature > 0):
            raise ProblemError(where, "end_temperature", self.end_temperature, "must be > 0")
        for name in ("first_share", "least_busy"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 1):
                raise ProblemError(where, name, value, "must be in [0, 1]")


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """How to search.

    ``engine``: ``"compiled"`` (the compiled ruin-and-recreate search, every rule) or
    ``"ortools"`` (OR-Tools' routing search, kept as an option and as a test oracle).
    ``time_limit`` seconds (screening included). A repeatable plan: ``solution_limit`` (the
    OR-Tools search stops after that many solutions; the compiled search runs that many
    iterations) or ``params.iterations``; either replaces the clock. Above
    ``decompose_above`` visits a day is planned in parts side by side (None: never);
    ``workers`` is the most processes one solve may run at once (1: everything in the
    calling process). ``params`` tunes the searches.
    """

    time_limit: float = 10.0
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    weights: Weights = field(default_factory=Weights)
    event_subsets_max: int = 3
    decompose_above: int | None = 400
    workers: int = 2
    engine: Engine = "compiled"
    params: SearchParams = field(default_factory=SearchParams)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ProblemError("options", "workers", self.workers, "must be >= 1 process")
        if not (self.time_limit > 0 and math.isfinite(self.time_limit)):
            raise ProblemError("options", "time_limit", self.time_limit, "must be > 0 seconds")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ProblemError("options", "solution_limit", self.solution_limit, "must be >= 1")
        if self.engine not in ENGINES:
            raise ProblemError("options", "engine", self.engine, f"must be one of {list(ENGINES)}")
        if self.decompose_above is not None and self.decompose_above < 1:
            raise ProblemError(
                "options", "decompose_above", self.decompose_above, "must be >= 1 (or absent)"
            )

    @property
    def repeatable(self) -> bool:
        """Whether the search runs on a work budget (repeatable) rather than the clock."""
        return self.solution_limit is not None or self.params.iterations is not None


@dataclass(frozen=True, slots=True)
class Problem:
    """One day's work for a set of engineers. Cross-references are checked on construction."""

    date: dt.date
    locations: tuple[Location, ...]
    engineers: tuple[Engineer, ...]
    visits: tuple[Visit, ...]
    travel_time_matrix: tuple[tuple[int, ...], ...] | None = None
    service_centers: tuple[ServiceCenter, ...] = ()
    timezone: str | None = None
    options: SolveOptions = field(default_factory=SolveOptions)

    def __post_init__(self) -> None:
        for kind, ids in (
            ("location", [x.id for x in self.locations]),
            ("engineer", [x.id for x in self.engineers]),
            ("visit", [x.id for x in self.visits]),
            ("service centre", [x.id for x in self.service_centers]),
        ):
            dups = _duplicates(ids)
            if dups:
                raise ProblemError(f"{kind}s", "id", dups[0], f"is used by more than one {kind}")
        if not self.locations:
            raise ProblemError("problem", "locations", [], "must list at least one location")
        loc_ids = {x.id for x in self.locations}
        eng_ids = {x.id for x in self.engineers}
        home_ids = {x.id for x in self.visits if not x.is_event}
        centre_ids = {x.id for x in self.service_centers}
        for c in self.service_centers:
            if c.location not in loc_ids:
                raise ProblemError(
                    f"service centre {c.id!r}", "location", c.location, "is not a known location id"
                )
        for e in self.engineers:
            for f in ("start_location", "end_location"):
                if getattr(e, f) not in loc_ids:
                    raise ProblemError(
                        f"engineer {e.id!r}", f, getattr(e, f), "is not a known location id"
                    )
            if e.next_visit is not None and e.next_visit not in home_ids:
                raise ProblemError(
                    f"engineer {e.id!r}",
                    "next_visit",
                    e.next_visit,
                    "is not a known home-service visit id",
                )
            if e.service_center is not None and e.service_center not in centre_ids:
                raise ProblemError(
                    f"engineer {e.id!r}",
                    "service_center",
                    e.service_center,
                    "is not a known service centre id",
                )
        for v in self.visits:
            what = f"visit {v.id!r}"
            if v.location not in loc_ids:
                raise ProblemError(what, "location", v.location, "is not a known location id")
            for f in ("allowed_engineers", "preferred_engineers"):
                unknown = sorted(set(getattr(v, f)) - eng_ids)
                if unknown:
                    raise ProblemError(what, f, unknown[0], "is not a known engineer id")
            for i, m in enumerate(v.members() if v.crew else ()):
                if not any(m.skills <= e.skills for e in self.engineers):
                    missing = sorted(
                        m.skills - frozenset().union(*(e.skills for e in self.engineers))
                    )
                    raise ProblemError(
                        what,
                        f"crew[{i}].skills",
                        sorted(m.skills),
                        "no engineer holds all of them"
                        + (f" (nobody holds {', '.join(missing)})" if missing else ""),
                    )
            if v.engineers_required > len(self.engineers):
                raise ProblemError(
                    what,
                    "crew" if v.crew else "engineers_required",
                    f"{v.engineers_required} members" if v.crew else v.engineers_required,
                    f"is more than the {len(self.engineers)} engineers in the problem",
                )
            if v.allowed_engineers and v.engineers_required > len(v.allowed_engineers):
                raise ProblemError(
                    what,
                    "engineers_required",
                    v.engineers_required,
                    f"is more than its {len(v.allowed_engineers)} allowed engineers",
                )
        if self.travel_time_matrix is not None:
            n = len(self.locations)
            if len(self.travel_time_matrix) != n:
                raise ProblemError(
                    "problem",
                    "travel_time_matrix",
                    f"{len(self.travel_time_matrix)} rows",
                    f"must have one row per location ({n})",
                )
            for i, row in enumerate(self.travel_time_matrix):
                if len(row) != n:
                    raise ProblemError(
                        "problem",
                        f"travel_time_matrix[{i}]",
                        f"{len(row)} columns",
                        f"must have one column per location ({n})",
                    )
                for j, t in enumerate(row):
                    if t < 0:
                        raise ProblemError(
                            "problem", f"travel_time_matrix[{i}][{j}]", t, "must be >= 0 seconds"
                        )

    def location_index(self) -> dict[str, int]:
        """Row/column of each location id in any travel-time matrix of this problem."""
        return {loc.id: i for i, loc in enumerate(self.locations)}

    def engineer(self, engineer_id: str) -> Engineer:
        for e in self.engineers:
            if e.id == engineer_id:
                return e
        raise KeyError(engineer_id)

    def visit(self, visit_id: str) -> Visit:
        for v in self.visits:
            if v.id == visit_id:
                return v
        raise KeyError(visit_id)

    def qualified_engineers(self, visit: Visit, member: int | None = None) -> tuple[Engineer, ...]:
        """Engineers holding every required skill (of crew ``member`` when given; of every
        member otherwise), allowed to serve ``visit`` and able to carry its load."""
        skills = visit.required_skills if member is None else visit.members()[member].skills
        return tuple(
            e
            for e in self.engineers
            if skills <= e.skills
            and (not visit.allowed_engineers or e.id in visit.allowed_engineers)
            and (e.load_capacity is None or visit.load <= e.load_capacity)
        )


@dataclass(frozen=True, slots=True)
class Stop:
    """An engineer at a visit: ``arrival`` on site, service ``start`` and ``end`` (seconds);
    ``crew_member``: which member of the visit's crew (0-based, crew order)."""

    visit_id: str
    arrival: int
    start: int
    end: int
    crew_member: int = 0


@dataclass(frozen=True, slots=True)
class BreakTaken:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Route:
    """One engineer's day: leaves ``departure``, serves ``stops`` in order, back at ``return_``."""

    engineer_id: str
    departure: int
    return_: int
    stops: tuple[Stop, ...]
    breaks: tuple[BreakTaken, ...] = ()


@dataclass(frozen=True, slots=True)
class Unassigned:
    visit_id: str
    reason: Reason
    message: str
    closest_engineer: str | None = None
    shortfall: int | None = None


@dataclass(frozen=True, slots=True)
class SolverStats:
    """How the search went: wall time in seconds, objective in cost units (exact, drop
    penalties included: see ``scheduler.objective``), the engine, and the OR-Tools searches
    (``solves``) or compiled-search iterations it ran."""

    status: str
    wall_time: float
    objective: int | None
    first_solution: str
    metaheuristic: str
    events_held: tuple[str, ...] = ()
    solves: int = 0
    engine: Engine = "compiled"
    iterations: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """The solver's answer: one route per engineer (possibly empty) and explained drops."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    stats: SolverStats | None = None

    def route_of(self, engineer_id: str) -> Route | None:
        for r in self.routes:
            if r.engineer_id == engineer_id:
                return r
        return None
