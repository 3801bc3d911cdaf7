"""The audit trail, for dispatchers: who did what to which resource and when."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import Dispatcher, SessionDep
from api.routes.common import ERRORS, IdQuery, Page
from api.schemas import UtcTime
from api.store.audit import AuditFilter, list_events

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERRORS)

Action = Literal[
    "create",
    "change",
    "delete",
    "plan",
    "cancel",
    "publish",
    "unpublish",
    "status",
    "revoke",
    "replan",
    "apply",
    "position",
    "off",
]
Resource = Literal[
    "service_centre",
    "engineer",
    "visit",
    "visits",
    "plan",
    "simulation",
    "upload",
    "token",
    "calendar_feed",
]


class AuditEventOut(BaseModel):
    id: int
    at: UtcTime
    token_id: int | None
    role: str
    action: str
    resource: str
    resource_id: str
    detail: dict[str, object]


@router.get("")
def list_audit(
    session: SessionDep,
    _: Dispatcher,
    page: Page,
    action: Action | None = None,
    resource: Resource | None = None,
    resource_id: IdQuery = None,
    token_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    role: Literal["dispatcher", "planner", "engineer"] | None = None,
    since: Annotated[dt.datetime | None, Query(description="From this time, UTC.")] = None,
    until: Annotated[dt.datetime | None, Query(description="Before this time, UTC.")] = None,
) -> list[AuditEventOut]:
    """Audit events, newest first, filtered by action, resource, token, role and time; a
    list cut at ``limit`` says where the next page starts (``X-Next-Offset``, ``Link``).
    The trail is append-only: nothing changes or deletes an event."""
    where = AuditFilter(
        action=action,
        resource=resource,
        resource_id=resource_id,
        token_id=token_id,
        role=role,
        since=_naive_utc(since),
        until=_naive_utc(until),
    )
    rows = list_events(session, where, limit=page.limit + 1, offset=page.offset)
    return [AuditEventOut.model_validate(r, from_attributes=True) for r in page.cut(rows)]


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)
