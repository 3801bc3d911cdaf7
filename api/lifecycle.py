"""What deleting or deactivating does to the plans and tokens that refer to it.

An engineer or a visit that is on a published plan of a day not yet over (the plan's day is
today or later, UTC) cannot be deleted or deactivated: the answer is a 409 naming the plan,
to be unpublished (and re-planned) first, so that no engineer's published schedule ever
shows a visit or a colleague that no longer exists. Once an engineer is deleted or
deactivated, every token of theirs (API and calendar feed) is revoked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from fastapi import HTTPException, status
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.db.models import ApiToken, PublishedSchedule, Visit
from api.store.plans import PlanDataError, SolvedPlans


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


def check_visits_unpublished(session: Session, plans: SolvedPlans, visits: Iterable[Visit]) -> None:
    """409 when one of ``visits`` is on a published plan of a day not yet over."""
    by_day: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    for v in visits:
        if v.date >= today():
            by_day[(v.service_centre_id, v.date)].append(v.id)
    for (centre_id, date), ids in sorted(by_day.items()):
        try:
            solved = plans.published(session, centre_id, date)
        except PlanDataError:
            continue  # a plan that no longer reads back shows nobody these visits
        if solved is None:
            continue
        served = [vid for vid in ids if solved.engineers_serving(vid)]
        if served:
            shown = ", ".join(map(repr, served[:5])) + (" ..." if len(served) > 5 else "")
            raise conflict(
                f"visit {shown} is on plan {solved.plan_id} published for {date.isoformat()}: "
                "unpublish it first (and re-plan the day)"
            )


def forget_schedules_showing(session: Session, plans: SolvedPlans, visits: Iterable[Visit]) -> None:
    """Drop the kept schedules that show one of ``visits`` (about to be deleted, their day
    over or their plan unpublished): such a day is read afresh and answered with a 409
    naming the deleted visit, as before schedules were kept."""
    for v in visits:
        try:
            solved = plans.published(session, v.service_centre_id, v.date)
        except PlanDataError:
            continue
        if solved is None:
            continue
        for engineer_id in solved.engineers_serving(v.id):
            session.execute(
                delete(PublishedSchedule).where(
                    PublishedSchedule.plan_id == solved.plan_id,
                    PublishedSchedule.engineer_id == engineer_id,
                )
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
