"""The problem file: pydantic models of the JSON a ``fieldroute solve`` reads, and the explicit
mapping between them and the frozen domain (``problem_from_json``, ``load_problem``,
``problem_to_json``).

The models reject unknown fields and wrong JSON types; their JSON Schema is committed under
``schemas/`` (:mod:`scheduler.formats.schemas`). Validated models are then mapped explicitly
onto the domain dataclasses.

Units. Clock times in files are ``"HH:MM"`` / ``"HH:MM:SS"`` on the problem's ``date``
(``"24:00"`` is the end of that day) or ISO 8601 date-times: naive ones are in the problem's
timezone, ones with an offset are converted into it; without a timezone every offset must be
the same (:mod:`scheduler.formats.clock`). Inside the domain a time is integer seconds since
local midnight of ``date``, computed as a difference of aware instants, so it is right across
DST changes. Durations in files are minutes (fractions allowed, rounded to whole seconds);
``*_s`` fields are seconds.

Every bad input raises :class:`~scheduler.errors.InputFormatError` whose message has one line
per fault, naming the object, the field and the value, e.g.
``visits[3] (id 'v4').duration_min = -5: must be >= 0``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from pydantic import ConfigDict, Field

from scheduler.domain import (
    Break,
    CrewMember,
    CrewSequence,
    Engineer,
    Location,
    Previous,
    Problem,
    SearchParams,
    ServiceCenter,
    SolveOptions,
    TimeWindow,
    Visit,
    VisitKind,
    Weights,
)
from scheduler.errors import InputFormatError, ProblemError
from scheduler.formats.boundary import (
    ClockTime,
    DateText,
    EntityId,
    Id,
    StrictModel,
    TimezoneName,
    plain_number,
    short_repr,
    validate_json,
)
from scheduler.formats.clock import (
    DayClock,
    clock_for,
    minutes_to_seconds,
    seconds_to_minutes,
    zone,
)

__all__ = [
    "EngineerFile",
    "OptionsFile",
    "ProblemFile",
    "ServiceCenterFile",
    "VisitFile",
    "WeightsFile",
    "load_problem",
    "problem_from_json",
    "problem_to_json",
]

T = TypeVar("T")

_DEFAULT_WEIGHTS = Weights()
_DEFAULT_OPTIONS = SolveOptions()

MAX_MINUTES = 1_000_000  # about two years: keeps seconds far inside int64
MAX_TRAVEL_S = 1_000_000_000
Minutes = Annotated[float, Field(ge=0, le=MAX_MINUTES, description="Minutes (fractions allowed).")]


# --------------------------------------------------------------------------------------------
# Boundary models
# --------------------------------------------------------------------------------------------


class LocationFile(StrictModel):
    """A point on the map (WGS84 degrees)."""

    id: Id
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")


class ServiceCenterFile(StrictModel):
    """A service centre engineers leave from and return to."""

    id: EntityId
    name: str = ""
    location: Id = Field(description="A location id.")


class BreakFile(StrictModel):
    """A break of ``duration_min`` minutes taken wholly inside [earliest_start, latest_end]."""

    duration_min: float = Field(gt=0, le=MAX_MINUTES, description="Minutes.")
    earliest_start: ClockTime
    latest_end: ClockTime


class EngineerFile(StrictModel):
    """A field engineer's day."""

    id: EntityId
    name: str = ""
    start_location: Id = Field(description="A location id.")
    end_location: Id | None = Field(
        default=None, description="A location id; defaults to start_location."
    )
    shift_start: ClockTime
    shift_end: ClockTime
    breaks: list[BreakFile] = Field(default_factory=list)
    skills: list[EntityId] = Field(default_factory=list)
    overtime_max_min: Minutes = Field(
        default=0, description="Minutes the route may end after shift_end, at overtime cost."
    )
    service_center: EntityId | None = Field(default=None, description="A service centre id.")
    load_capacity: int | None = Field(
        default=None,
        ge=0,
        le=10**12,
        description="Most total visit load served in the day (parts in the van, jobs per "
        "day); absent = no limit.",
    )
    max_route_duration_min: float | None = Field(
        default=None,
        gt=0,
        le=MAX_MINUTES,
        description="Most minutes from leaving to returning; absent = only the shift limits it.",
    )
    next_visit: EntityId | None = Field(
        default=None,
        description="Re-planning: the visit the engineer is driving to; it stays their first stop.",
    )


