"""JSON file formats <-> domain objects: the problem file the CLI reads and the plan it writes.

The boundary is a set of pydantic v2 models (``ProblemFile``, ``PlanFile``) that reject
unknown fields and wrong JSON types; their JSON Schemas are committed under ``schemas/``.
Validated models are then mapped explicitly onto the frozen domain dataclasses.

Units. Clock times in files are ``"HH:MM"`` / ``"HH:MM:SS"`` on the problem's ``date``
(``"24:00"`` is the end of that day) or ISO 8601 date-times: naive ones are in the problem's
timezone, ones with an offset are converted into it; without a timezone every offset must be
the same. Inside the domain a time is integer seconds since local midnight of ``date``,
computed as a difference of aware instants, so it is right across DST changes. Durations in
files are minutes (fractions allowed, rounded to whole seconds); ``*_s`` fields are seconds.

Every bad input raises :class:`~scheduler.errors.InputFormatError` whose message has one line
per fault, naming the object, the field and the value, e.g.
``visits[3] (id 'v4').duration_min = -5: must be >= 0``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from scheduler.domain import (
    Break,
    BreakTaken,
    Engineer,
    Location,
    Plan,
    Problem,
    Reason,
    Route,
    ServiceCenter,
    SolveOptions,
    SolverStats,
    Stop,
    TimeWindow,
    Unassigned,
    Visit,
    VisitKind,
    Weights,
)
from scheduler.errors import InputFormatError, ProblemError
from scheduler.kpis import compute_kpis
from scheduler.travel import Matrix

__all__ = [
    "PlanFile",
    "ProblemFile",
    "load_problem",
    "plan_from_json",
    "plan_json_schema",
    "plan_to_json",
    "problem_from_json",
    "problem_json_schema",
    "problem_to_json",
    "schema_files",
]

T = TypeVar("T")

_UTC = dt.UTC
_DEFAULT_WEIGHTS = Weights()
_DEFAULT_OPTIONS = SolveOptions()

# --------------------------------------------------------------------------------------------
# Clock-time syntax (checked while validating, independent of the date and timezone)
# --------------------------------------------------------------------------------------------

_HHMM = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d")
_CLOCK_PATTERN = r"^(\d{1,2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}[T ]\d.*)$"
_CLOCK_HELP = (
    'A clock time: "HH:MM" or "HH:MM:SS" on the problem date ("24:00" is the end of that '
    "day), or an ISO 8601 date-time; without an offset it is in the problem timezone."
)


_NOT_A_TIME = "not a time, use HH:MM or ISO 8601"


def _parse_clock_text(text: str) -> int | dt.datetime:
    """Wall-clock seconds (0..86400) for ``HH:MM[:SS]``, else the ISO 8601 date-time.

    Raises ``ValueError`` when ``text`` is neither.
    """
    m = _HHMM.fullmatch(text)
    if m is not None:
        h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
        if (h < 24 and mi < 60 and s < 60) or (h == 24 and mi == 0 and s == 0):
            return h * 3600 + mi * 60 + s
    elif _ISO_DATETIME.match(text):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(_NOT_A_TIME)


def _check_clock(text: str) -> str:
    try:
        _parse_clock_text(text)
    except ValueError:
        raise PydanticCustomError("clock_time", _NOT_A_TIME) from None
    return text


def _check_date(text: str) -> str:
    try:
        if len(text) != 10:
            raise ValueError(text)
        dt.date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("date", "not a date, use YYYY-MM-DD") from None
    return text


def _zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(name) from e


def _check_timezone(name: str) -> str:
    try:
        _zone(name)
    except ValueError:
        raise PydanticCustomError(
            "timezone", "not an IANA time zone name such as 'Europe/Helsinki'"
        ) from None
    return name


class _Clock:
    """Converts clock times to seconds since local midnight of ``date`` and back.

    With ``tz`` the conversion is a difference of aware instants (DST-correct). Without it,
    times are plain wall-clock times; the first UTC offset met is remembered and any other
    offset is refused.
    """

    def __init__(self, date: dt.date, tz: ZoneInfo | None) -> None:
        self.date = date
        self.tz = tz
        self._naive_midnight = dt.datetime.combine(date, dt.time())
        self._midnight_utc = (
            dt.datetime.combine(date, dt.time(), tzinfo=tz).astimezone(_UTC) if tz else None
        )
        self._offset: dt.timedelta | None = None
        self._offset_source = ""

    def seconds(self, text: str, where: str = "") -> int:
        """Seconds since local midnight for a clock ``text``; ``ValueError`` says why not.

        ``where`` names the field, to point at it should a later offset disagree.
        """
        try:
            return self._seconds(text, where)
        except OverflowError:
            raise ValueError("is out of the range of dates that can be handled") from None

    def _seconds(self, text: str, where: str) -> int:
        value = _parse_clock_text(text)
        if isinstance(value, int):
            local = self._naive_midnight + dt.timedelta(seconds=value)
            return self._local_seconds(local)
        if value.tzinfo is None:
            return self._local_seconds(value)
        if self._midnight_utc is not None:
            return _whole_seconds(value.astimezone(_UTC) - self._midnight_utc)
        offset = value.utcoffset()
        if self._offset is None:
            self._offset, self._offset_source = offset, where
        elif offset != self._offset:
            raise ValueError(
                f"UTC offset {_fmt_offset(offset)} differs from {_fmt_offset(self._offset)} "
                f"used by {self._offset_source}; without a timezone all offsets must be equal "
                "(or give the problem a timezone)"
            )
        return _whole_seconds(value.replace(tzinfo=None) - self._naive_midnight)

    def _local_seconds(self, local: dt.datetime) -> int:
        if self.tz is None or self._midnight_utc is None:
            return _whole_seconds(local - self._naive_midnight)
        aware = local.replace(tzinfo=self.tz)
        utc = aware.astimezone(_UTC)
        if utc.astimezone(self.tz).replace(tzinfo=None) != local:
            raise ValueError(f"does not exist in {self.tz.key} (the clocks skip it that day)")
        return _whole_seconds(utc - self._midnight_utc)

    def _datetime(self, seconds: int) -> dt.datetime:
        if self.tz is None or self._midnight_utc is None:
            return self._naive_midnight + dt.timedelta(seconds=seconds)
        return (self._midnight_utc + dt.timedelta(seconds=seconds)).astimezone(self.tz)

    def iso(self, seconds: int) -> str:
        """ISO 8601 date-time with seconds (and the UTC offset when there is a timezone)."""
        return self._datetime(seconds).isoformat(timespec="seconds")

    def compact(self, seconds: int) -> str:
        """``HH:MM`` / ``HH:MM:SS`` when that reads back as ``seconds``, else ISO 8601."""
        local = self._datetime(seconds)
        tomorrow = self.date + dt.timedelta(days=1)
        at_next_midnight = (local.date(), local.time()) == (tomorrow, dt.time())
        if at_next_midnight and self.seconds("24:00") == seconds:
            return "24:00"
        if local.date() == self.date:
            text = local.strftime("%H:%M" if local.second == 0 else "%H:%M:%S")
            try:
                if self.seconds(text) == seconds:
                    return text
            except ValueError:
                pass
        return self.iso(seconds)


def _whole_seconds(delta: dt.timedelta) -> int:
    """A timedelta rounded to whole seconds (halves up)."""
    return math.floor(delta / dt.timedelta(seconds=1) + 0.5)


def _fmt_offset(offset: dt.timedelta | None) -> str:
    if offset is None:
        return "none"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(offset) // dt.timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes_to_seconds(minutes: float) -> int:
    """Minutes (possibly fractional) to whole seconds, halves rounded up."""
    return math.floor(minutes * 60 + 0.5)


def _seconds_to_minutes(seconds: int) -> int | float:
    """Whole seconds to minutes: an int when exact, else a float that rounds back exactly."""
    return seconds // 60 if seconds % 60 == 0 else seconds / 60


# --------------------------------------------------------------------------------------------
# Boundary models: the problem file
# --------------------------------------------------------------------------------------------

ClockTime = Annotated[
    str,
    AfterValidator(_check_clock),
    Field(
        description=_CLOCK_HELP,
        examples=["08:00", "2026-11-27T08:00:00+02:00"],
        json_schema_extra={"pattern": _CLOCK_PATTERN},
    ),
]
DateText = Annotated[
    str,
    AfterValidator(_check_date),
    Field(description="The day planned, YYYY-MM-DD.", json_schema_extra={"format": "date"}),
]
TimezoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    Field(description="IANA time zone name, e.g. 'Europe/Helsinki'.", examples=["Europe/Helsinki"]),
]
Id = Annotated[str, Field(min_length=1)]
MAX_MINUTES = 1_000_000  # about two years: keeps seconds far inside int64
MAX_TRAVEL_S = 1_000_000_000
Minutes = Annotated[float, Field(ge=0, le=MAX_MINUTES, description="Minutes (fractions allowed).")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class LocationFile(_Strict):
    """A point on the map (WGS84 degrees)."""

    id: Id
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")


class ServiceCenterFile(_Strict):
    """A service centre engineers leave from and return to."""

    id: Id
    name: str = ""
    location: Id = Field(description="A location id.")


class BreakFile(_Strict):
    """A break of ``duration_min`` minutes taken wholly inside [earliest_start, latest_end]."""

    duration_min: float = Field(gt=0, le=MAX_MINUTES, description="Minutes.")
    earliest_start: ClockTime
    latest_end: ClockTime


class EngineerFile(_Strict):
    """A field engineer's day."""

    id: Id
    name: str = ""
    start_location: Id = Field(description="A location id.")
    end_location: Id | None = Field(
        default=None, description="A location id; defaults to start_location."
    )
    shift_start: ClockTime
    shift_end: ClockTime
    breaks: list[BreakFile] = Field(default_factory=list)
    skills: list[Id] = Field(default_factory=list)
    overtime_max_min: Minutes = Field(
        default=0, description="Minutes the route may end after shift_end, at overtime cost."
    )
    service_center: Id | None = Field(default=None, description="A service centre id.")
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


