"""Engineers' published schedules, rendered once and kept: the rows ``GET
/engineers/{id}/schedule`` answers from, with their ETags (see ``api/schedules.py``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db.models import PublishedSchedule, utcnow


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    plan_id: int
    body: str
    etag: str


def save_schedule(
    session: Session, plan_id: int, engineer_id: str, date: dt.date, body: str, etag: str
) -> None:
    """Keep (or replace) the engineer's rendered day of plan ``plan_id``."""
    row = session.get(PublishedSchedule, (plan_id, engineer_id))
    if row is None:
        session.add(
            PublishedSchedule(
                plan_id=plan_id, engineer_id=engineer_id, date=date, body=body, etag=etag
            )
        )
    else:
        row.body, row.etag, row.rendered_at = body, etag, utcnow()


def stored_schedule(session: Session, engineer_id: str, date: dt.date) -> StoredSchedule | None:
    """The engineer's kept day on ``date`` (of the newest plan, should there be two)."""
    row = session.execute(
        select(PublishedSchedule.plan_id, PublishedSchedule.body, PublishedSchedule.etag)
        .where(PublishedSchedule.engineer_id == engineer_id, PublishedSchedule.date == date)
        .order_by(PublishedSchedule.plan_id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else StoredSchedule(row.plan_id, row.body, row.etag)


def stored_schedules_between(
    session: Session, engineer_id: str, first: dt.date, last: dt.date
) -> list[StoredSchedule]:
    """The engineer's kept days from ``first`` to ``last`` (inclusive), by day."""
    rows = session.execute(
        select(PublishedSchedule.plan_id, PublishedSchedule.body, PublishedSchedule.etag)
        .where(
            PublishedSchedule.engineer_id == engineer_id,
            PublishedSchedule.date >= first,
            PublishedSchedule.date <= last,
        )
        .order_by(PublishedSchedule.date, PublishedSchedule.plan_id)
    )
    return [StoredSchedule(r.plan_id, r.body, r.etag) for r in rows]


def drop_schedules(session: Session, plan_id: int) -> None:
    """Forget the rendered days of plan ``plan_id`` (it was unpublished)."""
    session.execute(delete(PublishedSchedule).where(PublishedSchedule.plan_id == plan_id))
