"""An engineer's day from the published plan: JSON for the phone, iCalendar for calendars."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select

from api.calendar import schedule_ics
from api.db.models import Engineer, ServiceCentre, Visit, utcnow
from api.deps import PrincipalDep, SessionDep
from api.planning import published_plan_for, route_of
from api.routes.centres import centre_out
from api.routes.common import ERRORS, PathId, not_found
from api.routes.engineers import check_self_or_staff
from api.schemas import (
    ScheduleBreakOut,
    ScheduleOut,
    ScheduleStopOut,
    VisitKind,
    VisitStatus,
)

router = APIRouter(prefix="/engineers", tags=["engineer schedule"], responses=ERRORS)

DateQuery = Annotated[
    dt.date,
    Query(description="The day, YYYY-MM-DD.", ge=dt.date(1970, 1, 1), le=dt.date(2999, 12, 31)),
]


def navigation_url(lat: float, lon: float) -> str:
    """A link that opens turn-by-turn directions to a point in the phone's maps app."""
    return f"https://www.google.com/maps/dir/?api=1&destination={quote(f'{lat},{lon}')}"


def _stop(order: int, stop: dict[str, Any], visit: Visit | None) -> ScheduleStopOut:
    details: dict[str, Any] = stop.get("details", {})
    lat = float(details.get("lat", visit.lat if visit else 0.0))
    lon = float(details.get("lon", visit.lon if visit else 0.0))
    return ScheduleStopOut(
        order=order,
        visit_id=stop["visit_id"],
        kind=VisitKind(visit.kind) if visit else VisitKind.HOME_SERVICE,
        status=VisitStatus(visit.status) if visit else VisitStatus.PENDING,
        arrival=stop["arrival"],
        start=stop["start"],
        end=stop["end"],
        travel_from_previous_s=stop.get("travel_from_previous_s", 0),
        address=str(details.get("address", "")),
        lat=lat,
        lon=lon,
        job_type=str(details.get("job_type", "")),
        customer_name=str(details.get("customer", "")),
        customer_phone=str(details.get("phone", "")),
        notes=str(details.get("notes", "")),
        navigation_url=navigation_url(lat, lon),
    )


def build_schedule(
    session: SessionDep, principal: PrincipalDep, engineer_id: str, date: dt.date
) -> ScheduleOut:
    check_self_or_staff(principal, engineer_id)
    engineer = session.get(Engineer, engineer_id)
    if engineer is None:
        raise not_found("engineer", engineer_id)
    plan = published_plan_for(session, engineer.service_centre_id, date)
    if plan is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no plan is published for service centre {engineer.service_centre_id!r} "
            f"on {date.isoformat()}",
        )
    route = route_of(plan, engineer_id)
    if route is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"engineer {engineer_id!r} is not in plan {plan.id} published for {date.isoformat()}",
        )
    centre = session.get(ServiceCentre, engineer.service_centre_id)
    assert centre is not None  # foreign key
    ids = [s["visit_id"] for s in route["stops"]]
    visits = {v.id: v for v in session.scalars(select(Visit).where(Visit.id.in_(ids)))}
    result = plan.result or {}
    return ScheduleOut.model_validate(
        {
            "engineer_id": engineer_id,
            "engineer_name": engineer.name,
            "date": date,
            "plan_id": plan.id,
            "timezone": result.get("timezone"),
            "departure": route["departure"],
            "return": route["return"],
            "service_centre": centre_out(centre),
            "stops": [
                _stop(i, s, visits.get(s["visit_id"])) for i, s in enumerate(route["stops"], 1)
            ],
            "breaks": [ScheduleBreakOut(start=b["start"], end=b["end"]) for b in route["breaks"]],
        }
    )


@router.get("/{engineer_id}/schedule", response_model_by_alias=True)
def get_schedule(
    engineer_id: PathId, date: DateQuery, session: SessionDep, principal: PrincipalDep
) -> ScheduleOut:
    """Ordered stops with ETAs, addresses, job details, contacts and navigation links.

    From the plan published for the engineer's centre and day; an engineer token sees only
    its own engineer (403 otherwise), dispatchers and planners see anyone.
    """
    return build_schedule(session, principal, engineer_id, date)


@router.get(
    "/{engineer_id}/schedule.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar file."}},
)
def get_schedule_ics(
    engineer_id: PathId, date: DateQuery, session: SessionDep, principal: PrincipalDep
) -> Response:
    """The same schedule as an iCalendar file for calendar apps."""
    schedule = build_schedule(session, principal, engineer_id, date)
    return Response(
        schedule_ics(schedule, stamp=utcnow().replace(tzinfo=dt.UTC)),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{engineer_id}-{date.isoformat()}.ics"'
        },
    )
