"""Plan jobs as domain objects: what a plan row stores and how it is read back.

A plan row keeps the day's ``Problem`` as a problem file (``problem_to_json``) from the
moment it is requested and, once solved, its ``Plan`` as a plan file (``plan_to_json``:
routes with ISO 8601 times, KPIs, the seconds driven to each stop, where the travel times
came from). Both documents are written and read here only, through ``scheduler.formats``;
the rest of the service works with ``Problem``, ``Plan`` and the :class:`SolvedPlan` that
joins them.

A succeeded plan never changes, so :class:`SolvedPlans` keeps the ones read recently in
memory: an engineer's schedule then costs a query for the published plan's id, not the
parsing of two documents.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import PlanCentre, PlanJob, Visit, utcnow
from api.schemas import PlanOptionsIn, PlanStatus, VisitStatus
from api.store.day import VisitDetails
from api.store.queue import claim_oldest, update_running
from scheduler.churn import Churn
from scheduler.domain import Location, Plan, Problem, Route, Stop
from scheduler.domain import Visit as DomainVisit
from scheduler.errors import InputFormatError
from scheduler.formats import (
    PlanFile,
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
)
from scheduler.formats.clock import DayClock, clock_for
from scheduler.travel import Matrix

__all__ = [
    "EngineerDay",
    "PlanDataError",
    "ScheduledStop",
    "Solution",
    "SolveProgress",
    "SolvedPlan",
    "SolvedPlans",
    "add_plan",
    "claim_plan",
    "load_problem",
    "plan_file_of",
    "progress_of",
    "published_plan_id",
    "record_progress",
    "record_solution",
    "visit_statuses",
]


class PlanDataError(Exception):
    """A stored plan no longer fits the data around it (a visit on it was deleted, its
    documents disagree); the message names what and says what to do."""


# ----------------------------------------------------------------- writing a plan


def add_plan(
    session: Session,
    problem: Problem,
    *,
    centre_ids: Sequence[str],
    options: PlanOptionsIn,
    created_by: str,
) -> PlanJob:
    """A queued plan of ``problem`` (its day at ``centre_ids``), added and flushed; the
    caller commits."""
    row = PlanJob(
        date=problem.date,
        status=PlanStatus.QUEUED.value,
        options=options.model_dump(mode="json"),
        problem=problem_to_json(problem),
        created_by=created_by,
        centres=[
            PlanCentre(service_centre_id=c, date=problem.date) for c in dict.fromkeys(centre_ids)
        ],
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class SolveProgress:
    """How a solve is going: its ``stage``, the best ``objective`` so far (cost units),
    ``elapsed_s`` seconds since it began and the ``solutions`` found."""

    stage: str
    objective: int | None
    elapsed_s: float
    solutions: int

    def as_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "objective": self.objective,
            "elapsed_s": round(self.elapsed_s, 3),
            "solutions": self.solutions,
        }


STARTING = SolveProgress("starting: travel times and model", None, 0.0, 0)
"""A claimed plan's progress until its solve reports."""


def progress_of(row: PlanJob) -> SolveProgress | None:
    """The last progress recorded for the plan, if any."""
    p = row.progress
    if not p:
        return None
    return SolveProgress(p["stage"], p["objective"], p["elapsed_s"], p["solutions"])


def claim_plan(session: Session, worker_id: str) -> int | None:
    """Mark the oldest queued plan running for ``worker_id``; its id (None if none)."""
    return claim_oldest(session, PlanJob, worker_id, progress=STARTING.as_json())


def load_problem(session: Session, plan_id: int) -> Problem:
    """The problem plan ``plan_id`` was requested for (its snapshot of the day)."""
    document = session.execute(select(PlanJob.problem).where(PlanJob.id == plan_id)).scalar_one()
    return problem_from_json(json.dumps(document))


