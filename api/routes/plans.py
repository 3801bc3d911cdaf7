"""Plans: requested by dispatchers and planners, solved in the background, published once."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api.config import Settings
from api.db.models import PlanCentre, PlanJob, utcnow
from api.deps import Dispatcher, RunnerDep, SessionDep, SettingsDep, SolvedPlansDep, Staff
from api.routes.common import ERRORS, IdQuery, Page, actor, conflict, get_or_404
from api.schedules import publish_schedules
from api.schemas import PlanIn, PlanOut, PlanStatus, PlanSummaryOut, ProgressOut
from api.store import audit
from api.store.day import PlanningInputError, problem_for_day, solve_options
from api.store.plans import PlanDataError, SolvedPlan, add_plan, plan_file_of, progress_of
from api.store.queue import cancel_job
from api.store.schedules import drop_schedules
from api.store.versions import withdraw_replaced

router = APIRouter(prefix="/plans", tags=["plans"], responses=ERRORS)

PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def progress_out(row: PlanJob) -> ProgressOut | None:
    p = progress_of(row)
    if p is None:
        return None
    return ProgressOut(
        stage=p.stage, objective=p.objective, elapsed_s=p.elapsed_s, solutions=p.solutions
    )


def plan_summary(row: PlanJob) -> PlanSummaryOut:
    return PlanSummaryOut(
        id=row.id,
        date=row.date,
        service_centre_ids=sorted(c.service_centre_id for c in row.centres),
        status=PlanStatus(row.status),
        progress=progress_out(row),
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        published=row.published_at is not None,
        published_at=row.published_at,
        replaces=row.replaces_id,
    )


def plan_out(row: PlanJob) -> PlanOut:
    result = plan_file_of(row)
    churn = result.churn if result is not None else None
    return PlanOut(**plan_summary(row).model_dump(), result=result, churn=churn)


def _get(session: SessionDep, plan_id: int) -> PlanJob:
    row = get_or_404(session, PlanJob, plan_id, "plan")
    return row


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def create_plan(
    body: PlanIn,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
    principal: Staff,
    response: Response,
) -> PlanSummaryOut:
    """Queue a plan of one day for some service centres; poll ``GET /plans/{id}``.

    The day's active engineers and visits are copied into the plan now, so later edits do
    not change it. 422 when the data cannot be planned (the message names what is wrong).

    With ``replan`` (``{"of": PLAN_ID, "at": "HH:MM"}``, no date or centres): the rest of
    that published plan's day from ``at``, from the day's state (see ``api.routes.replan``).
    """
    if body.replan is not None:
        from api.routes.replan import queue_replan

        return queue_replan(body, session, settings, runner, principal, response)
    assert body.date is not None and body.service_centre_ids is not None
    if body.options.time_limit_s > settings.max_time_limit_s:
        raise RequestValidationError(
            [
                {
                    "type": "less_than_equal",
                    "loc": ("body", "options", "time_limit_s"),
                    "msg": f"must be <= {settings.max_time_limit_s:g} seconds on this server",
                    "input": body.options.time_limit_s,
                }
            ]
        )
    try:
        options = solve_options(body.options)
        problem = problem_for_day(session, body.date, body.service_centre_ids, options)
    except PlanningInputError as e:
        raise RequestValidationError(
            [{"type": "value_error", "loc": e.loc, "msg": e.message, "input": None}]
        ) from None
    row = add_plan(
        session,
        problem,
        centre_ids=body.service_centre_ids,
        options=body.options,
        created_by=principal.role.value,
    )
    session.flush()
    audit.record(
        session,
        actor(principal),
        "plan",
        "plan",
        row.id,
        date=body.date.isoformat(),
        service_centre_ids=body.service_centre_ids,
    )
    session.commit()
    if runner is not None:
        runner.notify()
    response.headers["Location"] = f"/plans/{row.id}"
    return plan_summary(row)


@router.get("")
def list_plans(
    session: SessionDep,
    _: Staff,
    page: Page,
    date: dt.date | None = None,
    service_centre_id: IdQuery = None,
    status: PlanStatus | None = None,
    published: bool | None = None,
) -> list[PlanSummaryOut]:
    """Plans, newest first, filtered by day, centre, status and whether published; a list
    cut at ``limit`` says where the next page starts (``X-Next-Offset``, ``Link``)."""
    query = select(PlanJob).order_by(PlanJob.id.desc())
    if date is not None:
        query = query.where(PlanJob.date == date)
    if service_centre_id is not None:
        query = query.where(PlanJob.centres.any(PlanCentre.service_centre_id == service_centre_id))
    if status is not None:
        query = query.where(PlanJob.status == status.value)
    if published is not None:
        query = query.where(
            PlanJob.published_at.is_not(None) if published else PlanJob.published_at.is_(None)
        )
    return [plan_summary(r) for r in page.cut(session.scalars(page.query(query)).all())]


@router.get("/{plan_id}")
def get_plan(plan_id: PlanId, session: SessionDep, _: Staff) -> PlanOut:
    """Status and progress; once succeeded, routes, KPIs and unassigned visits with reasons."""
    return plan_out(_get(session, plan_id))


@router.get(
    "/{plan_id}/geojson",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "GeoJSON FeatureCollection (RFC 7946): legs, stops, starts, ends.",
            "content": {"application/geo+json": {"schema": {"type": "object"}}},
        }
    },
)
def get_plan_geojson(
    plan_id: PlanId,
    session: SessionDep,
    settings: SettingsDep,
    plans: SolvedPlansDep,
    _: Staff,
) -> JSONResponse:
    """The plan's routes for a map: a point per stop with its ETA, a line per drive.

    Drives follow the roads when the plan was made on the server's road network, else they
    are straight lines. 409 while the plan has no routes (queued, running or failed).
    """
    solved = solved_or_409(session, plans, plan_id)
    return JSONResponse(plan_geojson(solved, settings), media_type="application/geo+json")


def solved_or_409(session: SessionDep, plans: SolvedPlansDep, plan_id: int) -> SolvedPlan:
    """The succeeded plan ``plan_id``: 404 when unknown, 409 while it has no routes (queued,
    running or failed) or when its stored documents no longer read back."""
    row = _get(session, plan_id)
    try:
        solved = plans.get(session, plan_id)
    except PlanDataError as e:
        raise conflict(str(e)) from None
    if solved is None:
        raise conflict(f"plan {plan_id} is {row.status}; it has no routes to map")
    return solved


def plan_geojson(solved: SolvedPlan, settings: Settings) -> dict[str, Any]:
    """The plan's GeoJSON: drives along the server's roads when the plan was made on them,
    else straight lines."""
    from scheduler.network import plan_to_geojson, shared_network

    network = None
    if settings.road_network is not None and str(solved.travel_times).startswith("road-network"):
        network = shared_network(settings.road_network)
    return plan_to_geojson(
        solved.problem,
        solved.plan,
        network=network,
        max_snap_m=settings.max_snap_m,
        travel_times=solved.travel_times,
    )


@router.post("/{plan_id}/publish")
def publish_plan(
    plan_id: PlanId, session: SessionDep, plans: SolvedPlansDep, principal: Dispatcher
) -> PlanSummaryOut:
    """Make a succeeded plan the one engineers see for its centres and day.

    Each engineer's schedule is rendered now, once, for every read after (a visit
    cancelled or deleted since the plan was made is left out). 409 when it is not
    succeeded, already published, or another plan is published for one of its centres that
    day (unpublish that one first). A new version (a re-plan, a manual move) replaces the
    version it was made from: that one is unpublished, and kept; its schedules are dropped.
    """
    row = _get(session, plan_id)
    if row.status != PlanStatus.SUCCEEDED:
        raise conflict(f"plan {plan_id} is {row.status}; only a succeeded plan can be published")
    replaced = withdraw_replaced(session, row)  # a new version replaces the one published
    for old in replaced:  # its engineers' days are this version's from now on
        drop_schedules(session, old)
        audit.record(session, actor(principal), "unpublish", "plan", old, replaced_by=plan_id)
    won = session.execute(
        update(PlanJob)
        .where(PlanJob.id == plan_id, PlanJob.published_at.is_(None))
        .values(published_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise conflict(f"plan {plan_id} is already published")
    try:
        session.execute(
            update(PlanCentre)
            .where(PlanCentre.plan_id == plan_id)
            .values(published=True)
            .execution_options(synchronize_session=False)
        )
        session.flush()
    except IntegrityError:
        session.rollback()
        raise conflict(
            f"another plan is already published for a centre of plan {plan_id} on "
            f"{row.date.isoformat()}; unpublish it first"
        ) from None
    try:
        solved = plans.get(session, plan_id)
        assert solved is not None  # succeeded
        publish_schedules(session, solved, row.date)
    except PlanDataError as e:
        session.rollback()
        raise conflict(str(e)) from None
    audit.record(session, actor(principal), "publish", "plan", plan_id, replaced=replaced)
    session.commit()
    session.refresh(row)
    return plan_summary(row)


@router.post("/{plan_id}/unpublish")
def unpublish_plan(plan_id: PlanId, session: SessionDep, principal: Dispatcher) -> PlanSummaryOut:
    """Withdraw a published plan (to publish a re-plan); 409 when it is not published.
    Its engineers' schedules are withdrawn with it."""
    row = _get(session, plan_id)
    won = session.execute(
        update(PlanJob)
        .where(PlanJob.id == plan_id, PlanJob.published_at.is_not(None))
        .values(published_at=None)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise conflict(f"plan {plan_id} is not published")
    session.execute(
        update(PlanCentre)
        .where(PlanCentre.plan_id == plan_id)
        .values(published=False)
        .execution_options(synchronize_session=False)
    )
    drop_schedules(session, plan_id)
    audit.record(session, actor(principal), "unpublish", "plan", plan_id)
    session.commit()
    session.refresh(row)
    return plan_summary(row)


@router.post("/{plan_id}/cancel")
def cancel_plan(
    plan_id: PlanId, session: SessionDep, runner: RunnerDep, principal: Staff
) -> PlanSummaryOut:
    """Stop a queued or running plan: it ends ``cancelled`` and is never solved (a running
    solve is stopped within a poll interval). 409 when it has finished already."""
    row = _get(session, plan_id)
    if not cancel_job(session, PlanJob, plan_id, f"cancelled by a {principal.role.value}"):
        session.rollback()
        raise conflict(
            f"plan {plan_id} is {row.status}; only a queued or running plan can be cancelled"
        )
    audit.record(session, actor(principal), "cancel", "plan", plan_id)
    session.commit()
    if runner is not None:
        runner.notify()
    session.refresh(row)
    return plan_summary(row)