class TimeWindowFile(StrictModel):
    """Service may start at any time in [start, end] (both included)."""

    start: ClockTime
    end: ClockTime


class PreviousFile(StrictModel):
    """Re-planning: where the visit stood in the plan being replaced."""

    engineers: list[EntityId] = Field(min_length=1, description="Engineer ids.")
    start: ClockTime
    promise: TimeWindowFile | None = Field(
        default=None, description="The window the customer was told."
    )


class CrewMemberFile(StrictModel):
    """One engineer of a crew: the skills that engineer must hold and the minutes on site."""

    skills: list[Id] = Field(default_factory=list)
    duration_min: float = Field(
        gt=0, le=24 * 60, description="Minutes on site (more than 0, at most 24 hours)."
    )


class GapFile(StrictModel):
    min_gap_min: float = Field(ge=0, le=MAX_MINUTES, description="Minutes.")
    max_gap_min: float = Field(ge=0, le=MAX_MINUTES, description="Minutes.")


class SequenceFile(StrictModel):
    """Members one after the other: member i+1 starts between min_gap_min and max_gap_min
    minutes after member i starts."""

    sequence: GapFile


class VisitFile(StrictModel):
    """A home-service visit or a community event (``engineers_required`` engineers), or a
    visit served by a ``crew`` of engineers with their own skills and durations."""

    id: EntityId
    kind: Literal["home_service", "community_event"] = "home_service"
    location: Id = Field(description="A location id.")
    duration_min: Minutes | None = Field(
        default=None, description="Minutes on site; required unless crew is given."
    )
    crew: list[CrewMemberFile] | None = Field(
        default=None,
        description="One entry per engineer needed (its skills and minutes on site); takes "
        "the place of engineers_required, required_skills and duration_min.",
    )
    crew_timing: Literal["together"] | SequenceFile = Field(
        default="together",
        description="'together': every member starts at one moment; {'sequence': {min_gap_min, "
        "max_gap_min}}: each member starts within that gap after the one before (crew order).",
    )
    time_windows: list[TimeWindowFile] = Field(
        default_factory=list, description="Windows for the start of service; none = any time."
    )
    soft_windows: bool = Field(
        default=False, description="Allow starting after the last window, at a lateness cost."
    )
    lateness_cost_per_hour: int = Field(
        default=3600,
        ge=0,
        multiple_of=3600,
        description="Cost units per hour late with soft windows; whole units per second, so "
        "a multiple of 3600 (3600 = 1 unit per second, as much as a second of driving).",
    )
    required_skills: list[EntityId] = Field(default_factory=list)
    priority: int = Field(default=3, ge=1, le=5, description="1 is most urgent, 5 least.")
    allowed_engineers: list[EntityId] = Field(
        default_factory=list, description="Engineer ids; empty = anyone qualified."
    )
    preferred_engineers: list[EntityId] = Field(default_factory=list, description="Engineer ids.")
    engineers_required: int = Field(default=1, ge=1)
    load: int = Field(
        default=0,
        ge=0,
        le=10**12,
        description="Counts against the serving engineer's load_capacity (each engineer of an "
        "event carries it).",
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Free data for people: job type, customer, address, phone...",
    )
    previous: PreviousFile | None = None


