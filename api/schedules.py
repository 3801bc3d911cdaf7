"""An engineer's day of a published plan as the phone and calendars read it, rendered once
when the plan is published and kept (``api.store.schedules``) with an ETag, so that a read
is one query and no recomputation; re-rendered when a visit on it reports progress."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from urllib.parse import quote

from sqlalchemy.orm import Session

from api.db.models import Engineer, ServiceCentre
from api.schemas import (
    CrewMateOut,
    ScheduleBreakOut,
    ScheduleOut,
    ScheduleStopOut,
    ServiceCentreOut,
    VisitKind,
    VisitStatus,
)
from api.store.plans import EngineerDay, ScheduledStop, SolvedPlan, visit_statuses
from api.store.schedules import save_schedule


def navigation_url(lat: float, lon: float) -> str:
    """A link that opens turn-by-turn directions to a point in the phone's maps app."""
    return f"https://www.google.com/maps/dir/?api=1&destination={quote(f'{lat},{lon}')}"


def stop_out(
    order: int, stop: ScheduledStop, visit_status: VisitStatus, day: EngineerDay
) -> ScheduleStopOut:
    """Stop number ``order`` of ``day``, at the visit's own coordinates."""
    details, where = stop.details, stop.location
    return ScheduleStopOut(
        order=order,
        visit_id=stop.visit.id,
        crew_member=stop.times.crew_member,
        crew_mates=[
            CrewMateOut(
                engineer_id=eid,
                engineer_name=name,
                crew_member=member,
                arrival=day.iso(arrival),
                start=day.iso(start),
            )
            for eid, name, member, arrival, start in stop.mates
        ],
        kind=VisitKind(stop.visit.kind.value),
        status=visit_status,
        arrival=day.iso(stop.times.arrival),
        start=day.iso(stop.times.start),
        end=day.iso(stop.times.end),
        travel_from_previous_s=stop.travel_from_previous_s,
        address=details.address,
        lat=where.lat,
        lon=where.lon,
        job_type=details.job_type,
        customer_name=details.customer_name,
        customer_phone=details.customer_phone,
        notes=details.notes,
        navigation_url=navigation_url(where.lat, where.lon),
    )


def render_schedule(
    session: Session, solved: SolvedPlan, engineer: Engineer, date: dt.date
) -> ScheduleOut | None:
    """The engineer's day in ``solved``; None when the engineer is not in it.

    Raises ``PlanDataError`` when a visit on it was deleted since the plan was made.
    """
    day = solved.day_of(engineer.id)
    if day is None:
        return None
    statuses = visit_statuses(session, day.plan_id, [s.visit.id for s in day.stops])
    centre = session.get(ServiceCentre, engineer.service_centre_id)
    assert centre is not None  # foreign key
    return ScheduleOut.model_validate(
        {
            "engineer_id": engineer.id,
            "engineer_name": engineer.name,
            "date": date,
            "plan_id": day.plan_id,
            "timezone": day.timezone,
            "departure": day.iso(day.route.departure),
            "return": day.iso(day.route.return_),
            "service_centre": ServiceCentreOut.model_validate(centre),
            "stops": [
                stop_out(i, s, statuses[s.visit.id], day) for i, s in enumerate(day.stops, 1)
            ],
            "breaks": [
                ScheduleBreakOut(start=day.iso(b.start), end=day.iso(b.end))
                for b in day.route.breaks
            ],
        }
    )


def schedule_document(schedule: ScheduleOut) -> tuple[str, str]:
    """The schedule's JSON text as sent, and its (strong) ETag."""
    body = schedule.model_dump_json(by_alias=True)
    return body, f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'


def keep_schedule(session: Session, schedule: ScheduleOut) -> tuple[str, str]:
    """Store the rendered schedule; its JSON text and ETag."""
    body, etag = schedule_document(schedule)
    save_schedule(session, schedule.plan_id, schedule.engineer_id, schedule.date, body, etag)
    return body, etag


def publish_schedules(
    session: Session,
    solved: SolvedPlan,
    date: dt.date,
    engineer_ids: Collection[str] | None = None,
) -> int:
    """Render and keep the day of every engineer with a route in ``solved`` (or of those in
    ``engineer_ids``); how many were kept. Engineers deleted since are skipped."""
    wanted = [r.engineer_id for r in solved.plan.routes]
    if engineer_ids is not None:
        wanted = [e for e in wanted if e in engineer_ids]
    kept = 0
    for engineer_id in wanted:
        engineer = session.get(Engineer, engineer_id)
        if engineer is None:
            continue
        schedule = render_schedule(session, solved, engineer, date)
        if schedule is not None:
            keep_schedule(session, schedule)
            kept += 1
    return kept
