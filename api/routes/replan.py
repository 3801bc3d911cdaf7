"""Re-planning through the API: ``POST /plans`` with ``{"replan": {"of": PLAN_ID, "at":
"HH:MM"}}`` queues the rest of a published plan's day as a plan job (``api.jobs.replans``);
its result carries the churn against the plan it replaces, and publishing it replaces that
plan (``api.store.versions``). ``GET /plans/{id}/versions`` lists a day's versions."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.exceptions import RequestValidationError

from api.auth import Principal
from api.config import Settings
from api.db.models import PlanJob
from api.deps import SessionDep, Staff
from api.jobs import JobRunner
from api.routes.common import ERRORS, Page, actor, conflict, get_or_404
from api.routes.plans import PlanId, plan_summary
from api.schemas import PlanIn, PlanSummaryOut
from api.store import audit
from api.store.day import PlanningInputError, problem_for_day, solve_options
from api.store.day_state import state_document, state_of
from api.store.plans import PlanDataError, add_plan, read_solved_plan
from api.store.versions import lineage
from scheduler.errors import InputFormatError, ProblemError
from scheduler.formats.clock import clock_for
from scheduler.replan import replan_problem

router = APIRouter(prefix="/plans", tags=["plans"], responses=ERRORS)


def _invalid(loc: tuple[str | int, ...], message: str, value: object = None) -> Exception:
    return RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": message, "input": value}]
    )


def queue_replan(
    body: PlanIn,
    session: SessionDep,
    settings: Settings,
    runner: JobRunner | None,
    principal: Principal,
    response: Response,
) -> PlanSummaryOut:
    """Queue the re-plan ``body.replan`` asks for (``create_plan`` calls this).

    404 for an unknown plan, 409 when it is not the published one (or its documents no
    longer read back), 422 naming ``replan.at`` for a time outside the day or
    ``options.time_limit_s`` over the server's limit; nothing is stored then.
    """
    spec = body.replan
    assert spec is not None
    if body.options.time_limit_s > settings.max_time_limit_s:
        raise _invalid(
            ("body", "options", "time_limit_s"),
            f"must be <= {settings.max_time_limit_s:g} seconds on this server",
            body.options.time_limit_s,
        )
    base = get_or_404(session, PlanJob, spec.of, "plan")
    if base.published_at is None or base.result is None:
        raise conflict(
            f"plan {spec.of} is not published; only the published plan of a day is re-planned"
        )
    try:
        published = read_solved_plan(base.id, base.problem, base.result)
    except PlanDataError as e:
        raise conflict(str(e)) from None
    centre_ids = sorted(c.service_centre_id for c in base.centres)
    try:
        options = solve_options(body.options)
        day = problem_for_day(session, base.date, centre_ids, options)
    except PlanningInputError as e:
        raise _invalid(e.loc, e.message) from None
    try:
        at = clock_for(day).seconds(spec.at)
    except ValueError as e:
        raise _invalid(("body", "replan", "at"), str(e), spec.at) from None
    document = state_document(session, day)
    try:
        state = state_of(day, document)
        replan_problem(day, published.plan, state, at)  # every freeze rule's check, now
    except ProblemError as e:
        field = "at" if e.field == "at" else "state"
        raise _invalid(("body", "replan", field), str(e), spec.at) from None
    except InputFormatError as e:
        raise _invalid(("body", "replan", "state"), str(e)) from None
    row = add_plan(
        session, day, centre_ids=centre_ids, options=body.options,
        created_by=principal.role.value,
    )  # fmt: skip
    row.replaces_id = base.id
    row.revision = {
        "kind": "replan",
        "at": spec.at,
        "at_s": at,
        "state": document,
        "churn": spec.churn.model_dump() if spec.churn is not None else None,
    }
    session.flush()
    audit.record(session, actor(principal), "replan", "plan", row.id, of=base.id, at=spec.at)
    session.commit()
    if runner is not None:
        runner.notify()
    response.headers["Location"] = f"/plans/{row.id}"
    return plan_summary(row)


@router.get("/{plan_id}/versions")
def list_versions(
    plan_id: PlanId, session: SessionDep, _: Staff, page: Page
) -> list[PlanSummaryOut]:
    """Every version of the plan's day line, oldest first: the plan it descends from, its
    re-plans and manual moves (``replaces`` says which each replaced); one is published.
    A list cut at ``limit`` says where the next page starts (``X-Next-Offset``, ``Link``)."""
    get_or_404(session, PlanJob, plan_id, "plan")
    versions = lineage(session, plan_id)
    return [plan_summary(r) for r in page.cut(versions[page.offset : page.offset + page.limit + 1])]