@dataclass(frozen=True, slots=True)
class Solution:
    """A solve's outcome before it is stored: the problem as solved (with the options it
    was solved with), the plan, the travel-time matrix it was made with (seconds, over the
    problem's locations), where those times came from, and the last progress report."""

    problem: Problem
    plan: Plan
    matrix: Matrix
    travel_times: str
    progress: SolveProgress | None
    churn: Churn | None = None
    """A re-plan's churn against the plan it replaces; its ``problem`` is the rest of the
    day, stored as the plan's problem."""


def record_progress(
    session: Session, plan_id: int, worker_id: str, progress: SolveProgress
) -> None:
    """Note how ``worker_id``'s solve of the plan is going (also a heartbeat)."""
    update_running(
        session, PlanJob, worker_id, [plan_id], progress=progress.as_json(), heartbeat_at=utcnow()
    )


def record_solution(session: Session, plan_id: int, worker_id: str, solution: Solution) -> None:
    """Store ``worker_id``'s solution of the plan: the plan succeeded."""
    last: dict[str, Any] = {"progress": solution.progress.as_json()} if solution.progress else {}
    if solution.churn is not None:  # a re-plan solved the rest of the day: keep that problem
        last["problem"] = problem_to_json(solution.problem)
    update_running(
        session,
        PlanJob,
        worker_id,
        [plan_id],
        status=PlanStatus.SUCCEEDED,
        result=plan_to_json(
            solution.problem,
            solution.plan,
            solution.matrix,
            travel_times=solution.travel_times,
            churn=solution.churn,
        ),
        error=None,
        finished_at=utcnow(),
        **last,
    )


# ----------------------------------------------------------------- reading a plan


def plan_file_of(row: PlanJob) -> PlanFile | None:
    """The plan file of a succeeded plan (routes, KPIs, reasons); None before then."""
    return PlanFile.model_validate(row.result) if row.result is not None else None


def published_plan_id(session: Session, centre_id: str, date: dt.date) -> int | None:
    """The id of the plan published for a service centre and day, if any."""
    plan_id: int | None = session.scalars(
        select(PlanCentre.plan_id).where(
            PlanCentre.service_centre_id == centre_id,
            PlanCentre.date == date,
            PlanCentre.published,
        )
    ).one_or_none()
    return plan_id


@dataclass(frozen=True, slots=True)
class ScheduledStop:
    """A visit on an engineer's route: the visit, where it is, when the engineer arrives,
    starts and ends (``times``, seconds since local midnight), and the seconds driven to it
    from the previous stop (or the start)."""

    visit: DomainVisit
    location: Location
    times: Stop
    travel_from_previous_s: int
    # The other engineers on a team visit: (id, name, crew member, arrival, start).
    mates: tuple[tuple[str, str, int, int, int], ...] = ()

    @property
    def details(self) -> VisitDetails:
        return VisitDetails.of(self.visit)


@dataclass(frozen=True, slots=True)
class EngineerDay:
    """An engineer's route in a solved plan, each stop with its visit and location; times
    are seconds since local midnight of the plan's day (:meth:`iso` writes them)."""

    plan_id: int
    route: Route
    stops: tuple[ScheduledStop, ...]
    timezone: str | None
    clock: DayClock

    def iso(self, seconds: int) -> str:
        """ISO 8601 with seconds and the UTC offset of the plan's time zone."""
        return self.clock.iso(seconds)


