"""The audit trail: one append-only row per change, saying who (token id and role) did what
to which resource and when. Written in the same transaction as the change it records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import AuditEvent

ACTIONS = (
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
)
"""What an audit event may record; ``status`` is an engineer reporting a visit's progress,
``revoke`` a token revoked (by a dispatcher or as the effect of deleting its engineer),
``replan`` a re-plan of a published plan requested, ``apply`` manual moves stored as a new
plan version, ``position`` an engineer's position reported, ``off`` an engineer sent off
(or back) for the rest of a day; ``cancel`` is also a customer's visit cancelled."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: the token's id (None for the command line) and role."""

    token_id: int | None
    role: str


def record(
    session: Session,
    actor: Actor,
    action: str,
    resource: str,
    resource_id: str | int,
    **detail: Any,
) -> None:
    """Add the event to ``session`` (the caller commits it with the change)."""
    assert action in ACTIONS, action
    session.add(
        AuditEvent(
            token_id=actor.token_id,
            role=actor.role,
            action=action,
            resource=resource,
            resource_id=str(resource_id)[:64],
            detail=detail,
        )
    )


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which events to list: every given condition holds."""

    action: str | None = None
    resource: str | None = None
    resource_id: str | None = None
    token_id: int | None = None
    role: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def list_events(
    session: Session, where: AuditFilter, *, limit: int, offset: int
) -> Sequence[AuditEvent]:
    """Events matching ``where``, newest first, ``limit`` from ``offset``."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    for column, value in (
        (AuditEvent.action, where.action),
        (AuditEvent.resource, where.resource),
        (AuditEvent.resource_id, where.resource_id),
        (AuditEvent.token_id, where.token_id),
        (AuditEvent.role, where.role),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.at < where.until)
    return session.scalars(query.limit(limit).offset(offset)).all()
