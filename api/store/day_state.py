"""The day as it runs, stored: what engineers reported (a visit's actual start and end,
their position), a dispatcher's cancellations and an engineer's time off, read back as the
library's :class:`~scheduler.day_state.DayState` through the state file
(``scheduler.formats.state_file``), so that the service re-plans the day the command line
would from the same file.

Stored times are naive UTC (``api.db.models.utcnow``); clock times come in and go out on the
day's clock in the centres' time zone (:func:`day_clock`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.db.models import EngineerDay, ServiceCentre, Visit, utcnow
from api.schemas import VisitStatus
from scheduler.day_state import DayState
from scheduler.domain import Location, Problem
from scheduler.formats.clock import DayClock, zone
from scheduler.formats.state_file import state_from_json

__all__ = [
    "cancel_visit",
    "day_clock",
    "engineer_day",
    "instant",
    "local_date",
    "off_roads",
    "record_report",
    "set_off",
    "set_position",
    "state_document",
    "state_of",
]

FROZEN = frozenset({VisitStatus.STARTED, VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE})
"""Visits a manual move may not touch: under way or finished."""
GONE = frozenset({VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE, VisitStatus.CANCELLED})
"""Visits no plan serves again."""


def off_roads(settings: Settings, lat: float, lon: float) -> str | None:
    """Why a position is unusable on the server's road network (farther from its roads
    than ``max_snap_m``); None when it is fine, or when the server plans without roads."""
    if settings.road_network is None:
        return None
    from scheduler.errors import NetworkError
    from scheduler.network import shared_network, snap_locations

    try:
        snap_locations(
            shared_network(settings.road_network),
            [Location("position", lat, lon)],
            max_distance_m=settings.max_snap_m,
        )
    except NetworkError as e:
        return f"is off the road network: {e}"
    return None


def day_clock(session: Session, centre_id: str, date: dt.date) -> DayClock:
    """The clock of ``date`` in the time zone of the service centre."""
    centre = session.get(ServiceCentre, centre_id)
    return DayClock(date, zone(centre.timezone) if centre is not None else None)


def local_date(session: Session, centre_id: str, moment: dt.datetime) -> dt.date:
    """The date of the naive-UTC ``moment`` in the centre's time zone."""
    centre = session.get(ServiceCentre, centre_id)
    tz = zone(centre.timezone) if centre is not None else dt.UTC
    return moment.replace(tzinfo=dt.UTC).astimezone(tz).date()


def instant(clock: DayClock, text: str) -> dt.datetime:
    """``text`` ("HH:MM" on the clock's day, or ISO 8601) as a naive UTC instant;
    ``ValueError`` says why not."""
    seconds = clock.seconds(text)
    return dt.datetime.fromisoformat(clock.iso(seconds)).astimezone(dt.UTC).replace(tzinfo=None)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=dt.UTC).isoformat()


def engineer_day(session: Session, engineer_id: str, date: dt.date) -> EngineerDay:
    """The engineer's row for ``date``, added (and flushed) when there is none yet."""
    row = session.get(EngineerDay, (engineer_id, date))
    if row is None:
        row = EngineerDay(engineer_id=engineer_id, date=date, updated_at=utcnow())
        session.add(row)
        session.flush()
    return row


def set_position(
    session: Session,
    engineer_id: str,
    date: dt.date,
    lat: float,
    lon: float,
    seen_at: dt.datetime,
) -> EngineerDay:
    """The engineer was at (lat, lon) at ``seen_at`` (naive UTC) on ``date``; an older
    report than the one stored changes nothing."""
    row = engineer_day(session, engineer_id, date)
    if row.seen_at is None or seen_at >= row.seen_at:
        row.lat, row.lon, row.seen_at = lat, lon, seen_at
        row.updated_at = utcnow()
    return row


def set_off(
    session: Session, engineer_id: str, date: dt.date, off_from: dt.datetime | None
) -> EngineerDay:
    """The engineer is off from ``off_from`` (naive UTC) on ``date``; None: not off."""
    row = engineer_day(session, engineer_id, date)
    row.off_from = off_from
    row.updated_at = utcnow()
    return row


def record_report(
    session: Session,
    visit: Visit,
    status: VisitStatus,
    at: dt.datetime,
    engineer_id: str,
    position: tuple[float, float] | None,
) -> None:
    """What a status report says beyond the status: ``started`` is the visit's actual start,
    ``done`` and ``cannot_complete`` its actual end (naive UTC ``at``); a position is the
    engineer's at ``at``."""
    if status is VisitStatus.STARTED:
        visit.actual_start = at
    elif status in (VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE):
        visit.actual_end = at
    if position is not None:
        set_position(session, engineer_id, visit.date, position[0], position[1], at)


def cancel_visit(visit: Visit, note: str) -> None:
    """A dispatcher cancels the visit: no plan serves it again."""
    visit.status = VisitStatus.CANCELLED.value
    visit.status_changed_at = utcnow()
    if note:
        visit.status_note = note


def state_document(
    session: Session, problem: Problem, engineer_ids: Collection[str] | None = None
) -> dict[str, Any]:
    """The day's state as a state file document (times ISO 8601): each visit of ``problem``
    that is not pending, each engineer with a position or time off that day."""
    visit_ids = [v.id for v in problem.visits]
    visits: dict[str, Any] = {}
    rows = session.execute(
        select(Visit.id, Visit.status, Visit.actual_start, Visit.actual_end).where(
            Visit.id.in_(visit_ids)
        )
    )
    for vid, state, start, end in rows:
        entry: dict[str, Any] = {"status": state}
        if start is not None:
            entry["actual_start"] = _iso(start)
        if end is not None:
            entry["actual_end"] = _iso(end)
        if state != VisitStatus.PENDING or len(entry) > 1:
            visits[vid] = entry
    ids = list(engineer_ids) if engineer_ids is not None else [e.id for e in problem.engineers]
    engineers: dict[str, Any] = {}
    for row in session.scalars(
        select(EngineerDay).where(
            EngineerDay.engineer_id.in_(ids), EngineerDay.date == problem.date
        )
    ):
        entry = {}
        if row.lat is not None and row.lon is not None:
            entry["position"] = {"lat": row.lat, "lon": row.lon}
            entry["seen_at"] = _iso(row.seen_at)
        if row.off_from is not None:
            entry["off_from"] = _iso(row.off_from)
        if entry:
            engineers[row.engineer_id] = entry
    return {"visits": dict(sorted(visits.items())), "engineers": dict(sorted(engineers.items()))}


def state_of(problem: Problem, document: dict[str, Any]) -> DayState:
    """The :class:`DayState` of a state document for ``problem``'s day (``InputFormatError``
    naming what does not fit it)."""
    return state_from_json(problem, json.dumps(document))
