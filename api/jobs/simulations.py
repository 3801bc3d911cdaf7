"""Simulation jobs: replicate an outreach-day scenario over the solver processes.

One simulation runs at a time per server process; its replications are spread over the
server's solver processes (``SolverPool.replications``), each solve in at most the server's
``solver_processes`` processes.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from api.config import Settings
from api.db.models import SimulationJob
from api.jobs.runner import JobContext
from api.store.simulations import claim_simulation, load_simulation, record_result

if TYPE_CHECKING:
    from scheduler.simulate.run import SimulationResult

__all__ = ["SimulationJobs"]


class SimulationJobs:
    """The simulation job kind: one at a time, its replications over the solver processes."""

    name = "simulation"
    model = SimulationJob
    doing = "simulating"
    slots = 1

    def __init__(self, settings: Settings) -> None:
        self.processes = settings.solver_processes

    def claim(self, session: Session, worker_id: str) -> int | None:
        return claim_simulation(session, worker_id)

    def run(self, job_id: int, context: JobContext) -> SimulationResult:
        from scheduler.simulate.run import run

        with context.sessions() as session:
            request = load_simulation(session, job_id)
        scenario = request.scenario
        solver = dataclasses.replace(scenario.solver, workers=self.processes)
        scenario = dataclasses.replace(scenario, solver=solver)
        return run(scenario, request.replications, context.pool.replications())

    def record(
        self, session: Session, job_id: int, worker_id: str, outcome: SimulationResult
    ) -> None:
        record_result(session, job_id, worker_id, outcome)

    def record_progress(self, session: Session, job_id: int, worker_id: str, report: Any) -> None:
        """Nothing: a simulation's tasks report no progress (the table has no column for it)."""
