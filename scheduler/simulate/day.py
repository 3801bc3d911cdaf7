"""One replication's day: the scenario's engineers and candidate events with home demand
drawn from the replication's seed, as a ``Problem`` with its travel-time matrix; and the
per-process caches (road network, residents, event coverage) every worker reuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scheduler.domain import (
    Engineer,
    Location,
    Problem,
    ServiceCenter,
    SolveOptions,
    Visit,
    VisitKind,
)
from scheduler.simulate.demand import DemandedVisit
from scheduler.simulate.scenario import EventPolicy, Scenario
from scheduler.travel import HaversineEstimate, Matrix

__all__ = ["Day", "build_day", "event_coverage", "event_visit_id", "home_visit_id", "network"]


def network(source: str) -> Any:
    """The road network ``source`` names, loaded once per (worker) process
    (:func:`scheduler.network.shared_network`: threads asking at once share one load)."""
    from scheduler.network import shared_network

    return shared_network(source)


@dataclass(frozen=True, slots=True)
class Day:
    """One replication's day: the problem (all centres), its matrix, the sampled demand."""

    problem: Problem
    matrix: Matrix
    demand: tuple[DemandedVisit, ...]
    travel_times: str


def event_visit_id(event_id: str) -> str:
    return f"event:{event_id}"


def home_visit_id(demanded_id: str) -> str:
    return f"home:{demanded_id}"


def _engineers(scenario: Scenario) -> list[Engineer]:
    out = []
    for g in scenario.engineers:
        for eid in g.engineer_ids():
            out.append(
                Engineer(
                    id=eid,
                    start_location=f"centre:{g.service_centre}",
                    end_location=f"centre:{g.service_centre}",
                    shift_start=g.shift_start,
                    shift_end=g.shift_end,
                    breaks=(g.lunch,) if g.lunch is not None else (),
                    skills=g.skills,
                    overtime_max=g.overtime_max,
                    service_center=g.service_centre,
                )
            )
    return out


def _event_visits(scenario: Scenario) -> list[Visit]:
    mandatory = scenario.policy is EventPolicy.MANDATORY  # selected: prizes decide instead
    return [
        Visit(
            id=event_visit_id(e.id),
            location=event_visit_id(e.id),
            duration=e.duration,
            kind=VisitKind.COMMUNITY_EVENT,
            time_windows=(e.start,),
            required_skills=e.skills,
            # Mandatory: dropped only when no plan can staff it (lexicographic penalties).
            priority=1 if mandatory else e.priority,
            engineers_required=e.engineers_required,
            details={"name": e.name},
        )
        for e in scenario.events
    ]


def _home_visits(scenario: Scenario, demand: Sequence[DemandedVisit]) -> list[Visit]:
    soft = scenario.demand.soft_windows
    return [
        Visit(
            id=home_visit_id(d.id),
            location=home_visit_id(d.id),
            duration=d.duration,
            time_windows=(d.window,),
            soft_windows=soft,
            required_skills=d.skills,
            priority=d.priority,
            details={"area": d.area, "job_type": d.job_type},
        )
        for d in demand
    ]


def build_day(scenario: Scenario, replication: int) -> Day:
    """Replication ``replication``'s demand, problem and travel-time matrix (seconds)."""
    rng = np.random.default_rng([scenario.seed, replication])
    roads = network(scenario.network) if scenario.network else None
    if roads is not None:
        demand = scenario.demand.sample(rng, roads.lat, roads.lon)
    else:
        demand = scenario.demand.sample(rng)
    locations = [Location(f"centre:{c.id}", c.lat, c.lon) for c in scenario.centres]
    locations += [Location(event_visit_id(e.id), e.lat, e.lon) for e in scenario.events]
    locations += [Location(home_visit_id(d.id), d.lat, d.lon) for d in demand]
    problem = Problem(
        date=scenario.date,
        locations=tuple(locations),
        engineers=tuple(_engineers(scenario)),
        visits=tuple(_event_visits(scenario) + _home_visits(scenario, demand)),
        service_centers=tuple(
            ServiceCenter(c.id, c.name, f"centre:{c.id}") for c in scenario.centres
        ),
        options=SolveOptions(
            time_limit=scenario.solver.time_limit,
            solution_limit=scenario.solver.solution_limit,
            workers=scenario.solver.workers,
        ),
    )
    if roads is not None:
        from scheduler.network import MatrixCache, RoadNetwork, default_cache_dir

        # Node-to-node seconds on disk, shared by every worker and replication of a network.
        cache = MatrixCache(default_cache_dir() / "matrices")
        provider: Any = RoadNetwork(roads, max_snap_m=scenario.max_snap_m, cache=cache)
    else:
        provider = HaversineEstimate()
    matrix = provider.matrix(problem.locations)
    return Day(problem, matrix, demand, provider.name)


_residents: dict[tuple[str, bool], Any] = {}


def _residents_of(source: str, weighted: bool) -> Any:
    """Residential buildings of the network's OpenStreetMap extract, read once per process."""
    key = (source, weighted)
    if key not in _residents:
        from scheduler.network.places import residential_buildings
        from scheduler.simulate.coverage import Residents

        _residents[key] = Residents.from_places(residential_buildings(source), weighted=weighted)
    return _residents[key]


_coverages: dict[tuple[Scenario, bool], Any] = {}


def event_coverage(scenario: Scenario, *, visit_ids: bool = False) -> Any:
    """Residents each candidate event reaches (``scheduler.simulate.coverage.Coverage``; ids
    are the scenario's event ids, or the events' visit ids), computed once per process;
    None without a road network to measure on."""
    if not scenario.network or not scenario.events:
        return None
    key = (scenario, visit_ids)
    if key not in _coverages:
        from scheduler.simulate.coverage import coverage

        c = scenario.coverage
        name = event_visit_id if visit_ids else str
        _coverages[key] = coverage(
            network(scenario.network),
            [Location(name(e.id), e.lat, e.lon) for e in scenario.events],
            _residents_of(scenario.network, c.weighted),
            minutes=c.minutes,
            mode=c.mode,
            max_snap_m=scenario.max_snap_m,
        )
    return _coverages[key]
