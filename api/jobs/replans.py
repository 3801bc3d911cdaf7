"""Re-plan jobs: the rest of a published plan's day from the day's state, in a solver
process, with the library's ``scheduler.replan`` (freeze rules, churn priced and reported).

A re-plan is a plan row whose ``revision`` says ``{"kind": "replan", ...}``: its ``problem``
is the whole day as it was when the re-plan was asked for (new visits included), its
``replaces_id`` the published plan, its revision the day's state (a state file document)
and ``at``. Once solved, the row keeps the rest of the day as its problem and the churn in
its plan file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import PlanJob
from api.jobs.pool import Report
from api.store.day_state import state_of
from api.store.plans import Solution, SolveProgress, read_solved_plan
from scheduler.day_state import DayState
from scheduler.domain import Plan, Problem
from scheduler.replan import ChurnWeights

if TYPE_CHECKING:
    from api.jobs.plans import TravelTimes

__all__ = ["Replanning", "churn_weights", "replan_day", "replan_of"]


@dataclass(frozen=True, slots=True)
class Replanning:
    """What a re-plan job solves: the whole ``day``, the ``published`` plan it replaces, the
    day's ``state``, from ``at`` (seconds since local midnight), at the ``churn`` prices."""

    day: Problem
    published: Plan
    state: DayState
    at: int
    churn: ChurnWeights


def churn_weights(document: dict[str, Any] | None) -> ChurnWeights:
    """The churn prices of a revision document (``api.schemas.ChurnWeightsIn`` fields)."""
    d = document or {}
    return ChurnWeights(
        reassign=int(d.get("reassign", 1800)),
        move_per_second=int(d.get("move_per_second", 1)),
        tolerance=round(float(d.get("tolerance_min", 15)) * 60),
        broken_promise=int(d.get("broken_promise", 3600)),
        drop_planned=int(d.get("drop_planned", 36_000)),
    )


def replan_of(session: Session, job_id: int, day: Problem) -> Replanning | None:
    """The re-plan plan ``job_id`` asks for (None: it is a plan of a whole day)."""
    row = session.execute(
        select(PlanJob.revision, PlanJob.replaces_id).where(PlanJob.id == job_id)
    ).one()
    revision = row.revision or {}
    if revision.get("kind") != "replan" or row.replaces_id is None:
        return None
    base = session.execute(
        select(PlanJob.problem, PlanJob.result).where(PlanJob.id == row.replaces_id)
    ).one()
    published = read_solved_plan(row.replaces_id, base.problem, base.result).plan
    return Replanning(
        day=day,
        published=published,
        state=state_of(day, revision["state"]),
        at=int(revision["at_s"]),
        churn=churn_weights(revision.get("churn")),
    )


def replan_day(job: Replanning, travel: TravelTimes, processes: int, *, report: Report) -> Solution:
    """Re-plan in at most ``processes`` processes; its improvements reported as
    :class:`~api.store.plans.SolveProgress`. Engineers' positions get their road times by
    one search each way (``extended_matrix``) on the day's matrix."""
    from api.jobs.plans import road_provider
    from scheduler.replan import replan, replan_problem
    from scheduler.solver import Progress
    from scheduler.travel import extended_matrix, travel_time_matrix_for

    options = dataclasses.replace(job.day.options, workers=processes)
    day = dataclasses.replace(job.day, options=options)
    provider = road_provider(travel)
    matrix, source = travel_time_matrix_for(day, provider)
    rest = replan_problem(day, job.published, job.state, job.at)
    extra = rest.locations[len(day.locations) :]
    rest_matrix = extended_matrix(provider, day.locations, matrix, tuple(extra))
    last: list[SolveProgress] = []

    def improved(p: Progress) -> None:
        last[:] = [SolveProgress(p.stage, p.objective, p.elapsed, p.solutions)]
        report(last[0])

    result = replan(
        day, matrix, job.published, job.state, job.at,
        churn=job.churn, options=options, progress=improved, rest_matrix=rest_matrix,
    )  # fmt: skip
    return Solution(
        result.problem, result.plan, result.matrix, source, last[0] if last else None,
        churn=result.churn,
    )  # fmt: skip