class WeightsFile(StrictModel):
    """Objective weights in cost units; one unit is one second of driving."""

    travel_per_second: int = Field(default=_DEFAULT_WEIGHTS.travel_per_second, ge=0)
    overtime_per_second: int = Field(default=_DEFAULT_WEIGHTS.overtime_per_second, ge=0)
    fixed_per_engineer: int = Field(default=_DEFAULT_WEIGHTS.fixed_per_engineer, ge=0)
    non_preferred_engineer: int = Field(default=_DEFAULT_WEIGHTS.non_preferred_engineer, ge=0)
    balance_per_second: int = Field(default=_DEFAULT_WEIGHTS.balance_per_second, ge=0)
    drop_base: int = Field(default=_DEFAULT_WEIGHTS.drop_base, gt=0)
    reassign: int = Field(
        default=_DEFAULT_WEIGHTS.reassign,
        ge=0,
        description="Re-planning: per visit moved to another engineer.",
    )
    move_per_second: int = Field(
        default=_DEFAULT_WEIGHTS.move_per_second,
        ge=0,
        description="Re-planning: per second "
        "a start moves later than move_tolerance after its previous start.",
    )
    move_tolerance: int = Field(
        default=_DEFAULT_WEIGHTS.move_tolerance, ge=0, description="Seconds."
    )
    broken_promise: int = Field(
        default=_DEFAULT_WEIGHTS.broken_promise,
        ge=0,
        description="Re-planning: per start after the window the customer was told.",
    )
    drop_planned: int = Field(
        default=_DEFAULT_WEIGHTS.drop_planned,
        ge=0,
        description="Re-planning: per visit planned before and left out now.",
    )
    max_lateness_per_second: int = Field(
        default=_DEFAULT_WEIGHTS.max_lateness_per_second,
        ge=0,
        description="Per second of the largest lateness of any stop in the plan, priced once.",
    )


class OptionsFile(StrictModel):
    """How to search."""

    time_limit_s: float = Field(default=_DEFAULT_OPTIONS.time_limit, gt=0, description="Seconds.")
    solution_limit: int | None = Field(default=_DEFAULT_OPTIONS.solution_limit, ge=1)
    first_solution: str = _DEFAULT_OPTIONS.first_solution
    metaheuristic: str = _DEFAULT_OPTIONS.metaheuristic
    event_subsets_max: int = Field(default=_DEFAULT_OPTIONS.event_subsets_max, ge=1)
    weights: WeightsFile = Field(default_factory=WeightsFile)
    engine: Literal["compiled", "ortools"] = Field(
        default=_DEFAULT_OPTIONS.engine,
        description="'compiled': the compiled ruin-and-recreate search (every rule); "
        "'ortools': OR-Tools' routing search.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seeds the search.")
    decompose_above: int | None = Field(
        default=_DEFAULT_OPTIONS.decompose_above,
        ge=1,
        description="Above this many visits a day is planned in parts side by side (null: never).",
    )
    iterations: int | None = Field(
        default=None,
        ge=1,
        le=10**9,
        description="Iterations of the compiled search instead of the time limit: the same "
        "plan every time.",
    )


class ProblemFile(StrictModel):
    """One day's work for a set of engineers: the fieldroute problem file."""

    model_config = ConfigDict(title="fieldroute problem file")

    schema_ref: str | None = Field(
        default=None, alias="$schema", description="Optional link to this schema, for editors."
    )
    date: DateText
    timezone: TimezoneName | None = None
    locations: list[LocationFile] = Field(min_length=1)
    travel_time_matrix: list[list[Annotated[int, Field(ge=0, le=MAX_TRAVEL_S)]]] | None = Field(
        default=None,
        description="Driving seconds, rows and columns in `locations` order; "
        "when absent a straight-line estimate is used.",
    )
    service_centers: list[ServiceCenterFile] = Field(default_factory=list)
    engineers: list[EngineerFile]
    visits: list[VisitFile]
    options: OptionsFile = Field(default_factory=OptionsFile)


# --------------------------------------------------------------------------------------------
# Problem file -> domain
# --------------------------------------------------------------------------------------------


