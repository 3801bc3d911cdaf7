"""An outreach-day scenario: who works, which community events are candidates, what home
demand to expect, and whether events are mandatory; read from JSON or YAML.

The file is validated by pydantic models (this module's boundary only) and mapped onto the
frozen dataclasses below. Clock times in files are ``"HH:MM"`` on the scenario's date;
durations are minutes. Inside, times are integer seconds since local midnight.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from scheduler.domain import Break, SolveOptions, TimeWindow
from scheduler.errors import InputFormatError, ProblemError
from scheduler.formats.clock import clock_seconds
from scheduler.simulate.demand import Area, DemandModel, JobType, Rate, fit_demand

__all__ = [
    "CoverageSettings",
    "EngineerGroup",
    "EventPolicy",
    "EventSpec",
    "Scenario",
    "ScenarioFile",
    "SelectionSettings",
    "Site",
    "SolverSettings",
    "load_scenario",
    "scenario_from_dict",
]

_DEFAULT_OPTIONS = SolveOptions()


def _check_clock(text: str) -> str:
    clock_seconds(text)
    return text


Clock = Annotated[str, AfterValidator(_check_clock)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Minutes = Annotated[float, Field(gt=0, le=24 * 60, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------ file models (boundary)


class CentreIn(_Strict):
    id: Ident
    name: str = ""
    lat: Lat
    lon: Lon


class LunchIn(_Strict):
    duration_min: Minutes
    earliest: Clock
    latest: Clock


class EngineersIn(_Strict):
    """``count`` engineers alike (ids ``<id>-1`` .. ``<id>-<count>``, or ``<id>`` alone)."""

    id: Ident
    service_centre: Ident
    count: int = Field(default=1, ge=1, le=500)
    shift_start: Clock = "08:00"
    shift_end: Clock = "16:00"
    skills: list[Ident] = []
    overtime_max_min: float = Field(default=0, ge=0, le=12 * 60)
    lunch: LunchIn | None = None


class StartWindowIn(_Strict):
    earliest: Clock
    latest: Clock


class EventIn(_Strict):
    """A candidate community event: a fixed ``start`` or a ``start_window``, not both."""

    id: Ident
    name: str = ""
    lat: Lat
    lon: Lon
    start: Clock | None = None
    start_window: StartWindowIn | None = None
    duration_min: Minutes
    engineers_required: int = Field(ge=1, le=100)
    skills: list[Ident] = []
    priority: int = Field(default=3, ge=1, le=5)


class AreaIn(_Strict):
    id: Ident
    lat: Lat
    lon: Lon
    radius_m: float = Field(gt=0, le=50_000, allow_inf_nan=False)


class JobTypeIn(_Strict):
    id: Ident
    duration_min: Minutes
    skills: list[Ident] = []
    priority: int = Field(default=3, ge=1, le=5)
    window_hours: float = Field(default=4, gt=0, le=24, allow_inf_nan=False)


class RateIn(_Strict):
    area: Ident
    job_type: Ident
    visits_per_day: float = Field(ge=0, le=10_000, allow_inf_nan=False)


class FitIn(_Strict):
    """Fit Poisson rates from past days: ``visits.csv`` files (``scheduler.formats.csv_files``
    format with a ``job_type`` column), one per day; paths may be glob patterns and are
    relative to the scenario file."""

    days: list[str] = Field(min_length=1)


class DemandIn(_Strict):
    """Home-service demand: ``rates`` given per area and job type, or ``fit`` from a CSV."""

    areas: list[AreaIn] = Field(min_length=1)
    job_types: list[JobTypeIn] = []
    rates: list[RateIn] = []
    fit: FitIn | None = None
    day_start: Clock = "08:00"
    day_end: Clock = "16:00"
    soft_windows: bool = Field(
        default=True, description="Late arrivals allowed at a cost (else the visit is deferred)"
    )


class PolicyIn(_Strict):
    """``mandatory``: hold every event that can be staffed; ``optional``: each event by its
    priority against the home visits; ``selected``: the routing model chooses the events
    reaching most residents within ``budget_hours`` (engineer-hours at events) while at most
    ``max_home_deferred`` home visits are deferred and no engineer works more than
    ``max_overtime_min`` past shift end (needs a road network, for coverage)."""

    events: Literal["mandatory", "optional", "selected"] = "mandatory"
    budget_hours: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False)
    max_home_deferred: int | None = Field(default=None, ge=0, le=100_000)
    max_overtime_min: float | None = Field(default=None, ge=0, le=12 * 60, allow_inf_nan=False)


class SolverIn(_Strict):
    """Each replication is solved until ``solution_limit`` solutions (reproducible);
    ``time_limit_s`` is a safety net that should not bind."""

    solution_limit: int = Field(default=50, ge=1, le=100_000)
    time_limit_s: float = Field(default=60, gt=0, le=3600, allow_inf_nan=False)


class CoverageIn(_Strict):
    """Residents count as reached within ``minutes`` of an event, by car or on foot;
    ``weighted`` counts households per building (by levels) instead of buildings."""

    minutes: float = Field(default=10, gt=0, le=120, allow_inf_nan=False)
    mode: Literal["drive", "walk"] = "drive"
    weighted: bool = True


class ScenarioFile(_Strict):
    """The scenario file's top level (JSON or YAML)."""

    name: Ident
    date: dt.date
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    network: str | None = Field(
        default=None, description="Road network source ('bundled', a file); none: haversine"
    )
    max_snap_m: float = Field(default=500, gt=0, le=10_000)
    service_centres: list[CentreIn] = Field(min_length=1)
    engineers: list[EngineersIn] = Field(min_length=1)
    events: list[EventIn] = []
    demand: DemandIn
    policy: PolicyIn = PolicyIn()
    solver: SolverIn = SolverIn()
    plan_per_centre: bool = Field(
        default=False, description="One solve per service centre (visits to the nearest)"
    )
    coverage: CoverageIn = CoverageIn()


