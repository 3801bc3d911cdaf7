"""Request and response bodies of the day as it runs (issue 19): an engineer's position and
time off, cancellations, manual moves and their preview, plan diffs and booking slots.
Pydantic at the boundary only, as in ``api.schemas`` (whose conventions these follow)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from fastapi import Query
from pydantic import BaseModel, Field, model_validator

from api.schemas import (
    Clock,
    ClockOrInstant,
    Day,
    Id,
    Lat,
    Lon,
    LongText,
    PlanSummaryOut,
    TimeWindowIn,
    UtcTime,
    _In,
)
from scheduler.formats.plan_file import ChurnOut

# ------------------------------------------------------------------ the day's state

ChangedSince = Annotated[
    int | None,
    Query(
        ge=1,
        le=2**31 - 1,
        description="The plan_id of an earlier fetch: say which stops changed since it.",
    ),
]


class PositionIn(_In):
    """Where the engineer is, and when (default: now)."""

    lat: Lat
    lon: Lon
    at: ClockOrInstant | None = Field(
        default=None, description='When: "HH:MM" on `date` (default today), or ISO 8601.'
    )
    date: Day | None = Field(default=None, description='The day of an "HH:MM" `at`.')


class OffIn(_In):
    """An engineer off from a time on (sick, leave); ``off_from`` null: not off."""

    date: Day
    off_from: Clock | None = Field(description='"HH:MM" on the day; null clears it.')


class CancelIn(_In):
    note: LongText = Field(default="", description="Why (the customer called, say).")


class EngineerDayOut(BaseModel):
    """An engineer's state on a day: last known position and when, off from when."""

    engineer_id: str
    date: dt.date
    lat: float | None
    lon: float | None
    seen_at: UtcTime | None
    off_from: UtcTime | None


# ------------------------------------------------------------------ manual moves


class MoveIn(_In):
    """Give ``visit_id`` to ``engineer_id``: before their stop number ``position`` (0 =
    first), or starting at ``start``, or at their cheapest place."""

    visit_id: Id
    engineer_id: Id
    start: Clock | None = None
    position: int | None = Field(default=None, ge=0, le=1000)
    replaces: Id | None = Field(
        default=None, description="For a team visit: which of its engineers gives it up."
    )


class MovesIn(_In):
    moves: list[MoveIn] = Field(min_length=1, max_length=50)


class ViolationOut(BaseModel):
    code: str
    message: str
    engineer_id: str | None = None
    visit_id: str | None = None


class PreviewOut(BaseModel):
    """What the moves would do; nothing is stored."""

    feasible: bool
    violations: list[ViolationOut]
    objective_delta: dict[str, int] = Field(
        description="After minus before per objective term, and 'total' (cost units)."
    )
    objective_before: dict[str, int]
    objective_after: dict[str, int]
    churn: ChurnOut


class AppliedOut(PlanSummaryOut):
    """The new plan version the moves made."""

    churn: ChurnOut | None = None


# ------------------------------------------------------------------ diffs


class VisitChangeOut(BaseModel):
    visit_id: str
    change: Literal["unchanged", "moved", "reassigned", "added", "dropped", "left"] = Field(
        description="left: no longer to be served (done, cancelled, under way, deleted)."
    )
    engineers_before: list[str]
    engineers_after: list[str]
    start_before: str | None
    start_after: str | None
    minutes_moved: float | None
    status: str | None = Field(description="The visit's reported status (null: deleted).")


class EngineerChangeOut(BaseModel):
    engineer_id: str
    stops_before: int
    stops_after: int
    added: list[str]
    removed: list[str]
    moved: list[str]
    departure_before: str | None
    departure_after: str | None
    return_before: str | None
    return_after: str | None


class DiffOut(BaseModel):
    plan_id: int
    against: int
    churn: ChurnOut
    visits: list[VisitChangeOut]
    engineers: list[EngineerChangeOut]


# ------------------------------------------------------------------ booking slots


class SlotDayIn(_In):
    date: Day
    windows: list[TimeWindowIn] = Field(min_length=1, max_length=24)


class SlotsIn(_In):
    """A request that does not exist yet: where, how long, which skills; candidate days
    and windows."""

    lat: Lat
    lon: Lon
    duration_min: float = Field(ge=1, le=24 * 60, description="Minutes on site.")
    skills: list[Id] = Field(default_factory=list, max_length=50)
    days: list[SlotDayIn] = Field(min_length=1, max_length=31)
    service_centre_ids: list[Id] | None = Field(
        default=None, min_length=1, max_length=50, description="Default: every centre."
    )
    limit: int = Field(default=20, ge=1, le=500)

    @model_validator(mode="after")
    def _distinct_days(self) -> Self:
        dates = [d.date for d in self.days]
        if len(set(dates)) != len(dates):
            raise ValueError("each date once in days")
        return self


class SlotOut(BaseModel):
    date: dt.date
    plan_id: int
    window_start: str
    window_end: str
    engineer_id: str
    position: int = Field(description="Before this stop of the engineer (0 = first).")
    start: str = Field(description="The earliest start, ISO 8601 with offset.")
    added_cost: int = Field(description="Added to the published plan's objective (cost units).")


class SlotsOut(BaseModel):
    slots: list[SlotOut]
    days_without_plan: list[dt.date]
