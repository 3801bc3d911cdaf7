"""Simulation jobs as domain objects: the scenario a simulation runs and what it found.

A simulation row keeps its scenario as the scenario file's JSON (``ScenarioFile``) and, once
finished, its result as ``SimulationResult.as_dict()`` with the executor's name. Both are
written and read here only, through ``scheduler.simulate``; the rest of the service works
with ``Scenario`` and ``SimulationResult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from api.db.models import SimulationJob, utcnow
from api.schemas import PlanStatus
from api.store.queue import claim_oldest, update_running
from scheduler.simulate.scenario import Scenario, ScenarioFile, scenario_from_dict

if TYPE_CHECKING:  # pandas and the solver: imported when a result is read
    from scheduler.simulate.run import SimulationResult

__all__ = [
    "SimulationRequest",
    "add_simulation",
    "claim_simulation",
    "finished_result",
    "load_simulation",
    "record_result",
]


def add_simulation(
    session: Session, scenario: ScenarioFile, replications: int, *, created_by: str
) -> SimulationJob:
    """A queued simulation of ``replications`` days of ``scenario``, added and flushed; the
    caller commits."""
    row = SimulationJob(
        name=scenario.name,
        status=PlanStatus.QUEUED.value,
        scenario=scenario.model_dump(mode="json"),
        replications=replications,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def claim_simulation(session: Session, worker_id: str) -> int | None:
    """Mark the oldest queued simulation running for ``worker_id``; its id (None if none)."""
    return claim_oldest(session, SimulationJob, worker_id)


@dataclass(frozen=True, slots=True)
class SimulationRequest:
    """What a simulation runs: ``replications`` days of ``scenario``."""

    scenario: Scenario
    replications: int


def _scenario(row: SimulationJob, name: str | None = None) -> Scenario:
    document = row.scenario if name is None else {**row.scenario, "name": name}
    return scenario_from_dict(document, source=f"simulation {row.id}", base_dir=None)


def load_simulation(session: Session, simulation_id: int) -> SimulationRequest:
    """The scenario and replications simulation ``simulation_id`` was requested with."""
    row = session.get(SimulationJob, simulation_id)
    if row is None:
        raise LookupError(f"simulation {simulation_id} does not exist")
    return SimulationRequest(_scenario(row), row.replications)


def record_result(
    session: Session, simulation_id: int, worker_id: str, result: SimulationResult
) -> None:
    """Store ``worker_id``'s result of the simulation: it succeeded."""
    update_running(
        session,
        SimulationJob,
        worker_id,
        [simulation_id],
        status=PlanStatus.SUCCEEDED,
        result={**result.as_dict(), "executor": result.executor},
        error=None,
        finished_at=utcnow(),
    )


def finished_result(row: SimulationJob, *, name: str) -> SimulationResult:
    """A succeeded simulation's result, its scenario renamed ``name`` (to tell apart
    simulations of one scenario side by side)."""
    from scheduler.simulate.run import SimulationResult

    if row.result is None:
        raise LookupError(f"simulation {row.id} has no result yet ({row.status})")
    return SimulationResult.from_dict(_scenario(row, name), row.result)
