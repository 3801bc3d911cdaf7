"""A dispatcher's manual change: ``POST /plans/{id}/preview`` answers what moving visits
would do (feasible or not with the validator's violations, the objective's change per term,
the churn) and stores nothing; ``POST /plans/{id}/apply`` stores the moved plan as a new
version replacing the plan, refused with the violations when it breaks a hard rule. The
board (web/src/board.js) calls both; ``scheduler.preview`` does the work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select

from api.db.models import PlanJob, Visit
from api.deps import Dispatcher, SessionDep, SettingsDep, SolvedPlansDep, Staff
from api.routes.common import ERRORS, actor, conflict, get_or_404
from api.routes.plans import PlanId, plan_summary, solved_or_409
from api.schemas import VisitStatus
from api.schemas_day import AppliedOut, MovesIn, PreviewOut, ViolationOut
from api.store import audit
from api.store.day_state import FROZEN
from api.store.matrices import PlanMatrices
from api.store.plans import SolvedPlan
from api.store.versions import add_version
from scheduler.errors import ProblemError
from scheduler.formats.clock import clock_for
from scheduler.formats.plan_file import ChurnOut
from scheduler.objective import TERMS
from scheduler.preview import Move, Preview, preview
from scheduler.travel import Matrix

router = APIRouter(prefix="/plans", tags=["plans"], responses=ERRORS)

UNMOVABLE = FROZEN | {VisitStatus.CANCELLED}


def get_matrices(request: Request) -> PlanMatrices:
    """The application's kept plan matrices (made on first use)."""
    state = request.app.state
    if not hasattr(state, "plan_matrices"):
        state.plan_matrices = PlanMatrices()
    matrices: PlanMatrices = state.plan_matrices
    return matrices


MatricesDep = Annotated[PlanMatrices, Depends(get_matrices)]


def _invalid(loc: tuple[str | int, ...], message: str, value: object = None) -> Exception:
    return RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": message, "input": value}]
    )


def _moves(session: SessionDep, solved: SolvedPlan, body: MovesIn) -> tuple[list[Move], set[str]]:
    """The library's moves, and the plan's visits that may not move. 422 naming an unknown
    visit or engineer or a start outside the day; 409 for a visit under way, done,
    cancelled or deleted."""
    problem = solved.problem
    visits = {v.id for v in problem.visits}
    engineers = {e.id for e in problem.engineers}
    rows = session.execute(select(Visit.id, Visit.status).where(Visit.id.in_(sorted(visits))))
    statuses = {vid: VisitStatus(s) for vid, s in rows}
    frozen = {vid for vid, s in statuses.items() if s in UNMOVABLE}
    clock = clock_for(problem)
    day_start = min((e.shift_start for e in problem.engineers), default=0)
    day_end = max((e.working_day.end for e in problem.engineers), default=86_400)
    out = []
    for i, m in enumerate(body.moves):
        loc = ("body", "moves", i)
        if m.visit_id not in visits:
            raise _invalid(
                (*loc, "visit_id"), f"is not a visit of plan {solved.plan_id}", m.visit_id
            )
        if m.engineer_id not in engineers:
            raise _invalid(
                (*loc, "engineer_id"), f"is not an engineer of plan {solved.plan_id}", m.engineer_id
            )
        current = statuses.get(m.visit_id)
        if current is None:
            raise conflict(f"visit {m.visit_id!r} was deleted; it cannot move")
        if m.visit_id in frozen:
            raise conflict(f"visit {m.visit_id!r} is {current.value}; it cannot move")
        start = None
        if m.start is not None:
            start = clock.seconds(m.start)
            if not day_start <= start <= day_end:
                raise _invalid(
                    (*loc, "start"),
                    f"is outside the day planned ({clock.compact(day_start)}-"
                    f"{clock.compact(day_end)})",
                    m.start,
                )
        out.append(Move(m.visit_id, m.engineer_id, m.position, start, m.replaces))
    return out, frozen


