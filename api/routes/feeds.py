"""Calendar subscriptions: a read-only feed token per engineer, in a URL a calendar app can
subscribe to (``/calendar/{token}.ics``: no header needed), covering today and the coming
days of published schedules. Feeds are created, listed and revoked like other tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth import FEED_ROLE, Role, TokenError, create_feed_token, feed_engineer
from api.calendar import schedule_ics
from api.db.models import ApiToken, Engineer, utcnow
from api.deps import (
    PrincipalDep,
    SessionDep,
    SettingsDep,
    authentication_failed,
    check_not_throttled,
)
from api.lifecycle import today
from api.routes.common import ERRORS, PathId, actor, get_or_404, not_found
from api.routes.engineers import check_self_or_staff
from api.routes.schedule import cached_response, not_modified
from api.schemas import Name, ScheduleOut, UtcTime
from api.store import audit
from api.store.schedules import stored_schedules_between

router = APIRouter(tags=["calendar feeds"], responses=ERRORS)

FeedId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FeedToken = Annotated[str, Path(pattern=r"^frcal_[A-Za-z0-9_-]{20,80}$", max_length=100)]


class CalendarFeedIn(BaseModel):
    name: Name = Field(default="", description="A label to recognise the feed by.")


class CalendarFeedOut(BaseModel):
    id: int
    engineer_id: str
    name: str
    created_at: UtcTime
    revoked: bool


class CalendarFeedCreatedOut(CalendarFeedOut):
    url: str = Field(description="Subscribe to this in a calendar app; shown only now.")


def _feed_out(row: ApiToken) -> CalendarFeedOut:
    assert row.engineer_id is not None
    return CalendarFeedOut(
        id=row.id,
        engineer_id=row.engineer_id,
        name=row.name,
        created_at=row.created_at,
        revoked=row.revoked,
    )


@router.post("/engineers/{engineer_id}/calendar-feeds", status_code=status.HTTP_201_CREATED)
def create_feed(
    engineer_id: PathId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: CalendarFeedIn | None = None,
) -> CalendarFeedCreatedOut:
    """A new calendar feed of the engineer (by a dispatcher, or the engineer themself); its
    URL is shown only in this answer."""
    check_self_or_staff(principal, engineer_id)
    if principal.role is Role.PLANNER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a dispatcher or the engineer creates feeds")
    try:
        feed_id, token = create_feed_token(
            session, engineer_id, name=body.name if body is not None else ""
        )
    except TokenError:
        raise not_found("engineer", engineer_id) from None
    audit.record(
        session, actor(principal), "create", "calendar_feed", feed_id, engineer=engineer_id
    )
    session.commit()
    row = session.get(ApiToken, feed_id)
    assert row is not None
    url = str(request.url_for("calendar_feed", token=token))
    return CalendarFeedCreatedOut(**_feed_out(row).model_dump(), url=url)


@router.get("/engineers/{engineer_id}/calendar-feeds")
def list_feeds(
    engineer_id: PathId, session: SessionDep, principal: PrincipalDep
) -> list[CalendarFeedOut]:
    """The engineer's calendar feeds (never their URLs), oldest first."""
    check_self_or_staff(principal, engineer_id)
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.engineer_id == engineer_id, ApiToken.role == FEED_ROLE)
        .order_by(ApiToken.id)
    )
    return [_feed_out(r) for r in rows]


@router.delete(
    "/engineers/{engineer_id}/calendar-feeds/{feed_id}", status_code=status.HTTP_204_NO_CONTENT
)
def revoke_feed(
    engineer_id: PathId, feed_id: FeedId, session: SessionDep, principal: PrincipalDep
) -> None:
    """Revoke a feed: its URL answers 401 from now on."""
    check_self_or_staff(principal, engineer_id)
    row = get_or_404(session, ApiToken, feed_id, "calendar feed")
    if row.role != FEED_ROLE or row.engineer_id != engineer_id:
        raise not_found("calendar feed", feed_id)
    row.revoked = True
    audit.record(session, actor(principal), "revoke", "calendar_feed", feed_id)
    session.commit()


@router.get(
    "/calendar/{token}.ics",
    name="calendar_feed",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar feed."},
        304: {"description": "Not modified: the If-None-Match ETag is current."},
        429: {"description": "Too many failed attempts from this address."},
    },
)
def calendar_feed(
    token: FeedToken, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The engineer's published schedules from today for ``feed_days`` days, for a calendar
    app to subscribe to; the token in the path is the only credential (401 when unknown or
    revoked; 429 after too many failures from one address)."""
    check_not_throttled(request)
    found = feed_engineer(session, token)
    if found is None:
        raise authentication_failed(request, "unknown or revoked calendar feed")
    _, engineer_id = found
    engineer = session.get(Engineer, engineer_id)
    if engineer is None:
        raise authentication_failed(request, "unknown or revoked calendar feed")
    first = today()
    last = first + dt.timedelta(days=settings.feed_days - 1)
    kept = stored_schedules_between(session, engineer_id, first, last)
    etag = '"' + hashlib.sha256("".join(k.etag for k in kept).encode()).hexdigest()[:32] + '"'
    if not_modified(request, etag):
        return cached_response(request, etag, b"", "text/calendar")
    schedules = [ScheduleOut.model_validate_json(k.body) for k in kept]
    ics = schedule_ics(
        schedules,
        stamp=utcnow().replace(tzinfo=dt.UTC),
        name=f"fieldroute: {engineer.name or engineer.id}",
    )
    return cached_response(request, etag, ics, "text/calendar; charset=utf-8")