class _Mapper:
    """Maps a validated ``ProblemFile`` onto the domain, collecting every fault found."""

    def __init__(self, clock: DayClock) -> None:
        self.clock = clock
        self.errors: list[str] = []

    def seconds(self, label: str, field: str, text: str) -> int | None:
        try:
            return self.clock.seconds(text, f"{label}.{field}")
        except ValueError as e:
            self.errors.append(f"{label}.{field} = {text!r}: {e}")
            return None

    def build(
        self,
        label: str,
        factory: Callable[[], T],
        fields: dict[str, tuple[str, object]] | None = None,
    ) -> T | None:
        """``factory()``, or None with the domain's complaint recorded against ``label``.

        ``fields`` maps a domain field to the file's field name and value, so the message
        speaks in the file's terms (``duration_min = 0`` rather than ``duration = 0``).
        """
        try:
            return factory()
        except ProblemError as e:
            name, value = (fields or {}).get(e.field, (e.field, e.value))
            self.errors.append(f"{label}.{name} = {short_repr(plain_number(value))}: {e.expected}")
            return None

    def location(self, label: str, x: LocationFile) -> Location | None:
        return self.build(label, lambda: Location(x.id, x.lat, x.lon))

    def window(self, label: str, w: TimeWindowFile) -> TimeWindow | None:
        start = self.seconds(label, "start", w.start)
        end = self.seconds(label, "end", w.end)
        if start is None or end is None:
            return None
        if end < start:
            self.errors.append(f"{label}.end = {w.end!r}: must not be before its start {w.start!r}")
            return None
        return self.build(label, lambda: TimeWindow(start, end))

    def break_(self, label: str, b: BreakFile) -> Break | None:
        lo = self.seconds(label, "earliest_start", b.earliest_start)
        hi = self.seconds(label, "latest_end", b.latest_end)
        duration = minutes_to_seconds(b.duration_min)
        if lo is None or hi is None:
            return None
        if hi - lo < duration:
            self.errors.append(
                f"{label}.latest_end = {b.latest_end!r}: leaves less than the break's "
                f"{b.duration_min:g} min after earliest_start {b.earliest_start!r}"
            )
            return None
        return self.build(
            label,
            lambda: Break(duration, lo, hi),
            {"duration": ("duration_min", b.duration_min)},
        )

    def engineer(self, label: str, e: EngineerFile) -> Engineer | None:
        start = self.seconds(label, "shift_start", e.shift_start)
        end = self.seconds(label, "shift_end", e.shift_end)
        breaks = [self.break_(f"{label}.breaks[{i}]", b) for i, b in enumerate(e.breaks)]
        if start is None or end is None:
            return None
        if end <= start:
            self.errors.append(
                f"{label}.shift_end = {e.shift_end!r}: must be after shift_start {e.shift_start!r}"
            )
            return None
        if any(b is None for b in breaks):
            return None
        return self.build(
            label,
            lambda: Engineer(
                id=e.id,
                name=e.name,
                start_location=e.start_location,
                end_location=e.end_location if e.end_location is not None else e.start_location,
                shift_start=start,
                shift_end=end,
                breaks=tuple(b for b in breaks if b is not None),
                skills=frozenset(e.skills),
                overtime_max=minutes_to_seconds(e.overtime_max_min),
                service_center=e.service_center,
                load_capacity=e.load_capacity,
                max_route_duration=None
                if e.max_route_duration_min is None
                else minutes_to_seconds(e.max_route_duration_min),
                next_visit=e.next_visit,
            ),
            {
                "overtime_max": ("overtime_max_min", e.overtime_max_min),
                "max_route_duration": ("max_route_duration_min", e.max_route_duration_min),
            },
        )

    def crew(
        self, label: str, v: VisitFile
    ) -> tuple[tuple[CrewMember, ...], CrewSequence | None] | None:
        """The crew and its timing, or None with every fault recorded against ``label``."""
        if v.crew is None:
            if v.duration_min is None:
                self.errors.append(
                    f"{label}.duration_min = None: must be a number (or give a crew)"
                )
                return None
            if v.crew_timing != "together" and v.engineers_required < 2:
                self.errors.append(
                    f"{label}.crew_timing: a sequence needs a crew or engineers_required >= 2"
                )
                return None
            return (), self.sequence(label, v)
        both = sorted(
            f for f in ("engineers_required", "required_skills", "duration_min")
            if f in v.model_fields_set
        )  # fmt: skip
        if both:
            self.errors.append(
                f"{label}: crew is given together with {', '.join(both)}; give one form "
                "(crew takes the place of engineers_required, required_skills and duration_min)"
            )
            return None
        if not v.crew:
            self.errors.append(f"{label}.crew = []: must list at least one member")
            return None
        members = tuple(
            CrewMember(frozenset(m.skills), minutes_to_seconds(m.duration_min)) for m in v.crew
        )
        return members, self.sequence(label, v)

    def sequence(self, label: str, v: VisitFile) -> CrewSequence | None:
        if not isinstance(v.crew_timing, SequenceFile):
            return None
        gap = v.crew_timing.sequence
        if gap.max_gap_min < gap.min_gap_min:
            self.errors.append(
                f"{label}.crew_timing.sequence.max_gap_min = {plain_number(gap.max_gap_min)}: "
                f"must not be less than min_gap_min {plain_number(gap.min_gap_min)}"
            )
            return None
        return CrewSequence(
            minutes_to_seconds(gap.min_gap_min), minutes_to_seconds(gap.max_gap_min)
        )

    def visit(self, label: str, v: VisitFile) -> Visit | None:
        staffing = self.crew(label, v)
        if staffing is None or (isinstance(v.crew_timing, SequenceFile) and staffing[1] is None):
            return None
        crew, timing = staffing
        windows = [
            self.window(f"{label}.time_windows[{i}]", w) for i, w in enumerate(v.time_windows)
        ]
        if any(w is None for w in windows):
            return None
        previous = None
        if v.previous is not None:
            start = self.seconds(f"{label}.previous", "start", v.previous.start)
            promise = (
                self.window(f"{label}.previous.promise", v.previous.promise)
                if v.previous.promise is not None
                else None
            )
            if start is None or (v.previous.promise is not None and promise is None):
                return None
            previous = Previous(frozenset(v.previous.engineers), start, promise)
        return self.build(
            label,
            lambda: Visit(
                id=v.id,
                location=v.location,
                duration=minutes_to_seconds(v.duration_min or 0),
                kind=VisitKind(v.kind),
                time_windows=tuple(w for w in windows if w is not None),
                soft_windows=v.soft_windows,
                lateness_cost=v.lateness_cost_per_hour // 3600,
                required_skills=frozenset(v.required_skills),
                priority=v.priority,
                allowed_engineers=frozenset(v.allowed_engineers),
                preferred_engineers=frozenset(v.preferred_engineers),
                engineers_required=v.engineers_required,
                load=v.load,
                details=dict(v.details),
                previous=previous,
                crew=crew,
                crew_timing=timing,
            ),
            {
                "duration": ("duration_min", v.duration_min),
                "time_windows": ("time_windows", [w.model_dump() for w in v.time_windows]),
                "lateness_cost": ("lateness_cost_per_hour", v.lateness_cost_per_hour),
            },
        )

    def options(self, o: OptionsFile) -> SolveOptions | None:
        w = o.weights
        weights = self.build(
            "options.weights",
            lambda: Weights(
                travel_per_second=w.travel_per_second,
                overtime_per_second=w.overtime_per_second,
                fixed_per_engineer=w.fixed_per_engineer,
                non_preferred_engineer=w.non_preferred_engineer,
                balance_per_second=w.balance_per_second,
                drop_base=w.drop_base,
                reassign=w.reassign,
                move_per_second=w.move_per_second,
                move_tolerance=w.move_tolerance,
                broken_promise=w.broken_promise,
                drop_planned=w.drop_planned,
                max_lateness_per_second=w.max_lateness_per_second,
            ),
        )
        if weights is None:
            return None
        return self.build(
            "options",
            lambda: SolveOptions(
                time_limit=o.time_limit_s,
                solution_limit=o.solution_limit,
                first_solution=o.first_solution,
                metaheuristic=o.metaheuristic,
                weights=weights,
                event_subsets_max=o.event_subsets_max,
                engine=o.engine,
                decompose_above=o.decompose_above,
                params=SearchParams(seed=o.seed, iterations=o.iterations),
            ),
            {"time_limit": ("time_limit_s", o.time_limit_s)},
        )


