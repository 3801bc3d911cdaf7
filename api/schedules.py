"""An engineer's day of a published plan as the phone and calendars read it, rendered once
when the plan is published and kept (``api.store.schedules``) with an ETag, so that a read
is one query and no recomputation. Re-rendered whenever what the day shows changes: a visit
on it reports progress, is cancelled or is deleted (it leaves the day); a new version
published in its place (a re-plan, an applied move) drops it and renders its own."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable
from urllib.parse import quote

from sqlalchemy.orm import Session

from api.db.models import Engineer, ServiceCentre
from api.schemas import (
    CrewMateOut,
    ScheduleBreakOut,
    ScheduleChangeOut,
    ScheduleOut,
    ScheduleStopOut,
    ServiceCentreOut,
    VisitKind,
    VisitStatus,
)
from api.store.plans import EngineerDay, PlanDataError, ScheduledStop, SolvedPlan, SolvedPlans
from api.store.schedules import save_schedule
from api.store.versions import CANCELLED, current_statuses, stop_changes


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
        windows=[
            ScheduleBreakOut(start=day.iso(w.start), end=day.iso(w.end))
            for w in stop.visit.time_windows
        ],
    )


def render_schedule(
    session: Session, solved: SolvedPlan, engineer: Engineer, date: dt.date
) -> ScheduleOut | None:
    """The engineer's day in ``solved``; None when the engineer is not in it. A visit
    cancelled or deleted since the plan was made has left the day."""
    day = solved.day_of(engineer.id)
    if day is None:
        return None
    statuses = current_statuses(session, [s.visit.id for s in day.stops])
    stops = [s for s in day.stops if statuses.get(s.visit.id, CANCELLED) is not CANCELLED]
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
            "stops": [stop_out(i, s, statuses[s.visit.id], day) for i, s in enumerate(stops, 1)],
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


def rerender_showing(
    session: Session, plans: SolvedPlans, visits: Iterable[tuple[str, dt.date, str]]
) -> int:
    """Re-render the kept days of the published plans that show one of ``visits`` (each
    its centre, day and id; read before a deletion): of the engineers serving it. Call it
    after the change is flushed; how many days were kept."""
    engineers: dict[int, tuple[SolvedPlan, dt.date, set[str]]] = {}
    for centre_id, date, visit_id in visits:
        try:
            solved = plans.published(session, centre_id, date)
        except PlanDataError:
            continue  # a plan that no longer reads back shows nobody anything
        if solved is None:
            continue
        entry = engineers.setdefault(solved.plan_id, (solved, date, set()))
        entry[2].update(solved.engineers_serving(visit_id))
    return sum(
        publish_schedules(session, solved, date, ids)
        for solved, date, ids in engineers.values()
        if ids
    )


def with_changes(
    session: Session, plans: SolvedPlans, schedule: ScheduleOut, since: int
) -> ScheduleOut:
    """``schedule`` (a kept day) with ``changes``: which of its stops were added, removed
    or moved against the engineer's route in plan ``since``. Computed at read time, so
    that the kept day stays one document for every client."""
    solved = plans.get(session, schedule.plan_id)
    day = None if solved is None else solved.day_of(schedule.engineer_id)
    if day is None:
        return schedule
    shown = {s.visit_id for s in schedule.stops}
    stops = [s for s in day.stops if s.visit.id in shown]
    changes = stop_changes(session, plans, schedule.engineer_id, since, day, stops)
    return schedule.model_copy(
        update={"changes": [ScheduleChangeOut.model_validate(c) for c in changes]}
    )
