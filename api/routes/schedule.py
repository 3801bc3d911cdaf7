"""An engineer's day from the published plan: JSON for the phone, iCalendar for calendars."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Response, status

from api.calendar import schedule_ics
from api.db.models import Engineer, ServiceCentre, utcnow
from api.deps import PrincipalDep, SessionDep, SolvedPlansDep
from api.routes.centres import centre_out
from api.routes.common import ERRORS, PathId, conflict, not_found
from api.routes.engineers import check_self_or_staff
from api.schemas import (
    CrewMateOut,
    ScheduleBreakOut,
    ScheduleOut,
    ScheduleStopOut,
    VisitKind,
    VisitStatus,
)
from api.store.plans import EngineerDay, PlanDataError, ScheduledStop, visit_statuses

router = APIRouter(prefix="/engineers", tags=["engineer schedule"], responses=ERRORS)

DateQuery = Annotated[
    dt.date,
    Query(description="The day, YYYY-MM-DD.", ge=dt.date(1970, 1, 1), le=dt.date(2999, 12, 31)),
]


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


def build_schedule(
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
    engineer_id: str,
    date: dt.date,
) -> ScheduleOut:
    """The engineer's day in the plan published for their centre and ``date``.

    404 without a published plan or when the engineer is not in it; 409 when a visit on it
    was deleted since it was made (it needs a new plan).
    """
    check_self_or_staff(principal, engineer_id)
    engineer = session.get(Engineer, engineer_id)
    if engineer is None:
        raise not_found("engineer", engineer_id)
    try:
        solved = plans.published(session, engineer.service_centre_id, date)
        if solved is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"no plan is published for service centre {engineer.service_centre_id!r} "
                f"on {date.isoformat()}",
            )
        day = solved.day_of(engineer_id)
        if day is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"engineer {engineer_id!r} is not in plan {solved.plan_id} published for "
                f"{date.isoformat()}",
            )
        statuses = visit_statuses(session, day.plan_id, [s.visit.id for s in day.stops])
    except PlanDataError as e:
        raise conflict(str(e)) from None
    centre = session.get(ServiceCentre, engineer.service_centre_id)
    assert centre is not None  # foreign key
    return ScheduleOut.model_validate(
        {
            "engineer_id": engineer_id,
            "engineer_name": engineer.name,
            "date": date,
            "plan_id": day.plan_id,
            "timezone": day.timezone,
            "departure": day.iso(day.route.departure),
            "return": day.iso(day.route.return_),
            "service_centre": centre_out(centre),
            "stops": [
                stop_out(i, s, statuses[s.visit.id], day) for i, s in enumerate(day.stops, 1)
            ],
            "breaks": [
                ScheduleBreakOut(start=day.iso(b.start), end=day.iso(b.end))
                for b in day.route.breaks
            ],
        }
    )


@router.get("/{engineer_id}/schedule", response_model_by_alias=True)
def get_schedule(
    engineer_id: PathId,
    date: DateQuery,
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
) -> ScheduleOut:
    """Ordered stops with ETAs, addresses, job details, contacts and navigation links.

    From the plan published for the engineer's centre and day; an engineer token sees only
    its own engineer (403 otherwise), dispatchers and planners see anyone.
    """
    return build_schedule(session, plans, principal, engineer_id, date)


@router.get(
    "/{engineer_id}/schedule.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar file."}},
)
def get_schedule_ics(
    engineer_id: PathId,
    date: DateQuery,
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
) -> Response:
    """The same schedule as an iCalendar file for calendar apps."""
    schedule = build_schedule(session, plans, principal, engineer_id, date)
    return Response(
        schedule_ics(schedule, stamp=utcnow().replace(tzinfo=dt.UTC)),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{engineer_id}-{date.isoformat()}.ics"'
        },
    )
