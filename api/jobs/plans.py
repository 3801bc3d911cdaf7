"""Plan jobs: solve a requested day in a solver process and store the plan.

:func:`solve_day` runs in the solver process: the day's travel times (on the server's road
network when it has one, else the straight-line estimate), then the library's ``solve`` with
the request's options and the server's ``solver_processes`` as ``SolveOptions.workers``, so
that no solve runs more processes than the server is configured for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from api.config import Settings
from api.db.models import PlanJob
from api.jobs.pool import Report
from api.jobs.replans import replan_day, replan_of
from api.jobs.runner import JobContext
from api.store.plans import (
    Solution,
    SolveProgress,
    claim_plan,
    load_problem,
    record_progress,
    record_solution,
)
from scheduler.domain import Problem

if TYPE_CHECKING:
    from scheduler.network import RoadNetwork

__all__ = ["PlanJobs", "TravelTimes", "solve_day"]


@dataclass(frozen=True, slots=True)
class TravelTimes:
    """Where a plan's travel times come from: the road network ``road_network`` names (a
    location at most ``max_snap_m`` metres from a road), or None for the straight-line
    estimate."""

    road_network: str | None = None
    max_snap_m: float = 500.0


def road_provider(travel: TravelTimes) -> RoadNetwork | None:
    """The road-network provider of ``travel``, or None for the straight-line estimate."""
    if travel.road_network is None:
        return None
    from scheduler.network import MatrixCache, RoadNetwork, default_cache_dir, shared_network

    return RoadNetwork(
        shared_network(travel.road_network),
        max_snap_m=travel.max_snap_m,
        cache=MatrixCache(default_cache_dir() / "matrices"),
        workers=1,
    )


def solve_day(problem: Problem, travel: TravelTimes, processes: int, *, report: Report) -> Solution:
    """Solve ``problem`` in at most ``processes`` processes (this one included), its
    improvements reported as :class:`~api.store.plans.SolveProgress`."""
    from scheduler.solver import Progress, solve
    from scheduler.travel import travel_time_matrix_for

    options = dataclasses.replace(problem.options, workers=processes)
    problem = dataclasses.replace(problem, options=options)
    matrix, source = travel_time_matrix_for(problem, road_provider(travel))
    last: list[SolveProgress] = []

    def improved(p: Progress) -> None:
        last[:] = [SolveProgress(p.stage, p.objective, p.elapsed, p.solutions)]
        report(last[0])

    plan = solve(problem, matrix, options, progress=improved)
    return Solution(problem, plan, matrix, source, last[0] if last else None)


class PlanJobs:
    """The plan job kind: as many plans at once as the server has solver processes."""

    name = "plan"
    model = PlanJob
    doing = "solving"

    def __init__(self, settings: Settings) -> None:
        self.slots = settings.solver_workers
        self.travel = TravelTimes(settings.road_network, settings.max_snap_m)
        self.processes = settings.solver_processes

    def claim(self, session: Session, worker_id: str) -> int | None:
        return claim_plan(session, worker_id)

    def run(self, job_id: int, context: JobContext) -> Solution:
        with context.sessions() as session:
            problem = load_problem(session, job_id)
            replanning = replan_of(session, job_id, problem)
        if replanning is not None:  # the rest of a published day (api.jobs.replans)
            return context.pool.submit_reporting(
                context.key, replan_day, replanning, self.travel, self.processes
            ).result()
        solving = context.pool.submit_reporting(
            context.key, solve_day, problem, self.travel, self.processes
        )
        return solving.result()

    def record(self, session: Session, job_id: int, worker_id: str, outcome: Solution) -> None:
        record_solution(session, job_id, worker_id, outcome)

    def record_progress(
        self, session: Session, job_id: int, worker_id: str, report: SolveProgress
    ) -> None:
        record_progress(session, job_id, worker_id, report)
