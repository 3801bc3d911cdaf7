"""Request and response bodies, split by direction; pydantic lives at this boundary only.

Clock times are ``"HH:MM"`` on the day in question (``"24:00"`` ends it), durations are
minutes, coordinates WGS84 degrees. Ids are chosen by the client (as in the problem file and
the datasets CSVs) so the same engineer or visit keeps one name everywhere.
"""

from __future__ import annotations

import datetime as dt
import itertools
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from scheduler.formats import PlanFile, WeightsFile
from scheduler.formats.boundary import ID_PATTERN
from scheduler.formats.clock import clock_seconds, minutes_to_seconds
from scheduler.formats.plan_file import ChurnOut

CLOCK_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name such as 'Europe/Helsinki'") from None
    return name


Id = Annotated[str, Field(pattern=ID_PATTERN, description="Letters, digits and ._:- (<= 64).")]
Name = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
LongText = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]
Clock = Annotated[str, Field(pattern=CLOCK_PATTERN, description='"HH:MM", "24:00" ends the day.')]
Lat = Annotated[float, Field(ge=-90, le=90, description="Latitude, degrees.")]
Lon = Annotated[float, Field(ge=-180, le=180, description="Longitude, degrees.")]
Timezone = Annotated[
    str, Field(max_length=64, examples=["Europe/Helsinki"]), AfterValidator(_timezone)
]


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


ClockOrInstant = Annotated[
    str,
    Field(
        max_length=40,
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?|24:00|\d{4}-\d{2}-\d{2}T.+)$",
        description='"HH:MM" on the day, or ISO 8601 with offset.',
    ),
]