def _locate_problem_error(e: ProblemError, f: ProblemFile) -> str:
    """The domain's cross-reference complaint, pointed at the object in the file."""
    lists: dict[str, tuple[str, Sequence[Any]]] = {
        "location": ("locations", f.locations),
        "engineer": ("engineers", f.engineers),
        "visit": ("visits", f.visits),
        "service centre": ("service_centers", f.service_centers),
    }
    for kind, (key, items) in lists.items():
        ids = [x.id for x in items]
        if e.obj == f"{kind}s" and e.field == "id" and ids.count(e.value) > 1:
            first, second = [i for i, x in enumerate(ids) if x == e.value][:2]
            return (
                f"{key}[{second}] (id {e.value!r}).id = {e.value!r}: {e.expected} "
                f"(also {key}[{first}])"
            )
        for i, x in enumerate(ids):
            if e.obj == f"{kind} {x!r}":
                return f"{key}[{i}] (id {x!r}).{e.field} = {short_repr(e.value)}: {e.expected}"
    if e.obj == "problem":
        return f"{e.field} = {short_repr(e.value)}: {e.expected}"
    return str(e)


def _problem_from_file(f: ProblemFile) -> Problem:
    date = dt.date.fromisoformat(f.date)
    tz = zone(f.timezone) if f.timezone is not None else None
    m = _Mapper(DayClock(date, tz))
    locations = [m.location(f"locations[{i}] (id {x.id!r})", x) for i, x in enumerate(f.locations)]
    engineers = [m.engineer(f"engineers[{i}] (id {e.id!r})", e) for i, e in enumerate(f.engineers)]
    visits = [m.visit(f"visits[{i}] (id {v.id!r})", v) for i, v in enumerate(f.visits)]
    options = m.options(f.options)
    if m.errors:
        raise InputFormatError("\n".join(m.errors))
    try:
        return Problem(
            date=date,
            locations=tuple(x for x in locations if x is not None),
            engineers=tuple(e for e in engineers if e is not None),
            visits=tuple(v for v in visits if v is not None),
            travel_time_matrix=(
                tuple(tuple(row) for row in f.travel_time_matrix)
                if f.travel_time_matrix is not None
                else None
            ),
            service_centers=tuple(
                ServiceCenter(c.id, c.name, c.location) for c in f.service_centers
            ),
            timezone=f.timezone,
            options=options if options is not None else SolveOptions(),
        )
    except ProblemError as e:
        raise InputFormatError(_locate_problem_error(e, f)) from e