@dataclass(frozen=True, slots=True)
class SolvedPlan:
    """A succeeded plan read back: the problem it solved (the day as it was requested), the
    plan, and its stored plan file (KPIs, seconds driven to each stop, travel-time source)."""

    plan_id: int
    problem: Problem
    plan: Plan
    file: PlanFile

    @property
    def travel_times(self) -> str | None:
        """Where the plan's travel times came from (``haversine-estimate``, a road network)."""
        return self.file.travel_times

    def engineers_serving(self, visit_id: str) -> set[str]:
        """Ids of the engineers whose route serves ``visit_id``."""
        return {
            r.engineer_id for r in self.plan.routes if any(s.visit_id == visit_id for s in r.stops)
        }

    def day_of(self, engineer_id: str) -> EngineerDay | None:
        """The engineer's route with its visits and locations; None when not in the plan."""
        route = self.plan.route_of(engineer_id)
        if route is None:
            return None
        stored = next(r for r in self.file.routes if r.engineer_id == engineer_id)
        locations = {x.id: x for x in self.problem.locations}
        visits = {v.id: v for v in self.problem.visits}
        names = {e.id: e.name for e in self.problem.engineers}
        team: dict[str, list[tuple[str, str, int, int, int]]] = {}
        for r in self.plan.routes:
            for s in r.stops:
                if visits[s.visit_id].is_team and r.engineer_id != engineer_id:
                    team.setdefault(s.visit_id, []).append(
                        (r.engineer_id, names.get(r.engineer_id, ""), s.crew_member, s.arrival,
                         s.start)
                    )  # fmt: skip
        stops = []
        for times, written in zip(route.stops, stored.stops, strict=True):
            visit = visits[times.visit_id]
            stops.append(
                ScheduledStop(
                    visit,
                    locations[visit.location],
                    times,
                    written.travel_from_previous_s,
                    tuple(team.get(visit.id, ())),
                )
            )
        return EngineerDay(
            self.plan_id, route, tuple(stops), self.problem.timezone, clock_for(self.problem)
        )


def read_solved_plan(plan_id: int, problem: dict[str, Any], result: dict[str, Any]) -> SolvedPlan:
    """The plan from its stored problem and plan files; ``PlanDataError`` when they do not
    read back (a plan file naming a visit its problem does not have, say)."""
    try:
        day = problem_from_json(json.dumps(problem))
    except InputFormatError as e:
        raise PlanDataError(f"plan {plan_id}: its stored problem does not read back: {e}") from e
    text = json.dumps(result)
    try:
        plan = plan_from_json(day, text)
    except InputFormatError as e:
        raise PlanDataError(
            f"plan {plan_id}: its stored routes do not fit its problem: {e}; request a new plan"
        ) from e
    return SolvedPlan(plan_id, day, plan, PlanFile.model_validate_json(text))


class SolvedPlans:
    """Succeeded plans read back as :class:`SolvedPlan`, the ``capacity`` most recently used
    kept in memory. A succeeded plan never changes, so a kept copy never goes stale. Safe
    to share between threads; one per application (plan ids are per database)."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, SolvedPlan] = OrderedDict()

    def get(self, session: Session, plan_id: int) -> SolvedPlan | None:
        """Plan ``plan_id`` once succeeded; None while it is not (or does not exist).

        Raises ``PlanDataError`` when its stored documents do not read back.
        """
        with self._lock:
            solved = self._kept.get(plan_id)
            if solved is not None:
                self._kept.move_to_end(plan_id)
                return solved
        row = session.execute(
            select(PlanJob.status, PlanJob.problem, PlanJob.result).where(PlanJob.id == plan_id)
        ).one_or_none()
        if row is None or row.status != PlanStatus.SUCCEEDED or row.result is None:
            return None
        solved = read_solved_plan(plan_id, row.problem, row.result)
        with self._lock:
            self._kept[plan_id] = solved
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
        return solved

    def published(self, session: Session, centre_id: str, date: dt.date) -> SolvedPlan | None:
        """The plan published for a service centre and day, if any (see :meth:`get`)."""
        plan_id = published_plan_id(session, centre_id, date)
        return None if plan_id is None else self.get(session, plan_id)


def visit_statuses(
    session: Session, plan_id: int, visit_ids: Collection[str]
) -> dict[str, VisitStatus]:
    """How far each visit of plan ``plan_id`` has got, as its engineer reported.

    Raises ``PlanDataError`` naming a visit that was deleted after the plan was made.
    """
    rows = session.execute(select(Visit.id, Visit.status).where(Visit.id.in_(list(visit_ids))))
    statuses = {vid: VisitStatus(status) for vid, status in rows}
    for vid in visit_ids:
        if vid not in statuses:
            raise PlanDataError(
                f"visit {vid!r} of plan {plan_id} was deleted after the plan was made; "
                "request a new plan of the day and publish it"
            )
    return statuses