class TimeWindowFile(_Strict):
    """Service may start at any time in [start, end] (both included)."""

    start: ClockTime
    end: ClockTime


class VisitFile(_Strict):
    """A home-service visit or a community event (``engineers_required`` engineers)."""

    id: Id
    kind: Literal["home_service", "community_event"] = "home_service"
    location: Id = Field(description="A location id.")
    duration_min: Minutes
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
    required_skills: list[Id] = Field(default_factory=list)
    priority: int = Field(default=3, ge=1, le=5, description="1 is most urgent, 5 least.")
    allowed_engineers: list[Id] = Field(
        default_factory=list, description="Engineer ids; empty = anyone qualified."
    )
    preferred_engineers: list[Id] = Field(default_factory=list, description="Engineer ids.")
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


class WeightsFile(_Strict):
    """Objective weights in cost units; one unit is one second of driving."""

    travel_per_second: int = Field(default=_DEFAULT_WEIGHTS.travel_per_second, ge=0)
    overtime_per_second: int = Field(default=_DEFAULT_WEIGHTS.overtime_per_second, ge=0)
    fixed_per_engineer: int = Field(default=_DEFAULT_WEIGHTS.fixed_per_engineer, ge=0)
    non_preferred_engineer: int = Field(default=_DEFAULT_WEIGHTS.non_preferred_engineer, ge=0)
    balance_per_second: int = Field(default=_DEFAULT_WEIGHTS.balance_per_second, ge=0)
    drop_base: int = Field(default=_DEFAULT_WEIGHTS.drop_base, gt=0)


