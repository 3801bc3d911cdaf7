"""An engineer's day from the published plan: JSON for the phone, iCalendar for calendars.

Both are answered from the day rendered when the plan was published (``api.schedules``):
one query, an ``ETag``, and ``304 Not Modified`` for a client that has the current one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from api.calendar import schedule_ics
from api.db.models import Engineer, utcnow
from api.deps import BearerDep, PrincipalDep, SessionDep, SolvedPlansDep, authenticate
from api.routes.common import ERRORS, PathId, conflict, not_found
from api.routes.engineers import check_self_or_staff
from api.schedules import keep_schedule, render_schedule, schedule_document, with_changes
from api.schemas import ScheduleOut
from api.schemas_day import ChangedSince
from api.store.plans import PlanDataError, SolvedPlans
from api.store.schedules import StoredSchedule, stored_schedule

router = APIRouter(prefix="/engineers", tags=["engineer schedule"], responses=ERRORS)

DateQuery = Annotated[
    dt.date,
    Query(description="The day, YYYY-MM-DD.", ge=dt.date(1970, 1, 1), le=dt.date(2999, 12, 31)),
]

CACHE_CONTROL = "private, no-cache"
"""Clients may keep a schedule but ask again (with If-None-Match) before using it."""


def build_schedule(
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
    engineer_id: str,
    date: dt.date,
) -> ScheduleOut:
    """The engineer's day in the plan published for their centre and ``date``, rendered
    from the plan (and kept, for the next read).

    404 without a published plan or when the engineer is not in it. A visit cancelled or
    deleted since leaves the day; 409 when the stored plan no longer reads back.
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
        schedule = render_schedule(session, solved, engineer, date)
        if schedule is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"engineer {engineer_id!r} is not in plan {solved.plan_id} published for "
                f"{date.isoformat()}",
            )
    except PlanDataError as e:
        raise conflict(str(e)) from None
    return schedule


def published_schedule(
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
    engineer_id: str,
    date: dt.date,
) -> StoredSchedule:
    """The kept day (one query); rendered and kept now when it is not yet (a plan published
    before schedules were kept), with the 404s and 409 of :func:`build_schedule`."""
    check_self_or_staff(principal, engineer_id)
    kept = stored_schedule(session, engineer_id, date)
    if kept is not None:
        return kept
    schedule = build_schedule(session, plans, principal, engineer_id, date)
    body, etag = keep_schedule(session, schedule)
    session.commit()
    return StoredSchedule(schedule.plan_id, body, etag)


def not_modified(request: Request, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``etag`` (or is ``*``)."""
    sent = request.headers.get("if-none-match")
    if not sent:
        return False
    tags = {t.strip().removeprefix("W/") for t in sent.split(",")}
    return etag in tags or "*" in tags


def cached_response(
    request: Request, etag: str, content: bytes | str, media_type: str, **headers: str
) -> Response:
    """``content`` with its ETag, or an empty 304 when the client has it already."""
    common = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **headers}
    if not_modified(request, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=common)
    return Response(content, media_type=media_type, headers=common)


@router.get(
    "/{engineer_id}/schedule",
    response_model=ScheduleOut,
    response_model_by_alias=True,
    responses={304: {"description": "Not modified: the If-None-Match ETag is current."}},
)
async def get_schedule(
    engineer_id: PathId,
    date: DateQuery,
    request: Request,
    credentials: BearerDep,
    changed_since: ChangedSince = None,
) -> Response:
    """Ordered stops with ETAs, appointment windows, addresses, job details, contacts and
    navigation links; with ``changed_since``, what changed since that plan version.

    From the plan published for the engineer's centre and day; an engineer token sees only
    its own engineer (403 otherwise), dispatchers and planners see anyone. A cancelled or
    deleted visit leaves the day. Rendered once at publish (and again when a visit on it
    reports progress, is cancelled or deleted): send the ``ETag`` back in ``If-None-Match``
    to get a 304 while it has not changed. With ``changed_since`` the changes are computed
    at read time and the ETag is that body's own.
    """
    # The hot read: authentication and the one query in a single worker-thread call (each
    # sync dependency would be a thread hop of its own).
    return await run_in_threadpool(
        _read_schedule, request, credentials, engineer_id, date, changed_since
    )


def _read_schedule(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    engineer_id: str,
    date: dt.date,
    changed_since: int | None = None,
) -> Response:
    plans: SolvedPlans = request.app.state.solved_plans
    with request.app.state.sessions() as session:
        principal = authenticate(request, session, credentials)
        kept = published_schedule(session, plans, principal, engineer_id, date)
        if changed_since is None:
            return cached_response(request, kept.etag, kept.body, "application/json")
        try:
            schedule = with_changes(
                session, plans, ScheduleOut.model_validate_json(kept.body), changed_since
            )
        except PlanDataError as e:
            raise conflict(str(e)) from None
    body, etag = schedule_document(schedule)
    return cached_response(request, etag, body, "application/json")


@router.get(
    "/{engineer_id}/schedule.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar file."},
        304: {"description": "Not modified: the If-None-Match ETag is current."},
    },
)
def get_schedule_ics(
    engineer_id: PathId,
    date: DateQuery,
    request: Request,
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
) -> Response:
    """The same schedule as an iCalendar file for calendar apps (with an ETag too)."""
    kept = published_schedule(session, plans, principal, engineer_id, date)
    etag = kept.etag[:-1] + '-ics"'
    disposition = f'attachment; filename="{engineer_id}-{date.isoformat()}.ics"'
    if not_modified(request, etag):
        return cached_response(request, etag, b"", "text/calendar")
    schedule = ScheduleOut.model_validate_json(kept.body)
    return cached_response(
        request,
        etag,
        schedule_ics([schedule], stamp=utcnow().replace(tzinfo=dt.UTC)),
        "text/calendar; charset=utf-8",
        **{"Content-Disposition": disposition},
    )