UtcTime = Annotated[dt.datetime, AfterValidator(_as_utc), Field(description="UTC, ISO 8601.")]
Day = Annotated[dt.date, Field(ge=dt.date(1970, 1, 1), le=dt.date(2999, 12, 31))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ------------------------------------------------------------------ service centres


class ServiceCentreFields(_In):
    name: Name = ""
    address: LongText = ""
    lat: Lat
    lon: Lon
    timezone: Timezone = Field(default="UTC", description="IANA zone of the centre's clocks.")


class ServiceCentreIn(ServiceCentreFields):
    id: Id


class ServiceCentrePatch(_In):
    name: Name | None = None
    address: LongText | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    timezone: Timezone | None = None


class ServiceCentreOut(_Out):
    id: str
    name: str
    address: str
    lat: float
    lon: float
    timezone: str


# ------------------------------------------------------------------ engineers


class BreakIn(_In):
    """A break of ``duration_min`` minutes taken wholly inside [earliest_start, latest_end]."""

    duration_min: float = Field(gt=0, le=24 * 60)
    earliest_start: Clock
    latest_end: Clock

    @model_validator(mode="after")
    def _fits(self) -> Self:
        span = clock_seconds(self.latest_end) - clock_seconds(self.earliest_start)
        if span < minutes_to_seconds(self.duration_min):
            raise ValueError("latest_end leaves less than duration_min after earliest_start")
        return self


class EngineerFields(_In):
    name: Name = ""
    service_centre_id: Id
    skills: list[Id] = Field(default_factory=list, max_length=50)
    shift_start: Clock = "08:00"
    shift_end: Clock = "16:00"
    breaks: list[BreakIn] = Field(default_factory=list, max_length=5)
    overtime_max_min: float = Field(default=0, ge=0, le=12 * 60)
    phone: Name = ""
    active: bool = True

    @model_validator(mode="after")
    def _shift(self) -> Self:
        if clock_seconds(self.shift_end) <= clock_seconds(self.shift_start):
            raise ValueError("shift_end must be after shift_start")
        return self


class EngineerIn(EngineerFields):
    id: Id


class EngineerPatch(_In):
    name: Name | None = None
    service_centre_id: Id | None = None
    skills: list[Id] | None = Field(default=None, max_length=50)
    shift_start: Clock | None = None
    shift_end: Clock | None = None
    breaks: list[BreakIn] | None = Field(default=None, max_length=5)
    overtime_max_min: float | None = Field(default=None, ge=0, le=12 * 60)
    phone: Name | None = None
    active: bool | None = None


class BreakOut(BaseModel):
    duration_min: float
    earliest_start: str
    latest_end: str


class EngineerOut(_Out):
    id: str
    name: str
    service_centre_id: str
    skills: list[str]
    shift_start: str
    shift_end: str
    breaks: list[BreakOut]
    overtime_max_min: float
    phone: str
    active: bool


# ------------------------------------------------------------------ visits


class VisitKind(StrEnum):
    HOME_SERVICE = "home_service"
    COMMUNITY_EVENT = "community_event"


class VisitStatus(StrEnum):
    PENDING = "pending"
    EN_ROUTE = "en_route"
    STARTED = "started"
    DONE = "done"
    CANNOT_COMPLETE = "cannot_complete"
    CANCELLED = "cancelled"


class TimeWindowIn(_In):
    """Service may start at any time in [start, end]."""

    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if clock_seconds(self.end) < clock_seconds(self.start):
            raise ValueError("end must not be before start")
        return self


class CrewMemberIn(_In):
    """One engineer of a crew: the skills they must hold, their minutes on site."""

    skills: list[Id] = Field(default_factory=list, max_length=50)
    duration_min: float = Field(gt=0, le=24 * 60)


class CrewGapIn(_In):
    min_gap_min: float = Field(ge=0, le=24 * 60)
    max_gap_min: float = Field(ge=0, le=24 * 60)


class CrewSequenceIn(_In):
    """Members one after the other, each within the gap after the one before."""

    sequence: CrewGapIn


class VisitFields(_In):
    service_centre_id: Id
    date: Day
    kind: VisitKind = VisitKind.HOME_SERVICE
    lat: Lat
    lon: Lon
    address: LongText = ""
    duration_min: float | None = Field(
        default=None, ge=0, le=24 * 60, description="Required unless crew is given."
    )
    crew: list[CrewMemberIn] | None = Field(
        default=None,
        max_length=20,
        description="One entry per engineer (skills, minutes); replaces engineers_required, "
        "required_skills and duration_min.",
    )
    crew_timing: Literal["together"] | CrewSequenceIn = "together"
    time_windows: list[TimeWindowIn] = Field(default_factory=list, max_length=10)
    soft_windows: bool = False
    required_skills: list[Id] = Field(default_factory=list, max_length=50)
    priority: int = Field(default=3, ge=1, le=5, description="1 is most urgent.")
    allowed_engineers: list[Id] = Field(default_factory=list, max_length=500)
    preferred_engineers: list[Id] = Field(default_factory=list, max_length=500)
    engineers_required: int = Field(default=1, ge=1, le=100)
    job_type: Name = ""
    customer_name: Name = ""
    customer_phone: Name = ""
    notes: LongText = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.crew is not None:
            both = [
                name
                for name, given in (
                    ("duration_min", self.duration_min is not None),
                    ("engineers_required", self.engineers_required != 1),
                    ("required_skills", bool(self.required_skills)),
                )
                if given
            ]
            if both:
                raise ValueError(
                    f"crew is given together with {', '.join(both)}: give one form (crew takes "
                    "the place of engineers_required, required_skills and duration_min)"
                )
            if not self.crew:
                raise ValueError("crew must list at least one member")
        elif self.duration_min is None:
            raise ValueError("duration_min is required (or give a crew)")
        if isinstance(self.crew_timing, CrewSequenceIn):
            gap = self.crew_timing.sequence
            if gap.max_gap_min < gap.min_gap_min:
                raise ValueError(
                    "crew_timing.sequence.max_gap_min must not be less than min_gap_min"
                )
            if len(self.crew or ()) < 2 and self.engineers_required < 2:
                raise ValueError("crew_timing sequence needs a crew of at least 2 members")
        if (
            self.kind is VisitKind.HOME_SERVICE
            and self.engineers_required != 1
            and self.crew is None
        ):
            raise ValueError("engineers_required must be 1 for a home_service visit")
        if (
            self.kind is VisitKind.COMMUNITY_EVENT
            and (self.duration_min or 0) <= 0
            and not self.crew
        ):
            raise ValueError("a community_event must last more than 0 minutes")
        spans = sorted((clock_seconds(w.start), clock_seconds(w.end)) for w in self.time_windows)
        for (_, a_end), (b_start, _) in itertools.pairwise(spans):
            if b_start <= a_end:
                raise ValueError("time_windows must not overlap")
        return self


class VisitIn(VisitFields):
    id: Id


class VisitPatch(_In):
    service_centre_id: Id | None = None
    date: Day | None = None
    kind: VisitKind | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    address: LongText | None = None
    duration_min: float | None = Field(default=None, ge=0, le=24 * 60)
    time_windows: list[TimeWindowIn] | None = Field(default=None, max_length=10)
    soft_windows: bool | None = None
    required_skills: list[Id] | None = Field(default=None, max_length=50)
    priority: int | None = Field(default=None, ge=1, le=5)
    allowed_engineers: list[Id] | None = Field(default=None, max_length=500)
    preferred_engineers: list[Id] | None = Field(default=None, max_length=500)
    engineers_required: int | None = Field(default=None, ge=1, le=100)
    crew: list[CrewMemberIn] | None = None
    crew_timing: Literal["together"] | CrewSequenceIn | None = None
    job_type: Name | None = None
    customer_name: Name | None = None
    customer_phone: Name | None = None
    notes: LongText | None = None


class TimeWindowOut(BaseModel):
    start: str
    end: str


class VisitOut(_Out):
    id: str
    service_centre_id: str
    date: dt.date
    kind: VisitKind
    lat: float
    lon: float
    address: str
    duration_min: float
    time_windows: list[TimeWindowOut]
    soft_windows: bool
    required_skills: list[str]
    priority: int
    allowed_engineers: list[str]
    preferred_engineers: list[str]
    engineers_required: int
    crew: list[dict[str, Any]] | None = None
    crew_timing: str | dict[str, Any] = "together"
    job_type: str
    customer_name: str
    customer_phone: str
    notes: str
    status: VisitStatus
    status_changed_at: UtcTime | None
    status_note: str
    actual_start: UtcTime | None = Field(default=None, description="Reported start.")
    actual_end: UtcTime | None = Field(default=None, description="Reported end.")


class VisitStatusIn(_In):
    status: Literal["en_route", "started", "done", "cannot_complete"]
    note: LongText = Field(default="", description="Why a visit cannot be completed, say.")
    at: ClockOrInstant | None = Field(
        default=None,
        description="When it happened (default: now): started sets the visit's actual start, "
        "done and cannot_complete its actual end.",
    )
    lat: Lat | None = Field(default=None, description="Where the engineer is (with lon).")
    lon: Lon | None = None

    @model_validator(mode="after")
    def _position(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


# ------------------------------------------------------------------ plans


class PlanStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


MAX_WEIGHT = 10_000_000
"""The largest objective weight a plan request may set: with every weight at it, no day the
service accepts can overflow the solvers' 64-bit costs (tests/api/test_hostile_input.py)."""


class PlanWeightsIn(WeightsFile):
    """The objective's weights, each at most :data:`MAX_WEIGHT` cost units."""

    @field_validator("*")
    @classmethod
    def _bounded(cls, value: int) -> int:
        if value > MAX_WEIGHT:
            raise ValueError(
                f"must be at most {MAX_WEIGHT} cost units (one unit = a second of driving)"
            )
        return value


class PlanOptionsIn(_In):
    """How long and how to search; weights in cost units (one unit = a second of driving)."""

    time_limit_s: float = Field(default=10.0, gt=0, description="Seconds of search.")
    solution_limit: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Stop after N solutions: reproducible."
    )
    event_subsets_max: int = Field(default=3, ge=1, le=10)
    weights: PlanWeightsIn | None = None
    engine: Literal["compiled", "ortools"] = Field(
        default="compiled",
        description="'compiled': the compiled ruin-and-recreate search (every rule); "
        "'ortools': OR-Tools' routing search.",
    )
    iterations: int | None = Field(
        default=None,
        ge=1,
        le=100_000_000,
        description="Iterations of the compiled search instead of the time limit: the same "
        "plan every time.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seeds the search.")

    @model_validator(mode="after")
    def _engine_prices_every_weight(self) -> PlanOptionsIn:
        # Refused here, not when the job runs: an accepted plan request must be solvable.
        if self.engine == "ortools" and self.weights and self.weights.max_lateness_per_second:
            raise ValueError(
                "weights.max_lateness_per_second is priced by the compiled engine only: "
                "use engine 'compiled' or a weight of 0"
            )
        return self


class ReplanIn(_In):
    """Plan the rest of a published plan's day from ``at`` (see docs/replanning.md)."""

    of: int = Field(ge=1, le=2**31 - 1, description="The published plan to re-plan.")
    at: Clock = Field(description='Re-plan from this clock time on the plan\'s day, "HH:MM".')
    churn: ChurnWeightsIn | None = None


class ChurnWeightsIn(_In):
    """What a re-plan's changes cost (cost units; one is a second of driving)."""

    reassign: int = Field(default=1800, ge=0, le=10**7)
    move_per_second: int = Field(default=1, ge=0, le=10**4)
    tolerance_min: float = Field(default=15, ge=0, le=24 * 60)
    broken_promise: int = Field(default=3600, ge=0, le=10**7)
    drop_planned: int = Field(default=36_000, ge=0, le=10**8)


class PlanIn(_In):
    date: Day | None = Field(default=None, description="The day (not with replan).")
    service_centre_ids: list[Id] | None = Field(
        default=None, min_length=1, max_length=50, description="Its centres (not with replan)."
    )
    options: PlanOptionsIn = Field(default_factory=PlanOptionsIn)
    replan: ReplanIn | None = Field(
        default=None, description="Re-plan the rest of a published plan's day instead."
    )

    @model_validator(mode="after")
    def _what(self) -> Self:
        if self.replan is None and (self.date is None or self.service_centre_ids is None):
            raise ValueError("date and service_centre_ids are required (or replan)")
        if self.replan is not None and (
            self.date is not None or self.service_centre_ids is not None
        ):
            raise ValueError("a replan takes its day and centres from the plan it re-plans")
        return self


class ProgressOut(BaseModel):
    stage: str
    objective: int | None
    elapsed_s: float
    solutions: int


class PlanSummaryOut(BaseModel):
    id: int
    date: dt.date
    service_centre_ids: list[str]
    status: PlanStatus
    progress: ProgressOut | None
    error: str | None
    attempts: int
    created_at: UtcTime
    started_at: UtcTime | None
    finished_at: UtcTime | None
    published: bool
    published_at: UtcTime | None
    replaces: int | None = Field(
        default=None, description="The plan this version replaces (a re-plan, a manual move)."
    )


class PlanOut(PlanSummaryOut):
    result: PlanFile | None = Field(
        description="Routes, unassigned visits with reasons, KPIs; set once succeeded."
    )
    churn: ChurnOut | None = Field(
        default=None, description="Changes to the plan it replaces (once succeeded)."
    )


# ------------------------------------------------------------------ engineer schedule


class CrewMateOut(BaseModel):
    engineer_id: str
    engineer_name: str
    crew_member: int
    arrival: str = Field(description="ETA, ISO 8601 with offset.")
    start: str


class ScheduleStopOut(BaseModel):
    order: int = Field(description="1 for the first stop of the day.")
    visit_id: str
    crew_member: int = Field(default=0, description="Which crew member this engineer is.")
    crew_mates: list[CrewMateOut] = Field(
        default_factory=list, description="The other engineers on this visit, when they arrive."
    )
    kind: VisitKind
    status: VisitStatus
    arrival: str = Field(description="ETA, ISO 8601 with offset.")
    start: str
    end: str
    travel_from_previous_s: int
    address: str
    lat: float
    lon: float
    job_type: str
    customer_name: str
    customer_phone: str
    notes: str
    navigation_url: str = Field(description="Opens turn-by-turn navigation to the stop.")
    windows: list[ScheduleBreakOut] = Field(
        default_factory=list, description="The appointment windows (ISO 8601 with offset)."
    )


class ScheduleBreakOut(BaseModel):
    start: str
    end: str


class ScheduleOut(BaseModel):
    engineer_id: str
    engineer_name: str
    date: dt.date
    plan_id: int
    timezone: str | None
    departure: str
    return_: str = Field(alias="return")
    service_centre: ServiceCentreOut
    stops: list[ScheduleStopOut]
    breaks: list[ScheduleBreakOut]
    changes: list[ScheduleChangeOut] | None = Field(
        default=None, description="What changed since the plan named by changed_since."
    )

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ScheduleChangeOut(BaseModel):
    """A stop of the engineer's day that changed since an earlier plan version."""

    visit_id: str
    change: Literal["added", "removed", "moved", "unchanged"]
    start_before: str | None
    start_after: str | None


class CsvUploadOut(BaseModel):
    """What a CSV upload created, by id."""

    service_centre_ids: list[str]
    engineer_ids: list[str]
    visit_ids: list[str]


class ErrorOut(BaseModel):
    detail: Any