class OptionsFile(_Strict):
    """How to search."""

    time_limit_s: float = Field(default=_DEFAULT_OPTIONS.time_limit, gt=0, description="Seconds.")
    solution_limit: int | None = Field(default=_DEFAULT_OPTIONS.solution_limit, ge=1)
    first_solution: str = _DEFAULT_OPTIONS.first_solution
    metaheuristic: str = _DEFAULT_OPTIONS.metaheuristic
    event_subsets_max: int = Field(default=_DEFAULT_OPTIONS.event_subsets_max, ge=1)
    weights: WeightsFile = Field(default_factory=WeightsFile)


class ProblemFile(_Strict):
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
# Boundary models: the plan file
# --------------------------------------------------------------------------------------------

IsoTime = Annotated[
    str,
    AfterValidator(_check_clock),
    Field(
        description="ISO 8601 date-time with seconds, with the UTC offset when the problem "
        "has a timezone.",
        examples=["2026-11-27T08:15:00+02:00"],
    ),
]


class StopOut(_Strict):
    """An engineer at a visit: arrival on site, service start and end."""

    visit_id: Id
    location: str = ""
    arrival: IsoTime
    start: IsoTime
    end: IsoTime
    travel_from_previous_s: int = Field(default=0, description="Seconds of driving to here.")
    wait_s: int = Field(default=0, description="Seconds on site before service starts.")
    details: dict[str, Any] = Field(default_factory=dict)


