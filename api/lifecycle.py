"""What deleting or deactivating does to the plans and tokens that refer to it.

An engineer who is on a published plan of a day not yet over (the plan's day is today or
later, UTC) cannot be deleted or deactivated: the answer is a 409 naming the plan, to be
unpublished (and re-planned) first, so that no engineer's published schedule ever shows a
colleague that no longer exists. Once an engineer is deleted or deactivated, every token of
theirs (API and calendar feed) is revoked. A visit on a published plan may be deleted: like
a cancellation, it leaves the engineer's schedule, which is re-rendered
(``api.routes.visits``, ``api.schedules.rerender_showing``).
"""

from __future__ import annotations

import datetime as dt

from fastapi import HTTPException, status
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import ApiToken, PublishedSchedule


def conflict(message: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, message)


def today() -> dt.date:
    """The first day that is not over: today, UTC."""
    return dt.datetime.now(dt.UTC).date()


def check_engineer_unpublished(session: Session, engineer_id: str, doing: str) -> None:
    """409 when the engineer has a schedule on a published plan of a day not yet over."""
    row = session.execute(
        select(PublishedSchedule.plan_id, PublishedSchedule.date)
        .where(PublishedSchedule.engineer_id == engineer_id, PublishedSchedule.date >= today())
        .order_by(PublishedSchedule.date)
        .limit(1)
    ).one_or_none()
    if row is not None:
        raise conflict(
            f"engineer {engineer_id!r} is on plan {row.plan_id} published for "
            f"{row.date.isoformat()}: unpublish it (and re-plan without them) before {doing}"
        )


def revoke_engineer_tokens(session: Session, engineer_id: str) -> list[int]:
    """Revoke every active token of the engineer (API and calendar feed); their ids."""
    ids = list(
        session.scalars(
            select(ApiToken.id).where(ApiToken.engineer_id == engineer_id, ~ApiToken.revoked)
        )
    )
    if ids:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id.in_(ids))
            .values(revoked=True)
            .execution_options(synchronize_session=False)
        )
    return ids
