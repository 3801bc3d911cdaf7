"""The day as it runs: what has happened to each visit and engineer so far (re-planning
reads it; see ``scheduler.replan``). Times are seconds since midnight of the day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from scheduler.domain import TimeWindow


class VisitStatus(StrEnum):
    PENDING = "pending"
    EN_ROUTE = "en_route"
    STARTED = "started"
    DONE = "done"
    CANNOT_COMPLETE = "cannot_complete"
    CANCELLED = "cancelled"


FINISHED = frozenset({VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE, VisitStatus.CANCELLED})
VISITED = frozenset({VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE})


@dataclass(frozen=True, slots=True)
class VisitState:
    """A visit's status, its actual start and end (seconds) when reported, and the window
    the customer was told (``promised``)."""

    status: VisitStatus = VisitStatus.PENDING
    actual_start: int | None = None
    actual_end: int | None = None
    promised: TimeWindow | None = None


@dataclass(frozen=True, slots=True)
class EngineerState:
    """An engineer's last known position (WGS84 degrees) and when it was seen (seconds), and
    the time from which they are off (sick, leave)."""

    lat: float | None = None
    lon: float | None = None
    seen_at: int | None = None
    off_from: int | None = None

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True, slots=True)
class DayState:
    """The day as it runs: per visit and per engineer (absent: pending, nothing known)."""

    visits: Mapping[str, VisitState] = field(default_factory=dict)
    engineers: Mapping[str, EngineerState] = field(default_factory=dict)

    def visit(self, visit_id: str) -> VisitState:
        return self.visits.get(visit_id, VisitState())

    def engineer(self, engineer_id: str) -> EngineerState:
        return self.engineers.get(engineer_id, EngineerState())