def _preview(
    plan_id: int,
    body: MovesIn,
    session: SessionDep,
    settings: SettingsDep,
    plans: SolvedPlansDep,
    matrices: PlanMatrices,
) -> tuple[SolvedPlan, Preview, Matrix, str]:
    solved = solved_or_409(session, plans, plan_id)
    moves, frozen = _moves(session, solved, body)
    matrix, source = matrices.get(solved, settings)
    problem = solved.problem
    promises = {
        v.id: v.previous.promise
        for v in problem.visits
        if v.previous is not None and v.previous.promise is not None
    }
    try:
        answer = preview(problem, matrix, solved.plan, moves, frozen=frozen, promises=promises)
    except ProblemError as e:
        loc: tuple[str | int, ...] = ("body", "moves")
        if e.obj.startswith("moves[") and e.obj.endswith("]"):
            loc = (*loc, int(e.obj[6:-1]), e.field)
        raise _invalid(loc, e.expected, e.value) from None
    return solved, answer, matrix, source


def _violations(answer: Preview) -> list[ViolationOut]:
    return [
        ViolationOut(code=v.code, message=v.message, engineer_id=v.engineer_id,
                     visit_id=v.visit_id)
        for v in answer.violations
    ]  # fmt: skip


@router.post("/{plan_id}/preview")
def preview_moves(
    plan_id: PlanId,
    body: MovesIn,
    session: SessionDep,
    settings: SettingsDep,
    plans: SolvedPlansDep,
    matrices: MatricesDep,
    _: Staff,
) -> PreviewOut:
    """What the moves would do to the plan, in order: each visit to the engineer named, at
    ``start`` ("HH:MM"), before their stop ``position``, or at their cheapest place; the
    routes re-timed and checked. Stores nothing.

    404 unknown plan; 409 while it has no routes, or for a visit under way, done, cancelled
    or deleted; 422 naming the move's field for unknown visits or engineers, a start
    outside the day or a position outside the engineer's stops.
    """
    answer = _preview(plan_id, body, session, settings, plans, matrices)[1]
    return PreviewOut(
        feasible=answer.feasible,
        violations=_violations(answer),
        objective_delta=answer.delta(),
        objective_before={**{t: answer.before[t] for t in TERMS}, "total": answer.before.total},
        objective_after={**{t: answer.after[t] for t in TERMS}, "total": answer.after.total},
        churn=ChurnOut.model_validate(answer.churn.as_dict()),
    )


@router.post("/{plan_id}/apply", status_code=status.HTTP_201_CREATED)
def apply_moves(
    plan_id: PlanId,
    body: MovesIn,
    session: SessionDep,
    settings: SettingsDep,
    plans: SolvedPlansDep,
    matrices: MatricesDep,
    principal: Dispatcher,
    response: Response,
) -> AppliedOut:
    """Store the moved plan as a new version replacing this one (not yet published:
    publishing it replaces the published one). Its ``id`` is the new plan's.

    422 with ``detail.violations`` when the moved plan breaks a hard rule (or a start asked
    for cannot be met), nothing stored; otherwise the errors of the preview.
    """
    solved, answer, matrix, source = _preview(plan_id, body, session, settings, plans, matrices)
    if not answer.feasible:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            {
                "message": "the moved plan breaks a rule; nothing was stored",
                "violations": [v.model_dump() for v in _violations(answer)],
            },
        )
    base = get_or_404(session, PlanJob, plan_id, "plan")
    row = add_version(
        session, base, solved.problem, answer.plan, matrix,
        travel_times=source, churn=answer.churn,
        revision={"kind": "moves", "moves": body.model_dump(mode="json")["moves"]},
        created_by=principal.role.value,
    )  # fmt: skip
    audit.record(
        session, actor(principal), "apply", "plan", row.id, of=plan_id, moves=len(body.moves)
    )
    session.commit()
    response.headers["Location"] = f"/plans/{row.id}"
    return AppliedOut(
        **plan_summary(row).model_dump(), churn=ChurnOut.model_validate(answer.churn.as_dict())
    )