class BreakOut(_Strict):
    start: IsoTime
    end: IsoTime


class RouteOut(_Strict):
    """One engineer's day."""

    model_config = ConfigDict(populate_by_name=True)

    engineer_id: Id
    engineer_name: str = ""
    departure: IsoTime
    return_: IsoTime = Field(alias="return")
    stops: list[StopOut] = Field(default_factory=list)
    breaks: list[BreakOut] = Field(default_factory=list)


class UnassignedOut(_Strict):
    """A visit left out, with the reason a dispatcher can act on."""

    visit_id: Id
    reason: Reason = Field(strict=False)
    message: str
    closest_engineer: str | None = None
    shortfall_s: int | None = Field(default=None, description="Seconds missing.")


class SolverOut(_Strict):
    status: str
    wall_time_s: float = Field(description="Seconds.")
    objective: int | None = Field(description="Cost units, drop penalties included.")
    first_solution: str
    metaheuristic: str
    events_held: list[str] = Field(default_factory=list)
    solves: int = 0


class EngineerKpisOut(_Strict):
    engineer_id: str
    stops: int
    travel_s: int
    service_s: int
    wait_s: int
    break_s: int
    working_s: int = Field(description="Return minus departure, seconds.")
    overtime_s: int
    utilisation: float = Field(description="service_s / shift length.")


class ObjectiveOut(_Strict):
    """Cost units; drop penalties excluded."""

    travel: int
    overtime: int
    lateness: int
    fixed: int
    non_preferred: int
    balance: int
    total: int


class KpisOut(_Strict):
    visits_total: int
    visits_served: int
    visits_unassigned: int
    served_by_priority: dict[str, int]
    unassigned_by_priority: dict[str, int]
    unassigned_by_reason: dict[str, int]
    events_total: int
    events_held: int
    events_not_held: int
    engineers_used: int
    engineers_idle: int
    travel_time_s: int
    travel_time_mean_s: float = Field(description="Per used engineer, seconds.")
    service_time_s: int
    wait_time_s: int
    overtime_s: int
    lateness_s: int
    engineers: list[EngineerKpisOut]
    objective: ObjectiveOut


class PlanFile(_Strict):
    """The fieldroute plan file: routes, unassigned visits, KPIs and how the search went."""

    model_config = ConfigDict(
        title="fieldroute plan file", json_schema_serialization_defaults_required=True
    )

    date: DateText
    timezone: TimezoneName | None = None
    routes: list[RouteOut]
    unassigned: list[UnassignedOut] = Field(default_factory=list)
    kpis: KpisOut | None = Field(default=None, description="Derived; ignored when read.")
    solver: SolverOut | None = None
    travel_times: str | None = Field(
        default=None,
        description="Where the travel times came from: 'explicit' (the problem's matrix), "
        "'haversine-estimate' (straight-line estimate) or a road network.",
    )


# --------------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------------


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(raw: object, loc: Sequence[int | str]) -> str:
    """``visits[3] (id 'v4').time_windows[0].end`` for a location in the raw JSON data."""
    out = ""
    node: object = raw
    for key in loc:
        if isinstance(key, int):
            out += f"[{key}]"
            node = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" (id {node['id']!r})"
        else:
            out += f".{key}" if out else key
            node = node.get(key) if isinstance(node, dict) else None
    return out


