"""Simulations: planners run outreach-day scenarios in the background and read the results."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth import Principal, Role
from api.db.models import SimulationJob
from api.deps import RunnerDep, SessionDep, SettingsDep, Staff, require
from api.routes.common import ERRORS, Page, actor, get_or_404
from api.schemas import PlanStatus
from api.store import audit
from api.store.simulations import add_simulation, finished_result
from scheduler.errors import InputFormatError, ProblemError
from scheduler.simulate.scenario import ScenarioFile, scenario_from_model

router = APIRouter(prefix="/simulations", tags=["simulations"], responses=ERRORS)

Planner = Annotated[Principal, Depends(require(Role.PLANNER))]
SimulationId = Annotated[int, Path(ge=1, le=2**31 - 1)]

MAX_REPLICATIONS = 200


class SimulationIn(BaseModel):
    """A scenario (the scenario file's fields, as JSON) and how many days to simulate."""

    scenario: ScenarioFile
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)


class MetricOut(BaseModel):
    """Mean of a figure over the replications with its 95% t confidence interval."""

    n: int
    mean: float | None
    std: float | None
    ci_low: float | None
    ci_high: float | None


class SimulationResultOut(BaseModel):
    scenario: str
    executor: str
    summary: dict[str, MetricOut]
    replications: list[dict[str, Any]]
    events: list[dict[str, Any]]


class SimulationSummaryOut(BaseModel):
    id: int
    name: str
    status: PlanStatus
    replications: int
    error: str | None
    attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class SimulationOut(SimulationSummaryOut):
    result: SimulationResultOut | None = None


def _summary(row: SimulationJob) -> SimulationSummaryOut:
    return SimulationSummaryOut(
        id=row.id,
        name=row.name,
        status=PlanStatus(row.status),
        replications=row.replications,
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _invalid(loc: tuple[str, ...], message: str, value: object) -> RequestValidationError:
    """A 422 at ``body.<loc>``, shaped like FastAPI's own validation errors."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", *loc), "msg": message, "input": value}]
    )


def _check_scenario(scenario: ScenarioFile, road_network: str | None) -> None:
    """422 for what the server will not do: read files, load networks it was not given."""
    allowed = sorted({"bundled"} | ({road_network} if road_network else set()))
    if scenario.network is not None and scenario.network not in allowed:
        raise _invalid(
            ("scenario", "network"),
            f"this server simulates on {allowed} only (or null for straight-line "
            "estimates); it does not read other files or download networks for a request",
            scenario.network,
        )
    if scenario.demand.fit is not None:
        raise _invalid(
            ("scenario", "demand", "fit"),
            "fitting demand from a CSV file needs the command line (fieldroute simulate); "
            "give rates per area and job type here",
            scenario.demand.fit.days,
        )
    try:
        scenario_from_model(scenario, base_dir=None)
    except (ProblemError, InputFormatError) as e:
        raise _invalid(("scenario",), str(e), None) from None


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def create_simulation(
    body: SimulationIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Planner,
    runner: RunnerDep,
    response: Response,
) -> SimulationSummaryOut:
    """Queue a simulation of ``replications`` days of the scenario; poll
    ``GET /simulations/{id}``. 422 names the scenario field at fault."""
    _check_scenario(body.scenario, settings.road_network)
    if body.scenario.solver.time_limit_s > settings.max_time_limit_s:
        raise _invalid(
            ("scenario", "solver", "time_limit_s"),
            f"must be <= {settings.max_time_limit_s:g} seconds per solve on this server",
            body.scenario.solver.time_limit_s,
        )
    row = add_simulation(session, body.scenario, body.replications, created_by=principal.role.value)
    session.flush()
    audit.record(
        session, actor(principal), "create", "simulation", row.id, replications=body.replications
    )
    session.commit()
    if runner is not None:
        runner.notify()
    response.headers["Location"] = f"/simulations/{row.id}"
    return _summary(row)


@router.get("")
def list_simulations(
    session: SessionDep,
    _: Staff,
    page: Page,
    status: PlanStatus | None = None,
) -> list[SimulationSummaryOut]:
    """Simulations, newest first, optionally of one status; a list cut at ``limit`` says
    where the next page starts (``X-Next-Offset``, ``Link``)."""
    query = select(SimulationJob).order_by(SimulationJob.id.desc())
    if status is not None:
        query = query.where(SimulationJob.status == status.value)
    return [_summary(r) for r in page.cut(session.scalars(page.query(query)).all())]


class DifferenceOut(BaseModel):
    """``scenario`` minus ``baseline`` for one figure, with its 95% interval; ``paired``
    when both simulated the same days (same seed and demand), else ``welch``."""

    scenario: str
    baseline: str
    metric: str
    method: str
    difference: float | None
    ci_low: float | None
    ci_high: float | None


class ComparisonOut(BaseModel):
    scenarios: list[str]
    side_by_side: dict[str, dict[str, str]]
    differences: list[DifferenceOut]


def _finite(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


@router.get("/compare")
def compare_simulations(
    session: SessionDep,
    _: Staff,
    ids: Annotated[
        list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Query(min_length=2, max_length=10)
    ],
) -> ComparisonOut:
    """Finished simulations side by side (``mean [95% CI]`` per headline figure, labelled
    ``id:name``) and each minus the first (``?ids=3&ids=4``)."""
    from scheduler.simulate.compare import differences, side_by_side

    results = []
    for sim_id in ids:
        row = get_or_404(session, SimulationJob, sim_id, "simulation")
        if row.status != PlanStatus.SUCCEEDED or row.result is None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"simulation {sim_id} is {row.status}: only succeeded simulations compare",
            )
        results.append(finished_result(row, name=f"{row.id}:{row.name}"[:64]))
    table = side_by_side(results)
    diffs = differences(results)
    return ComparisonOut(
        scenarios=[r.name for r in results],
        side_by_side={
            str(m): {str(k): str(v) for k, v in row.items()} for m, row in table.iterrows()
        },
        differences=[
            DifferenceOut(**{str(k): _finite(v) for k, v in r.items()})
            for r in diffs.to_dict(orient="records")
        ],
    )


@router.get("/{simulation_id}")
def get_simulation(simulation_id: SimulationId, session: SessionDep, _: Staff) -> SimulationOut:
    """Status; once succeeded, per-figure means with 95% confidence intervals, every
    replication's figures and the candidate events (held share, residents reached)."""
    row = get_or_404(session, SimulationJob, simulation_id, "simulation")
    result = SimulationResultOut.model_validate(row.result) if row.result is not None else None
    return SimulationOut(**_summary(row).model_dump(), result=result)