def problem_from_json(text: str) -> Problem:
    """Parse a problem file's text into a validated :class:`Problem`.

    Raises
    ------
    InputFormatError
        For any fault (malformed JSON, unknown or misspelled field, wrong type, bad value,
        broken cross-reference), one line per fault naming object, field and value.
    """
    model, _ = validate_json(ProblemFile, text)
    return _problem_from_file(model)


def load_problem(path: str | os.PathLike[str]) -> Problem:
    """Read and parse a problem file (UTF-8 JSON); errors are prefixed with the path."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise InputFormatError(f"{os.fspath(path)}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputFormatError(f"{os.fspath(path)}: not UTF-8 text ({e.reason})") from None
    try:
        return problem_from_json(text)
    except InputFormatError as e:
        lines = str(e).splitlines()
        head = f"{os.fspath(path)}: "
        raise InputFormatError(
            head + lines[0] if len(lines) == 1 else head.rstrip() + "\n" + "\n".join(lines)
        ) from e


# --------------------------------------------------------------------------------------------
# Domain -> problem file
# --------------------------------------------------------------------------------------------


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """The problem as a problem-file JSON object (``problem_from_json`` reads it back equal)."""
    clock = clock_for(problem)
    out: dict[str, Any] = {"date": problem.date.isoformat()}
    if problem.timezone is not None:
        out["timezone"] = problem.timezone
    out["locations"] = [{"id": x.id, "lat": x.lat, "lon": x.lon} for x in problem.locations]
    if problem.travel_time_matrix is not None:
        out["travel_time_matrix"] = [list(row) for row in problem.travel_time_matrix]
    if problem.service_centers:
        out["service_centers"] = [
            {"id": c.id, "name": c.name, "location": c.location} for c in problem.service_centers
        ]
    out["engineers"] = [_engineer_to_json(e, clock) for e in problem.engineers]
    out["visits"] = [_visit_to_json(v, clock) for v in problem.visits]
    out["options"] = _options_to_json(problem.options)
    return out


def _engineer_to_json(e: Engineer, clock: DayClock) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "name": e.name,
        "start_location": e.start_location,
        "end_location": e.end_location,
        "shift_start": clock.compact(e.shift_start),
        "shift_end": clock.compact(e.shift_end),
        "breaks": [
            {
                "duration_min": seconds_to_minutes(b.duration),
                "earliest_start": clock.compact(b.earliest_start),
                "latest_end": clock.compact(b.latest_end),
            }
            for b in e.breaks
        ],
        "skills": sorted(e.skills),
        "overtime_max_min": seconds_to_minutes(e.overtime_max),
    }
    if e.service_center is not None:
        out["service_center"] = e.service_center
    if e.load_capacity is not None:
        out["load_capacity"] = e.load_capacity
    if e.max_route_duration is not None:
        out["max_route_duration_min"] = seconds_to_minutes(e.max_route_duration)
    if e.next_visit is not None:
        out["next_visit"] = e.next_visit
    return out


def _visit_to_json(v: Visit, clock: DayClock) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": v.id,
        "kind": v.kind.value,
        "location": v.location,
        "duration_min": seconds_to_minutes(v.duration),
        "time_windows": [
            {"start": clock.compact(w.start), "end": clock.compact(w.end)} for w in v.time_windows
        ],
        "soft_windows": v.soft_windows,
        "lateness_cost_per_hour": v.lateness_cost * 3600,
        "required_skills": sorted(v.required_skills),
        "priority": v.priority,
        "allowed_engineers": sorted(v.allowed_engineers),
        "preferred_engineers": sorted(v.preferred_engineers),
        "engineers_required": v.engineers_required,
        "load": v.load,
        "details": dict(v.details),
    }
    if v.previous is not None:
        before: dict[str, Any] = {
            "engineers": sorted(v.previous.engineers),
            "start": clock.compact(v.previous.start),
        }
        if v.previous.promise is not None:
            w = v.previous.promise
            before["promise"] = {"start": clock.compact(w.start), "end": clock.compact(w.end)}
        out["previous"] = before
    if v.crew:
        for f in ("duration_min", "required_skills", "engineers_required"):
            del out[f]
        out["crew"] = [
            {"skills": sorted(m.skills), "duration_min": seconds_to_minutes(m.duration)}
            for m in v.crew
        ]
    if v.crew_timing is not None:
        out["crew_timing"] = {
            "sequence": {
                "min_gap_min": seconds_to_minutes(v.crew_timing.min_gap),
                "max_gap_min": seconds_to_minutes(v.crew_timing.max_gap),
            }
        }
    return out


def _options_to_json(o: SolveOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"time_limit_s": o.time_limit}
    if o.solution_limit is not None:
        out["solution_limit"] = o.solution_limit
    out["first_solution"] = o.first_solution
    out["metaheuristic"] = o.metaheuristic
    out["event_subsets_max"] = o.event_subsets_max
    out["weights"] = {f.name: getattr(o.weights, f.name) for f in dataclasses.fields(o.weights)}
    out["engine"] = o.engine
    out["decompose_above"] = o.decompose_above
    out["seed"] = o.params.seed
    if o.params.iterations is not None:
        out["iterations"] = o.params.iterations
    return out