def _inner_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    model = root
    for key in loc:
        if isinstance(key, int):
            continue
        info = model.model_fields.get(key)
        if info is None:
            return None
        inner = _inner_model(info.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


_EXPECTED: dict[str, str] = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be an object",
    "finite_number": "must be a finite number",
    "string_too_short": "must not be empty",
}


def _number(x: object) -> object:
    """``0`` rather than ``0.0`` in messages."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _explain(error: Any, root: type[BaseModel]) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op, key = {
            "greater_than_equal": (">=", "ge"),
            "greater_than": (">", "gt"),
            "less_than_equal": ("<=", "le"),
            "less_than": ("<", "lt"),
        }[kind]
        return f"must be {op} {_number(ctx[key])}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx['expected']}"
    if kind == "multiple_of":
        return f"must be a multiple of {ctx['multiple_of']}"
    if kind == "too_short":
        n = ctx["min_length"]
        return "must not be empty" if n == 1 else f"must have at least {n} items"
    if kind == "extra_forbidden":
        loc = error["loc"]
        model = _model_at(root, loc[:-1])
        names = _field_names(model) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(names)}"
        return "unknown field" + hint
    message: str = error["msg"]
    return message[:1].lower() + message[1:]


def _validation_message(exc: ValidationError, raw: object, root: type[BaseModel]) -> str:
    """One line per pydantic error: ``<object>.<field> = <value>: <what would work>``."""
    lines = []
    for error in exc.errors(include_url=False):
        label = _label(raw, error["loc"]) or str(root.model_config.get("title", "file"))
        if error["type"] == "missing":
            lines.append(f"{label}: required field is missing")
        elif error["loc"] == ():
            lines.append(f"{label}: {_explain(error, root)}")
        else:
            lines.append(f"{label} = {_short_repr(error['input'])}: {_explain(error, root)}")
    return "\n".join(lines)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InputFormatError(
                f"malformed JSON: key {key!r} appears twice in one object (keys: "
                f"{', '.join(k for k, _ in pairs)})"
            )
        seen[key] = value
    return seen


def _parse_json(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as e:
        raise InputFormatError(
            f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}"
        ) from None
    except RecursionError:
        raise InputFormatError("malformed JSON: nested too deeply") from None


M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], text: str) -> tuple[M, object]:
    raw = _parse_json(text)
    try:
        return model.model_validate(raw), raw
    except ValidationError as e:
        raise InputFormatError(_validation_message(e, raw, model)) from None


# --------------------------------------------------------------------------------------------
# Problem file -> domain
# --------------------------------------------------------------------------------------------


class _Mapper:
    """Maps a validated ``ProblemFile`` onto the domain, collecting every fault found."""

    def __init__(self, clock: _Clock) -> None:
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
            self.errors.append(f"{label}.{name} = {_short_repr(_number(value))}: {e.expected}")
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
        duration = _minutes_to_seconds(b.duration_min)
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
                overtime_max=_minutes_to_seconds(e.overtime_max_min),
                service_center=e.service_center,
                load_capacity=e.load_capacity,
                max_route_duration=None
                if e.max_route_duration_min is None
                else _minutes_to_seconds(e.max_route_duration_min),
            ),
            {
                "overtime_max": ("overtime_max_min", e.overtime_max_min),
                "max_route_duration": ("max_route_duration_min", e.max_route_duration_min),
            },
        )

    def visit(self, label: str, v: VisitFile) -> Visit | None:
        windows = [
            self.window(f"{label}.time_windows[{i}]", w) for i, w in enumerate(v.time_windows)
        ]
        if any(w is None for w in windows):
            return None
        return self.build(
            label,
            lambda: Visit(
                id=v.id,
                location=v.location,
                duration=_minutes_to_seconds(v.duration_min),
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
                return f"{key}[{i}] (id {x!r}).{e.field} = {_short_repr(e.value)}: {e.expected}"
    if e.obj == "problem":
        return f"{e.field} = {_short_repr(e.value)}: {e.expected}"
    return str(e)


def _problem_from_file(f: ProblemFile) -> Problem:
    date = dt.date.fromisoformat(f.date)
    tz = _zone(f.timezone) if f.timezone is not None else None
    m = _Mapper(_Clock(date, tz))
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
    model, _ = _validate(ProblemFile, text)
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


def _clock_for(problem: Problem) -> _Clock:
    return _Clock(problem.date, _zone(problem.timezone) if problem.timezone else None)


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """The problem as a problem-file JSON object (``problem_from_json`` reads it back equal)."""
    clock = _clock_for(problem)
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


def _engineer_to_json(e: Engineer, clock: _Clock) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "name": e.name,
        "start_location": e.start_location,
        "end_location": e.end_location,
        "shift_start": clock.compact(e.shift_start),
        "shift_end": clock.compact(e.shift_end),
        "breaks": [
            {
                "duration_min": _seconds_to_minutes(b.duration),
                "earliest_start": clock.compact(b.earliest_start),
                "latest_end": clock.compact(b.latest_end),
            }
            for b in e.breaks
        ],
        "skills": sorted(e.skills),
        "overtime_max_min": _seconds_to_minutes(e.overtime_max),
    }
    if e.service_center is not None:
        out["service_center"] = e.service_center
    if e.load_capacity is not None:
        out["load_capacity"] = e.load_capacity
    if e.max_route_duration is not None:
        out["max_route_duration_min"] = _seconds_to_minutes(e.max_route_duration)
    return out


def _visit_to_json(v: Visit, clock: _Clock) -> dict[str, Any]:
    return {
        "id": v.id,
        "kind": v.kind.value,
        "location": v.location,
        "duration_min": _seconds_to_minutes(v.duration),
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


def _options_to_json(o: SolveOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"time_limit_s": o.time_limit}
    if o.solution_limit is not None:
        out["solution_limit"] = o.solution_limit
    out["first_solution"] = o.first_solution
    out["metaheuristic"] = o.metaheuristic
    out["event_subsets_max"] = o.event_subsets_max
    out["weights"] = {f.name: getattr(o.weights, f.name) for f in dataclasses.fields(o.weights)}
    return out


# --------------------------------------------------------------------------------------------
# Plan <-> plan file
# --------------------------------------------------------------------------------------------


def plan_to_json(
    problem: Problem, plan: Plan, matrix: Matrix, *, travel_times: str | None = None
) -> dict[str, Any]:
    """The plan as a plan-file JSON object: times as ISO 8601, KPIs computed from ``matrix``.

    ``matrix`` is the travel-time matrix the plan was made with (seconds, rows and columns
    in ``problem.locations`` order), ``travel_times`` names where it came from. Every route
    in ``plan`` is written, empty ones too.
    """
    clock = _clock_for(problem)
    index = problem.location_index()
    engineers = {e.id: e for e in problem.engineers}
    visits = {v.id: v for v in problem.visits}
    routes = []
    for r in plan.routes:
        engineer = engineers[r.engineer_id]
        here = engineer.start_location
        stops = []
        for s in r.stops:
            visit = visits[s.visit_id]
            stops.append(
                StopOut(
                    visit_id=s.visit_id,
                    location=visit.location,
                    arrival=clock.iso(s.arrival),
                    start=clock.iso(s.start),
                    end=clock.iso(s.end),
                    travel_from_previous_s=int(matrix[index[here], index[visit.location]]),
                    wait_s=s.start - s.arrival,
                    details=dict(visit.details),
                )
            )
            here = visit.location
        route = {
            "engineer_id": r.engineer_id,
            "engineer_name": engineer.name,
            "departure": clock.iso(r.departure),
            "return": clock.iso(r.return_),
            "stops": stops,
            "breaks": [BreakOut(start=clock.iso(b.start), end=clock.iso(b.end)) for b in r.breaks],
        }
        routes.append(RouteOut.model_validate(route))
    stats = plan.stats
    out = PlanFile(
        date=problem.date.isoformat(),
        timezone=problem.timezone,
        routes=routes,
        unassigned=[
            UnassignedOut(
                visit_id=u.visit_id,
                reason=u.reason,
                message=u.message,
                closest_engineer=u.closest_engineer,
                shortfall_s=u.shortfall,
            )
            for u in plan.unassigned
        ],
        kpis=KpisOut.model_validate(compute_kpis(problem, plan, matrix).as_dict()),
        solver=(
            SolverOut(
                status=stats.status,
                wall_time_s=stats.wall_time,
                objective=stats.objective,
                first_solution=stats.first_solution,
                metaheuristic=stats.metaheuristic,
                events_held=list(stats.events_held),
                solves=stats.solves,
            )
            if stats is not None
            else None
        ),
        travel_times=travel_times,
    )
    return out.model_dump(mode="json", by_alias=True)


def plan_from_json(problem: Problem, text: str) -> Plan:
    """Read a plan file back into a :class:`Plan` of ``problem`` (derived fields ignored).

    Raises
    ------
    InputFormatError
        For malformed JSON, wrong shapes, times that are not times, or engineer / visit ids
        that are not in ``problem``.
    """
    f, raw = _validate(PlanFile, text)
    clock = _clock_for(problem)
    errors: list[str] = []
    engineer_ids = {e.id for e in problem.engineers}
    visit_ids = {v.id for v in problem.visits}

    def seconds(loc: Sequence[int | str], text: str) -> int:
        try:
            return clock.seconds(text, _label(raw, loc))
        except ValueError as e:
            errors.append(f"{_label(raw, loc)} = {text!r}: {e}")
            return 0

    def known(loc: Sequence[int | str], value: str, ids: set[str], what: str) -> None:
        if value not in ids:
            errors.append(f"{_label(raw, loc)} = {value!r}: is not a known {what} id")

    if f.date != problem.date.isoformat():
        errors.append(f"date = {f.date!r}: the problem is for {problem.date.isoformat()!r}")
    routes = []
    for i, r in enumerate(f.routes):
        at: tuple[int | str, ...] = ("routes", i)
        known((*at, "engineer_id"), r.engineer_id, engineer_ids, "engineer")
        stops = []
        for j, s in enumerate(r.stops):
            sat = (*at, "stops", j)
            known((*sat, "visit_id"), s.visit_id, visit_ids, "visit")
            stops.append(
                Stop(
                    s.visit_id,
                    seconds((*sat, "arrival"), s.arrival),
                    seconds((*sat, "start"), s.start),
                    seconds((*sat, "end"), s.end),
                )
            )
        breaks = tuple(
            BreakTaken(
                seconds((*at, "breaks", j, "start"), b.start),
                seconds((*at, "breaks", j, "end"), b.end),
            )
            for j, b in enumerate(r.breaks)
        )
        routes.append(
            Route(
                engineer_id=r.engineer_id,
                departure=seconds((*at, "departure"), r.departure),
                return_=seconds((*at, "return"), r.return_),
                stops=tuple(stops),
                breaks=breaks,
            )
        )
    for i, u in enumerate(f.unassigned):
        known(("unassigned", i, "visit_id"), u.visit_id, visit_ids, "visit")
    if errors:
        raise InputFormatError("\n".join(errors))
    solver = f.solver
    return Plan(
        routes=tuple(routes),
        unassigned=tuple(
            Unassigned(u.visit_id, u.reason, u.message, u.closest_engineer, u.shortfall_s)
            for u in f.unassigned
        ),
        stats=(
            SolverStats(
                status=solver.status,
                wall_time=solver.wall_time_s,
                objective=solver.objective,
                first_solution=solver.first_solution,
                metaheuristic=solver.metaheuristic,
                events_held=tuple(solver.events_held),
                solves=solver.solves,
            )
            if solver is not None
            else None
        ),
    )


# --------------------------------------------------------------------------------------------
# JSON Schemas
# --------------------------------------------------------------------------------------------

_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def problem_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the problem file, generated from ``ProblemFile``."""
    return {"$schema": _SCHEMA_DIALECT, **ProblemFile.model_json_schema(by_alias=True)}


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the plan file ``plan_to_json`` writes."""
    schema = PlanFile.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": _SCHEMA_DIALECT, **schema}


def schema_files() -> dict[str, str]:
    """File name under ``schemas/`` -> exact text to commit there."""
    return {
        name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in (
            ("problem.schema.json", problem_json_schema()),
            ("plan.schema.json", plan_json_schema()),
        )
    }
