"""Home-service demand of a day: Poisson counts of visits per area and job type.

Rates are visits per day, given or fitted from past visits (count per area and job type /
number of days seen). A sampled visit lies in its area (on a road-network node when nodes
are given, else uniformly in the area's disc) with an appointment window of the job type's
length cut from the service day. Everything random comes from the ``numpy`` generator passed
in, so a seed fixes the day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from scheduler.domain import TimeWindow
from scheduler.errors import InputFormatError, ProblemError
from scheduler.travel import EARTH_RADIUS_M

__all__ = ["Area", "DemandModel", "DemandedVisit", "JobType", "Rate", "fit_demand", "fit_rates"]


@dataclass(frozen=True, slots=True)
class Area:
    """A disc of ``radius_m`` metres around ``lat``/``lon`` (WGS84 degrees)."""

    id: str
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class JobType:
    """A kind of home visit: service ``duration`` and appointment ``window`` in seconds."""

    id: str
    duration: int
    skills: frozenset[str] = frozenset()
    priority: int = 3
    window: int = 4 * 3600


@dataclass(frozen=True, slots=True)
class Rate:
    """Mean home visits per day of ``job_type`` in ``area``."""

    area: str
    job_type: str
    visits_per_day: float


@dataclass(frozen=True, slots=True)
class DemandedVisit:
    """One sampled home visit; ``window`` bounds its start (seconds since midnight)."""

    id: str
    area: str
    job_type: str
    lat: float
    lon: float
    duration: int
    skills: frozenset[str]
    priority: int
    window: TimeWindow


def _metres_between(
    lat0: float, lon0: float, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Great-circle metres from one point to arrays of points."""
    la0, lo0 = math.radians(lat0), math.radians(lon0)
    la, lo = np.radians(lat), np.radians(lon)
    h = np.sin((la - la0) / 2) ** 2 + math.cos(la0) * np.cos(la) * np.sin((lo - lo0) / 2) ** 2
    out: npt.NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return out