# ------------------------------------------------------------------ the domain


class EventPolicy(StrEnum):
    """``mandatory``: events are held unless they truly cannot be staffed (priority 1);
    ``optional``: each event keeps its own priority and is held only when worth its cost;
    ``selected``: the routing model picks the events reaching most residents within the
    limits of :class:`SelectionSettings` (``scheduler.simulate.selection``)."""

    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    SELECTED = "selected"


@dataclass(frozen=True, slots=True)
class Site:
    """A service centre: ``lat``/``lon`` in WGS84 degrees."""

    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class EngineerGroup:
    """``count`` engineers with the same centre, shift (seconds), skills and overtime."""

    id: str
    service_centre: str
    count: int
    shift_start: int
    shift_end: int
    skills: frozenset[str] = frozenset()
    overtime_max: int = 0
    lunch: Break | None = None

    def engineer_ids(self) -> tuple[str, ...]:
        if self.count == 1:
            return (self.id,)
        return tuple(f"{self.id}-{k}" for k in range(1, self.count + 1))


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A candidate event; ``start`` bounds the start (seconds), equal ends = a fixed start."""

    id: str
    name: str
    lat: float
    lon: float
    start: TimeWindow
    duration: int
    engineers_required: int
    skills: frozenset[str] = frozenset()
    priority: int = 3

    @property
    def engineer_hours(self) -> float:
        return self.engineers_required * self.duration / 3600


@dataclass(frozen=True, slots=True)
class SolverSettings:
    """Search until ``solution_limit`` solutions; ``time_limit`` seconds is a safety net.
    ``workers`` is the most processes one solve may run (``SolveOptions.workers``): a
    setting of the machine running the scenario, not of the scenario file."""

    solution_limit: int = 50
    time_limit: float = 60.0
    workers: int = _DEFAULT_OPTIONS.workers


@dataclass(frozen=True, slots=True)
class SelectionSettings:
    """Limits on the ``selected`` policy: engineer-hours at events, home visits deferred,
    minutes of overtime per engineer (None: no limit)."""

    budget_hours: float | None = None
    max_home_deferred: int | None = None
    max_overtime_min: float | None = None


@dataclass(frozen=True, slots=True)
class CoverageSettings:
    """Residents within ``minutes`` of an event by ``mode`` ("drive" or "walk")."""

    minutes: float = 10.0
    mode: str = "drive"
    weighted: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """One outreach day to simulate. ``seed`` with a replication index fixes its demand."""

    name: str
    date: dt.date
    centres: tuple[Site, ...]
    engineers: tuple[EngineerGroup, ...]
    events: tuple[EventSpec, ...]
    demand: DemandModel
    policy: EventPolicy = EventPolicy.MANDATORY
    seed: int = 0
    network: str | None = None
    max_snap_m: float = 500.0
    solver: SolverSettings = field(default_factory=SolverSettings)
    plan_per_centre: bool = False
    coverage: CoverageSettings = field(default_factory=CoverageSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)

    def __post_init__(self) -> None:
        if self.policy is EventPolicy.SELECTED:
            if not self.network:
                raise ProblemError(
                    f"scenario {self.name!r}",
                    "policy.events",
                    "selected",
                    "chooses events by residents reached: name a road network (network: ...)",
                )
            if self.plan_per_centre and len(self.centres) > 1:
                raise ProblemError(
                    f"scenario {self.name!r}",
                    "plan_per_centre",
                    True,
                    "cannot be combined with policy selected (residents are counted once "
                    "across all centres' events)",
                )
        centre_ids = {c.id for c in self.centres}
        for kind, ids in (
            ("service centre", [c.id for c in self.centres]),
            ("engineer", [i for g in self.engineers for i in g.engineer_ids()]),
            ("event", [e.id for e in self.events]),
        ):
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    raise ProblemError(f"scenario {self.name!r}", f"{kind} id", i, "is used twice")
                seen.add(i)
        for g in self.engineers:
            if g.service_centre not in centre_ids:
                raise ProblemError(
                    f"engineers {g.id!r}",
                    "service_centre",
                    g.service_centre,
                    f"is not one of the service centres {sorted(centre_ids)}",
                )
        total = sum(g.count for g in self.engineers)
        for e in self.events:
            qualified = sum(g.count for g in self.engineers if e.skills <= g.skills)
            if e.engineers_required > total:
                raise ProblemError(
                    f"event {e.id!r}",
                    "engineers_required",
                    e.engineers_required,
                    f"is more than the {total} engineers available",
                )
            if e.engineers_required > qualified:
                raise ProblemError(
                    f"event {e.id!r}",
                    "engineers_required",
                    e.engineers_required,
                    f"is more than the {qualified} engineers with skills {sorted(e.skills)}",
                )

    @property
    def engineer_count(self) -> int:
        return sum(g.count for g in self.engineers)


# ------------------------------------------------------------------ loading


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: not a valid scenario:"]
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f" = {value!r}"
        lines.append(f"  {where}{shown}: {err['msg']}")
    return "\n".join(lines)


def _window(label: str, earliest: int, latest: int) -> TimeWindow:
    if latest < earliest:
        raise ProblemError(label, "latest", latest, f"must not be before earliest {earliest}")
    return TimeWindow(earliest, latest)


def _event(e: EventIn) -> EventSpec:
    label = f"event {e.id!r}"
    if (e.start is None) == (e.start_window is None):
        raise ProblemError(label, "start", e.start, "give exactly one of start or start_window")
    if e.start is not None:
        t = clock_seconds(e.start)
        start = TimeWindow(t, t)
    else:
        assert e.start_window is not None
        start = _window(
            f"{label} start_window",
            clock_seconds(e.start_window.earliest),
            clock_seconds(e.start_window.latest),
        )
    return EventSpec(
        id=e.id,
        name=e.name or e.id,
        lat=e.lat,
        lon=e.lon,
        start=start,
        duration=round(e.duration_min * 60),
        engineers_required=e.engineers_required,
        skills=frozenset(e.skills),
        priority=e.priority,
    )


def _engineers(g: EngineersIn) -> EngineerGroup:
    lunch = None
    if g.lunch is not None:
        lunch = Break(
            round(g.lunch.duration_min * 60),
            clock_seconds(g.lunch.earliest),
            clock_seconds(g.lunch.latest),
        )
    start, end = clock_seconds(g.shift_start), clock_seconds(g.shift_end)
    if end <= start:
        raise ProblemError(f"engineers {g.id!r}", "shift_end", g.shift_end, "must be after start")
    return EngineerGroup(
        id=g.id,
        service_centre=g.service_centre,
        count=g.count,
        shift_start=start,
        shift_end=end,
        skills=frozenset(g.skills),
        overtime_max=round(g.overtime_max_min * 60),
        lunch=lunch,
    )


def _day_files(base_dir: Path, patterns: Sequence[str]) -> list[Path]:
    """Files named by ``patterns`` (globs allowed), relative to ``base_dir``, in order."""
    files: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        root, rel = (
            (Path(path.anchor), str(path.relative_to(path.anchor)))
            if path.is_absolute()
            else (base_dir, pattern)
        )
        matched = sorted(root.glob(rel)) if any(c in pattern for c in "*?[") else [root / rel]
        if not matched:
            raise ProblemError("demand.fit", "days", pattern, "matches no file")
        files += matched
    return files


def _demand(d: DemandIn, base_dir: Path | None) -> DemandModel:
    day = _window("demand", clock_seconds(d.day_start), clock_seconds(d.day_end))
    areas = tuple(Area(a.id, a.lat, a.lon, a.radius_m) for a in d.areas)
    job_types = tuple(
        JobType(
            j.id,
            round(j.duration_min * 60),
            frozenset(j.skills),
            j.priority,
            round(j.window_hours * 3600),
        )
        for j in d.job_types
    )
    if d.fit is not None:
        if d.rates:
            raise ProblemError("demand", "rates", "...", "give rates or fit, not both")
        if base_dir is None:
            raise ProblemError(
                "demand", "fit", d.fit.days, "fitting from CSV files is not available here"
            )
        return fit_demand(_day_files(base_dir, d.fit.days), areas, job_types, day, d.soft_windows)
    if not d.job_types:
        raise ProblemError("demand", "job_types", [], "list at least one job type (or use fit)")
    rates = tuple(Rate(r.area, r.job_type, r.visits_per_day) for r in d.rates)
    return DemandModel(areas, job_types, rates, day, d.soft_windows)


def scenario_from_model(f: ScenarioFile, base_dir: Path | None = None) -> Scenario:
    """The domain scenario of a validated file; ``base_dir`` resolves ``demand.fit.csv``
    (``None`` refuses reading files, as the HTTP API must)."""
    events = tuple(_event(e) for e in f.events)
    return Scenario(
        name=f.name,
        date=f.date,
        centres=tuple(Site(c.id, c.name or c.id, c.lat, c.lon) for c in f.service_centres),
        engineers=tuple(_engineers(g) for g in f.engineers),
        events=events,
        demand=_demand(f.demand, base_dir),
        policy=EventPolicy(f.policy.events),
        seed=f.seed,
        network=f.network,
        max_snap_m=f.max_snap_m,
        solver=SolverSettings(f.solver.solution_limit, f.solver.time_limit_s),
        plan_per_centre=f.plan_per_centre,
        coverage=CoverageSettings(f.coverage.minutes, f.coverage.mode, f.coverage.weighted),
        selection=SelectionSettings(
            f.policy.budget_hours, f.policy.max_home_deferred, f.policy.max_overtime_min
        ),
    )


def scenario_from_dict(
    data: object, *, source: str = "scenario", base_dir: Path | None = None
) -> Scenario:
    """Validate a parsed scenario document; ``InputFormatError`` names each bad field."""
    try:
        model = ScenarioFile.model_validate(data)
    except ValidationError as e:
        raise InputFormatError(_format_errors(e, source)) from None
    try:
        return scenario_from_model(model, base_dir)
    except ProblemError as e:
        raise InputFormatError(f"{source}: {e}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a ``.json``, ``.yaml`` or ``.yml`` file."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise InputFormatError(f"{p}: a scenario file must end in .json, .yaml or .yml")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFormatError(f"{p}: no such scenario file") from None
    except UnicodeDecodeError:
        raise InputFormatError(f"{p}: not UTF-8 text") from None
    try:
        data: Any = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{p}: not valid JSON: {e}") from None
    except yaml.YAMLError as e:
        raise InputFormatError(f"{p}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise InputFormatError(f"{p}: the scenario must be a mapping of fields at the top level")
    return scenario_from_dict(data, source=str(p), base_dir=p.parent)


def scenario_names_unique(scenarios: Sequence[Scenario]) -> None:
    """Scenarios compared side by side need distinct names."""
    names = [s.name for s in scenarios]
    for n in names:
        if names.count(n) > 1:
            raise InputFormatError(f"two scenarios are both named {n!r}: give each its own name")
