"""``GET /plans/{id}/diff?against=OTHER``: what changed between two plans of a day, per
visit and per engineer (``scheduler.plan_diff``), with the churn figures
(``scheduler.churn``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select

from api.db.models import PlanJob, Visit
from api.deps import SessionDep, SolvedPlansDep, Staff
from api.routes.common import ERRORS, get_or_404
from api.routes.plans import PlanId, solved_or_409
from api.schemas import VisitStatus
from api.schemas_day import DiffOut, EngineerChangeOut, VisitChangeOut
from scheduler.churn import churn_between
from scheduler.formats.clock import clock_for
from scheduler.formats.plan_file import ChurnOut
from scheduler.plan_diff import plan_diff

router = APIRouter(prefix="/plans", tags=["plans"], responses=ERRORS)

NOT_AGAIN = frozenset(
    {VisitStatus.DONE, VisitStatus.CANNOT_COMPLETE, VisitStatus.CANCELLED, VisitStatus.STARTED}
)


def _invalid(field: str, message: str, value: object) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


@router.get("/{plan_id}/diff")
def get_diff(
    plan_id: PlanId,
    session: SessionDep,
    plans: SolvedPlansDep,
    _: Staff,
    against: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="The other plan (default: the one it replaces)."),
    ] = None,
    tolerance_min: Annotated[float, Query(ge=0, le=24 * 60)] = 15,
) -> DiffOut:
    """Per visit: engineers and start before and after, and the change (``moved`` beyond
    the tolerance, ``reassigned``, ``added``, ``dropped``, ``left``: no longer to be served,
    ``unchanged``); per engineer: visits gained, lost and moved; and the churn of this plan
    against the other. 404 unknown plan, 409 a plan without routes, 422 ``against`` missing
    (for a plan that replaces none) or of another day."""
    row = get_or_404(session, PlanJob, plan_id, "plan")
    other_id = against if against is not None else row.replaces_id
    if other_id is None:
        raise _invalid("against", f"plan {plan_id} replaces no plan; name one to compare", None)
    other = get_or_404(session, PlanJob, other_id, "plan")
    if other.date != row.date:
        raise _invalid(
            "against", f"plan {other_id} is of {other.date}, plan {plan_id} of {row.date}", other_id
        )
    new = solved_or_409(session, plans, plan_id)
    old = solved_or_409(session, plans, other_id)
    ids = {s.visit_id for p in (old, new) for r in p.plan.routes for s in r.stops}
    rows = session.execute(select(Visit.id, Visit.status).where(Visit.id.in_(sorted(ids))))
    statuses = {vid: VisitStatus(s) for vid, s in rows}
    gone = {v for v in ids if statuses.get(v) is None or statuses[v] in NOT_AGAIN}
    tolerance = round(tolerance_min * 60)
    promises = {
        v.id: v.previous.promise
        for v in new.problem.visits
        if v.previous is not None and v.previous.promise is not None
    }
    churn = churn_between(old.plan, new.plan, tolerance=tolerance, promises=promises, gone=gone)
    diff = plan_diff(old.plan, new.plan, tolerance=tolerance, gone=gone)
    clock = clock_for(new.problem)

    def iso(t: int | None) -> str | None:
        return None if t is None else clock.iso(t)

    return DiffOut(
        plan_id=plan_id,
        against=other_id,
        churn=ChurnOut.model_validate(churn.as_dict()),
        visits=[
            VisitChangeOut(
                visit_id=c.visit_id,
                change=c.change,  # type: ignore[arg-type]
                engineers_before=sorted(c.engineers_before),
                engineers_after=sorted(c.engineers_after),
                start_before=iso(c.start_before),
                start_after=iso(c.start_after),
                minutes_moved=None if c.seconds_moved is None else round(c.seconds_moved / 60, 1),
                status=statuses[c.visit_id].value if c.visit_id in statuses else None,
            )
            for c in diff.visits
        ],
        engineers=[
            EngineerChangeOut(
                engineer_id=e.engineer_id,
                stops_before=e.stops_before,
                stops_after=e.stops_after,
                added=list(e.added),
                removed=list(e.removed),
                moved=list(e.moved),
                departure_before=iso(e.departure_before),
                departure_after=iso(e.departure_after),
                return_before=iso(e.return_before),
                return_after=iso(e.return_after),
            )
            for e in diff.engineers
        ],
    )
