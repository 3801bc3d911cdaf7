"""Replicate an outreach day over random home demand and summarise what it costs and buys.

Replication ``i`` of a scenario draws its demand from ``numpy.random.default_rng([seed, i])``
and is solved until the scenario's solution limit, so its numbers depend on nothing else:
not the executor, not the order tasks run in, not the other replications. With
``plan_per_centre`` each replication is one solve per service centre (each a separate task);
their figures are added up per replication.

Per replication: home visits demanded, served and deferred (in total and by priority 1..5),
lateness, overtime and travel (minutes), events held, engineers at events and their hours,
and residents within the scenario's coverage minutes of a held event (each counted once).
The summary gives, per figure, the mean and a 95% confidence interval from Student's t over
the replications.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from scheduler.domain import (
    Engineer,
    Location,
    Plan,
    Problem,
    ServiceCenter,
    SolveOptions,
    Visit,
    VisitKind,
)
from scheduler.errors import ProblemError
from scheduler.kpis import compute_kpis
from scheduler.simulate.demand import DemandedVisit
from scheduler.simulate.executor import Executor, InlineExecutor, Progress
from scheduler.simulate.regional import split_by_centre
from scheduler.simulate.scenario import EventPolicy, Scenario
from scheduler.travel import HaversineEstimate, Matrix

__all__ = [
    "METRICS",
    "Day",
    "SimulationResult",
    "build_day",
    "event_coverage",
    "replicate",
    "run",
    "summarise",
]

PRIORITIES = (1, 2, 3, 4, 5)

METRICS: tuple[str, ...] = (
    "home_demand",
    "home_served",
    "home_deferred",
    *(f"served_p{p}" for p in PRIORITIES),
    *(f"deferred_p{p}" for p in PRIORITIES),
    "late_visits",
    "lateness_min",
    "overtime_min",
    "travel_min",
    "events_candidate",
    "events_held",
    "event_engineers",
    "event_engineer_hours",
    "residents_covered",
)
"""The per-replication figures, in column order. Durations in minutes."""

CONFIDENCE = 0.95

_networks: dict[str, Any] = {}


def _network(source: str) -> Any:
    """The road network ``source`` names, loaded once per (worker) process."""
    network = _networks.get(source)
    if network is None:
        from scheduler.network import load_network

        network = _networks[source] = load_network(source)
    return network


# ------------------------------------------------------------------ one day's problem


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
    network = _network(scenario.network) if scenario.network else None
    if network is not None:
        demand = scenario.demand.sample(rng, network.lat, network.lon)
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
        ),
    )
    if network is not None:
        from scheduler.network import RoadNetwork

        provider: Any = RoadNetwork(network, max_snap_m=scenario.max_snap_m)
    else:
        provider = HaversineEstimate()
    matrix = provider.matrix(problem.locations)
    return Day(problem, matrix, demand, provider.name)


# ------------------------------------------------------------------ one task


@dataclass(frozen=True, slots=True)
class Outcome:
    """Figures of one solve (one replication, or one centre of it), before coverage."""

    replication: int
    centre: str | None
    figures: dict[str, float]
    events_held: tuple[str, ...]


def _figures(scenario: Scenario, problem: Problem, plan: Plan, matrix: Matrix) -> Outcome:
    kpis = compute_kpis(problem, plan, matrix)
    served = {s.visit_id: s.start for r in plan.routes for s in r.stops}
    home = [v for v in problem.visits if not v.is_event]
    events = {event_visit_id(e.id): e for e in scenario.events}
    held = sorted(v.id for v in problem.visits if v.is_event and v.id in served)
    lateness = {v.id: v.lateness(served[v.id]) for v in home if v.id in served}
    figures: dict[str, float] = {
        "home_demand": len(home),
        "home_served": sum(1 for v in home if v.id in served),
        "home_deferred": sum(1 for v in home if v.id not in served),
    }
    for p in PRIORITIES:
        figures[f"served_p{p}"] = sum(1 for v in home if v.priority == p and v.id in served)
        figures[f"deferred_p{p}"] = sum(1 for v in home if v.priority == p and v.id not in served)
    figures |= {
        "late_visits": sum(1 for s in lateness.values() if s > 0),
        "lateness_min": sum(lateness.values()) / 60,
        "overtime_min": kpis.overtime_s / 60,
        "travel_min": kpis.travel_time_s / 60,
        "events_candidate": sum(1 for v in problem.visits if v.is_event),
        "events_held": len(held),
        "event_engineers": sum(events[h].engineers_required for h in held),
        "event_engineer_hours": sum(events[h].engineer_hours for h in held),
    }
    return Outcome(0, None, figures, tuple(h.removeprefix("event:") for h in held))


_visit_coverage: dict[Scenario, Any] = {}


def _selected_plan(scenario: Scenario, problem: Problem, matrix: Matrix) -> Plan:
    """The plan whose events the routing model chose (``scheduler.simulate.selection``)."""
    from scheduler.simulate.coverage import coverage
    from scheduler.simulate.selection import HomeServiceLimits, select_events

    reach = _visit_coverage.get(scenario)
    if reach is None:
        assert scenario.network is not None  # checked by Scenario
        c = scenario.coverage
        reach = _visit_coverage[scenario] = coverage(
            _network(scenario.network),
            [Location(event_visit_id(e.id), e.lat, e.lon) for e in scenario.events],
            _residents_of(scenario.network, c.weighted),
            minutes=c.minutes,
            mode=c.mode,
            max_snap_m=scenario.max_snap_m,
        )
    sel = scenario.selection
    limits = HomeServiceLimits(sel.max_home_deferred, sel.max_overtime_min)
    chosen = select_events(problem, matrix, reach, budget_hours=sel.budget_hours, limits=limits)
    plan: Plan = chosen.chosen.plan
    return plan


def replicate(task: tuple[Scenario, int, str | None]) -> Outcome:
    """Solve one task: replication ``i`` of ``scenario`` (only ``centre``'s part if given).

    A top-level function of picklable arguments, so any executor can run it.
    """
    from scheduler.solver import solve

    scenario, replication, centre = task
    day = build_day(scenario, replication)
    if centre is None:
        problem, matrix = day.problem, day.matrix
    else:
        problem, matrix = split_by_centre(day.problem, day.matrix)[centre]
    if scenario.policy is EventPolicy.SELECTED:
        plan = _selected_plan(scenario, problem, matrix)
    else:
        plan = solve(problem, matrix)
    out = _figures(scenario, problem, plan, matrix)
    return Outcome(replication, centre, out.figures, out.events_held)


# ------------------------------------------------------------------ coverage

_residents: dict[tuple[str, bool], Any] = {}


def _residents_of(source: str, weighted: bool) -> Any:
    """Residential buildings of the network's OpenStreetMap extract, read once per process."""
    key = (source, weighted)
    if key not in _residents:
        from datasets.osm_places import residential_buildings
        from scheduler.simulate.coverage import Residents

        _residents[key] = Residents.from_places(residential_buildings(source), weighted=weighted)
    return _residents[key]


def event_coverage(scenario: Scenario) -> Any:
    """Residents each candidate event reaches (``scheduler.simulate.coverage.Coverage``, ids
    are the scenario's event ids), or None without a road network to measure on."""
    if not scenario.network or not scenario.events:
        return None
    from scheduler.simulate.coverage import coverage

    c = scenario.coverage
    return coverage(
        _network(scenario.network),
        [Location(e.id, e.lat, e.lon) for e in scenario.events],
        _residents_of(scenario.network, c.weighted),
        minutes=c.minutes,
        mode=c.mode,
        max_snap_m=scenario.max_snap_m,
    )


# ------------------------------------------------------------------ summary and run


def summarise(replications: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Per metric: ``n``, ``mean``, ``std`` (sample) and the 95% confidence interval of the
    mean from Student's t with ``n - 1`` degrees of freedom (NaN bounds when ``n < 2``)."""
    rows = []
    for m in metrics:
        values = replications[m].dropna().to_numpy(dtype=np.float64)
        n = len(values)
        mean = float(values.mean()) if n else math.nan
        std = float(values.std(ddof=1)) if n > 1 else math.nan
        if n > 1:
            half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * std / math.sqrt(n)
        else:
            half = math.nan
        rows.append(
            {
                "metric": m,
                "n": n,
                "mean": mean,
                "std": std,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        )
    return pd.DataFrame(rows).set_index("metric")


@dataclass(frozen=True)
class SimulationResult:
    """A scenario's replications (one row each, ``METRICS`` columns) and their summary."""

    scenario: Scenario
    replications: pd.DataFrame
    summary: pd.DataFrame
    events: pd.DataFrame
    executor: str = field(default="inline", compare=False)

    @property
    def name(self) -> str:
        return self.scenario.name

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary per metric and the replications' rows (NaN -> None)."""

        def clean(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return None
            return x

        summary = {
            m: {k: clean(float(v)) if k != "n" else int(v) for k, v in row.items()}
            for m, row in self.summary.to_dict(orient="index").items()
        }
        rows = [
            {k: clean(v) for k, v in r.items()} for r in self.replications.to_dict(orient="records")
        ]
        events = [
            {k: clean(v) for k, v in r.items()} for r in self.events.to_dict(orient="records")
        ]
        return {
            "scenario": self.name,
            "summary": summary,
            "replications": rows,
            "events": events,
        }


def _events_table(scenario: Scenario, frame: pd.DataFrame, reach: Any) -> pd.DataFrame:
    """Per candidate event: engineers, hours, the share of replications it was held in and
    the residents it reaches alone (NaN without a road network)."""
    held = [set(str(h).split()) for h in frame["events_held_ids"]]
    rows = []
    for e in scenario.events:
        rows.append(
            {
                "scenario": scenario.name,
                "event": e.id,
                "name": e.name,
                "engineers_required": e.engineers_required,
                "engineer_hours": e.engineer_hours,
                "held_share": sum(e.id in h for h in held) / len(held) if held else math.nan,
                "residents_reached": (
                    reach.event(e.id).residents if reach is not None else math.nan
                ),
            }
        )
    columns = [
        "scenario",
        "event",
        "name",
        "engineers_required",
        "engineer_hours",
        "held_share",
        "residents_reached",
    ]
    return pd.DataFrame(rows, columns=columns)


def _tasks(scenario: Scenario, replications: int) -> list[tuple[Scenario, int, str | None]]:
    if scenario.plan_per_centre and len(scenario.centres) > 1:
        return [(scenario, i, c.id) for i in range(replications) for c in scenario.centres]
    return [(scenario, i, None) for i in range(replications)]


def run_many(
    scenarios: Sequence[Scenario],
    replications: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> list[SimulationResult]:
    """Every scenario's replications as one batch through ``executor`` (default: inline);
    ``progress`` hears (solves done, solves in all) as they finish."""
    if replications < 1:
        raise ProblemError("simulation", "replications", replications, "must be >= 1")
    executor = executor or InlineExecutor()
    owners: list[int] = []
    tasks: list[tuple[Scenario, int, str | None]] = []
    for k, s in enumerate(scenarios):
        batch = _tasks(s, replications)
        owners += [k] * len(batch)
        tasks += batch
    outcomes = executor.map(replicate, tasks, progress)
    results = []
    for k, scenario in enumerate(scenarios):
        mine = [o for owner, o in zip(owners, outcomes, strict=True) if owner == k]
        rows = []
        reach = event_coverage(scenario)
        for i in range(replications):
            parts = [o for o in mine if o.replication == i]
            figures = {m: sum(p.figures[m] for p in parts) for m in METRICS[:-1]}
            held = frozenset(h for p in parts for h in p.events_held)
            rows.append(
                {
                    "scenario": scenario.name,
                    "replication": i,
                    **figures,
                    "residents_covered": (
                        float(reach.unique_residents(held)) if reach is not None else math.nan
                    ),
                    "events_held_ids": " ".join(sorted(held)),
                }
            )
        frame = pd.DataFrame(rows)
        results.append(
            SimulationResult(
                scenario,
                frame,
                summarise(frame),
                _events_table(scenario, frame, reach),
                executor.name,
            )
        )
    return results


def run(
    scenario: Scenario,
    replications: int = 10,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate ``replications`` days of ``scenario`` (see the module docstring)."""
    return run_many([scenario], replications, executor, progress)[0]
