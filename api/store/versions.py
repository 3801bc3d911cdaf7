"""Plan versions: a re-plan or a manual move makes a new plan that *replaces* another
(``PlanJob.replaces_id``); publishing it withdraws the version it replaces, and every version
is kept. Here: the versions of a day, the chain a plan replaces, a moved plan stored as a
new version, and who served a visit along the chain."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import PlanCentre, PlanJob, Visit, utcnow
from api.schemas import PlanStatus, VisitStatus
from api.store.plans import EngineerDay, ScheduledStop, SolvedPlan, SolvedPlans
from scheduler.churn import Churn
from scheduler.domain import Plan, Problem
from scheduler.formats import plan_to_json, problem_to_json
from scheduler.travel import Matrix

__all__ = [
    "CANCELLED",
    "add_version",
    "ancestors",
    "current_statuses",
    "lineage",
    "serves_on_published",
    "stop_changes",
    "withdraw_replaced",
]

MAX_CHAIN = 1000  # versions followed at most (a guard against a cycle in bad data)


def ancestors(session: Session, plan_id: int) -> list[int]:
    """The plans ``plan_id`` replaces, nearest first."""
    out: list[int] = []
    current: int | None = plan_id
    while current is not None and len(out) < MAX_CHAIN:
        current = session.scalar(select(PlanJob.replaces_id).where(PlanJob.id == current))
        if current is None or current in out or current == plan_id:
            break
        out.append(current)
    return out


def lineage(session: Session, plan_id: int) -> list[PlanJob]:
    """Every version of ``plan_id``'s line: the first plan it descends from and all plans
    that replace it or its replacements, oldest first."""
    chain = ancestors(session, plan_id)
    root = chain[-1] if chain else plan_id
    seen = {root}
    frontier = [root]
    while frontier and len(seen) < MAX_CHAIN:
        children = session.scalars(select(PlanJob.id).where(PlanJob.replaces_id.in_(frontier)))
        frontier = [c for c in children if c not in seen]
        seen.update(frontier)
    return list(session.scalars(select(PlanJob).where(PlanJob.id.in_(seen)).order_by(PlanJob.id)))


def withdraw_replaced(session: Session, row: PlanJob) -> list[int]:
    """Unpublish the versions ``row`` replaces (directly or not) that are published for its
    centres on its day, before ``row`` is published; their ids. The caller commits."""
    chain = ancestors(session, row.id)
    if not chain:
        return []
    centres = [c.service_centre_id for c in row.centres]
    published = list(
        session.scalars(
            select(PlanCentre.plan_id)
            .where(
                PlanCentre.plan_id.in_(chain),
                PlanCentre.service_centre_id.in_(centres),
                PlanCentre.date == row.date,
                PlanCentre.published,
            )
            .distinct()
        )
    )
    if published:
        session.execute(
            update(PlanCentre)
            .where(PlanCentre.plan_id.in_(published))
            .values(published=False)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(PlanJob)
            .where(PlanJob.id.in_(published))
            .values(published_at=None)
            .execution_options(synchronize_session=False)
        )
        session.flush()
    return published


def add_version(
    session: Session,
    base: PlanJob,
    problem: Problem,
    plan: Plan,
    matrix: Matrix,
    *,
    travel_times: str | None,
    churn: Churn,
    revision: dict[str, Any],
    created_by: str,
) -> PlanJob:
    """A succeeded plan replacing ``base`` (same day and centres): ``plan`` of ``problem``
    with its churn against ``base``; ``revision`` says how it was made. Added and flushed;
    the caller commits."""
    now = utcnow()
    row = PlanJob(
        date=base.date,
        status=PlanStatus.SUCCEEDED.value,
        options=dict(base.options),
        problem=problem_to_json(problem),
        result=plan_to_json(problem, plan, matrix, travel_times=travel_times, churn=churn),
        created_by=created_by,
        started_at=now,
        finished_at=now,
        replaces_id=base.id,
        revision=revision,
        centres=[
            PlanCentre(service_centre_id=c.service_centre_id, date=base.date) for c in base.centres
        ],
    )
    session.add(row)
    session.flush()
    return row


def serves_on_published(
    session: Session, plans: SolvedPlans, published: SolvedPlan, engineer_id: str, visit_id: str
) -> bool:
    """Whether the engineer serves the visit in the published plan or, when that plan left
    it out (a re-plan leaves out a job under way), in the nearest version it replaces that
    has it."""
    if engineer_id in published.engineers_serving(visit_id):
        return True
    if any(s.visit_id == visit_id for r in published.plan.routes for s in r.stops):
        return False  # someone else's now
    for plan_id in ancestors(session, published.plan_id):
        older = plans.get(session, plan_id)
        if older is None:
            continue
        serving = older.engineers_serving(visit_id)
        if serving:
            return engineer_id in serving
    return False


# ----------------------------------------------------------------- an engineer's changes

CANCELLED = VisitStatus.CANCELLED
"""A visit with this status (or deleted) leaves the engineers' schedules."""


def current_statuses(session: Session, visit_ids: Collection[str]) -> dict[str, VisitStatus]:
    """Each stored visit's status (a deleted visit is absent)."""
    rows = session.execute(select(Visit.id, Visit.status).where(Visit.id.in_(list(visit_ids))))
    return {vid: VisitStatus(s) for vid, s in rows}


def stop_changes(
    session: Session,
    plans: SolvedPlans,
    engineer_id: str,
    since: int,
    day: EngineerDay,
    stops: Sequence[ScheduledStop],
) -> list[dict[str, str | None]]:
    """The engineer's stops now (``stops`` of ``day``) against their route in plan
    ``since``: each visit ``added``, ``removed``, ``moved`` (another start) or
    ``unchanged``, in the order of the day now, the removed ones last. An unknown or
    unsolved ``since`` compares with an empty day."""
    old = None if since == day.plan_id else plans.get(session, since)
    if since == day.plan_id:
        before = {s.visit.id: s.times.start for s in stops}
    else:
        route = old.plan.route_of(engineer_id) if old is not None else None
        before = {s.visit_id: s.start for s in route.stops} if route is not None else {}
    out: list[dict[str, str | None]] = []
    now = {s.visit.id for s in stops}
    for s in stops:
        vid, start = s.visit.id, s.times.start
        change = "added" if vid not in before else "moved" if before[vid] != start else "unchanged"
        was = before.get(vid)
        out.append({"visit_id": vid, "change": change,
                    "start_before": None if was is None else day.iso(was),
                    "start_after": day.iso(start)})  # fmt: skip
    for vid, was in before.items():
        if vid not in now:
            out.append({"visit_id": vid, "change": "removed", "start_before": day.iso(was),
                        "start_after": None})  # fmt: skip
    return out