@dataclass(frozen=True, slots=True)
class DemandModel:
    """Poisson home demand: ``rates`` per area and job type within the service ``day``;
    with ``soft_windows`` a visit may start after its window (late, at a cost)."""

    areas: tuple[Area, ...]
    job_types: tuple[JobType, ...]
    rates: tuple[Rate, ...]
    day: TimeWindow
    soft_windows: bool = True

    def __post_init__(self) -> None:
        area_ids = [a.id for a in self.areas]
        type_ids = [j.id for j in self.job_types]
        for kind, ids in (("area", area_ids), ("job type", type_ids)):
            for i in ids:
                if ids.count(i) > 1:
                    raise ProblemError("demand", f"{kind} id", i, "is used twice")
        for r in self.rates:
            if r.area not in area_ids:
                raise ProblemError(
                    "demand rate", "area", r.area, f"is not one of the areas {area_ids}"
                )
            if r.job_type not in type_ids:
                raise ProblemError(
                    "demand rate", "job_type", r.job_type, f"is not one of the job types {type_ids}"
                )
            if not (r.visits_per_day >= 0 and math.isfinite(r.visits_per_day)):
                raise ProblemError(
                    "demand rate", "visits_per_day", r.visits_per_day, "must be >= 0"
                )
        if self.day.length <= 0:
            raise ProblemError("demand", "day_end", self.day.end, "must be after day_start")

    @property
    def mean_visits_per_day(self) -> float:
        return sum(r.visits_per_day for r in self.rates)

    def sample(
        self,
        rng: np.random.Generator,
        node_lat: npt.NDArray[np.float64] | None = None,
        node_lon: npt.NDArray[np.float64] | None = None,
    ) -> tuple[DemandedVisit, ...]:
        """One day's visits. With ``node_lat``/``node_lon`` (road-network nodes) each visit
        is at a node inside its area; ``ProblemError`` if an area with demand has none."""
        areas = {a.id: a for a in self.areas}
        types = {j.id: j for j in self.job_types}
        out: list[DemandedVisit] = []
        for rate in self.rates:
            count = int(rng.poisson(rate.visits_per_day))
            area, job = areas[rate.area], types[rate.job_type]
            if count == 0:
                continue
            points = self._points(area, count, rng, node_lat, node_lon)
            for k, (lat, lon) in enumerate(points, start=1):
                out.append(
                    DemandedVisit(
                        id=f"{area.id}-{job.id}-{k}",
                        area=area.id,
                        job_type=job.id,
                        lat=lat,
                        lon=lon,
                        duration=job.duration,
                        skills=job.skills,
                        priority=job.priority,
                        window=self._window(job, rng),
                    )
                )
        return tuple(out)

    def _window(self, job: JobType, rng: np.random.Generator) -> TimeWindow:
        """One of the consecutive ``job.window``-long slots of the day, uniformly."""
        slots = max(1, self.day.length // job.window)
        k = int(rng.integers(slots))
        start = self.day.start + k * job.window
        return TimeWindow(start, min(start + job.window, self.day.end))

    @staticmethod
    def _points(
        area: Area,
        count: int,
        rng: np.random.Generator,
        node_lat: npt.NDArray[np.float64] | None,
        node_lon: npt.NDArray[np.float64] | None,
    ) -> list[tuple[float, float]]:
        if node_lat is not None and node_lon is not None:
            inside = np.flatnonzero(
                _metres_between(area.lat, area.lon, node_lat, node_lon) <= area.radius_m
            )
            if len(inside) == 0:
                raise ProblemError(
                    f"area {area.id!r}",
                    "radius_m",
                    area.radius_m,
                    "contains no road of the network: move the area or make it larger",
                )
            picks = rng.choice(inside, size=count)
            return [(float(node_lat[i]), float(node_lon[i])) for i in picks]
        # Uniform in the disc: radius ~ R * sqrt(U) gives equal density per square metre.
        r = area.radius_m * np.sqrt(rng.random(count))
        theta = 2 * math.pi * rng.random(count)
        dlat = np.degrees(r * np.cos(theta) / EARTH_RADIUS_M)
        dlon = np.degrees(r * np.sin(theta) / (EARTH_RADIUS_M * math.cos(math.radians(area.lat))))
        return [(area.lat + float(a), area.lon + float(b)) for a, b in zip(dlat, dlon, strict=True)]


# ------------------------------------------------------------------ fitting


FIT_COLUMNS = ("date", "lat", "lon", "job_type")


def fit_rates(
    visits: pd.DataFrame, areas: Sequence[Area], job_types: Sequence[str] | None = None
) -> tuple[Rate, ...]:
    """Poisson rates from past visits: count per (nearest area, job type) / days observed.

    ``visits`` needs columns ``date``, ``lat``, ``lon`` and ``job_type``. A visit belongs to
    the area whose centre is nearest; one farther than every area's radius is an error
    (silently dropping it would understate demand). The number of days is the count of
    distinct dates in ``visits``; days with no visit at all are not seen and so not counted.
    """
    missing = [c for c in FIT_COLUMNS if c not in visits.columns]
    if missing:
        raise InputFormatError(
            f"past visits: missing column(s) {missing}; need {list(FIT_COLUMNS)}"
        )
    if visits.empty:
        raise InputFormatError("past visits: no rows to fit demand from")
    lat = visits["lat"].to_numpy(dtype=np.float64)
    lon = visits["lon"].to_numpy(dtype=np.float64)
    distance = np.stack([_metres_between(a.lat, a.lon, lat, lon) for a in areas])
    nearest = distance.argmin(axis=0)
    outside = (
        distance[nearest, np.arange(len(lat))] > np.array([a.radius_m for a in areas])[nearest]
    )
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise InputFormatError(
            f"past visits row {row + 1} at ({lat[row]:.5f}, {lon[row]:.5f}) is in no area "
            f"({int(outside.sum())} such rows): add an area covering it or enlarge a radius"
        )
    types = visits["job_type"].astype(str)
    if job_types is not None:
        unknown = sorted(set(types) - set(job_types))
        if unknown:
            raise InputFormatError(
                f"past visits: job_type {unknown[0]!r} is not a scenario job type "
                f"{sorted(job_types)}"
            )
    days = visits["date"].astype(str).nunique()
    counts = (
        pd.DataFrame({"area": [areas[i].id for i in nearest], "job_type": types.to_numpy()})
        .groupby(["area", "job_type"], sort=True)
        .size()
    )
    return tuple(
        Rate(str(key[0]), str(key[1]), int(n) / days)  # type: ignore[index]
        for key, n in counts.items()
    )


def _job_types_from(visits: pd.DataFrame) -> tuple[JobType, ...]:
    """Job types seen in past visits: median duration, most common priority and skill set."""
    out = []
    for name, group in visits.groupby(visits["job_type"].astype(str), sort=True):
        duration = round(float(group["duration_min"].median()) * 60)
        priority = int(group["priority"].mode().iloc[0])
        skills = frozenset(str(group["required_skills"].mode().iloc[0]).split())
        out.append(JobType(str(name), max(60, duration), skills, priority))
    return tuple(out)


def past_visits(files: Sequence[Path]) -> pd.DataFrame:
    """Home-service visits of past days, one ``visits.csv`` per day (``scheduler.formats.csv_files``
    format; the ``job_type`` column is needed): columns ``date`` (the file's position),
    ``lat``, ``lon``, ``job_type``, ``duration_min``, ``priority``, ``required_skills``."""
    from scheduler.formats.csv_files import parse_visits_csv

    rows: list[dict[str, object]] = []
    for day, path in enumerate(files):
        try:
            parsed = parse_visits_csv(path, file_name=str(path))
        except FileNotFoundError:
            raise InputFormatError(f"{path}: no such past-visits file") from None
        for v in parsed:
            if v.kind != "home_service":
                continue
            job_type = v.details.get("job_type", "")
            if not job_type:
                raise InputFormatError(
                    f"{path} row {v.row}: job_type is empty; fitting demand needs each past "
                    "visit's job type"
                )
            rows.append(
                {
                    "date": day,
                    "lat": v.lat,
                    "lon": v.lon,
                    "job_type": job_type,
                    "duration_min": v.duration_min,
                    "priority": v.priority,
                    "required_skills": " ".join(sorted(v.required_skills)),
                }
            )
    columns = ["date", "lat", "lon", "job_type", "duration_min", "priority", "required_skills"]
    return pd.DataFrame(rows, columns=columns)


def fit_demand(
    files: Sequence[Path],
    areas: tuple[Area, ...],
    job_types: tuple[JobType, ...],
    day: TimeWindow,
    soft_windows: bool = True,
) -> DemandModel:
    """A demand model whose rates are fitted from past days' ``visits.csv`` files (one file
    per day, so the rate is visits per file); job types not given are fitted too."""
    if not files:
        raise InputFormatError("demand.fit: no past-visits files match")
    visits = past_visits(files)
    if visits.empty:
        raise InputFormatError(
            f"demand.fit: no home-service visits in {len(files)} file(s) to fit from"
        )
    types = job_types or _job_types_from(visits)
    rates = fit_rates(visits, areas, [j.id for j in types])
    # A day without any visit still counts: rates are per file, not per day seen.
    days = len(files)
    seen = visits["date"].nunique()
    if seen != days:
        rates = tuple(Rate(r.area, r.job_type, r.visits_per_day * seen / days) for r in rates)
    return DemandModel(areas, types, rates, day, soft_windows)
