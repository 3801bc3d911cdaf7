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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scheduler.domain import (
    Plan,
    Problem,
)
from scheduler.errors import ProblemError
from scheduler.kpis import compute_kpis
from scheduler.simulate.day import build_day, event_coverage, event_visit_id
from scheduler.simulate.executor import Executor, InlineExecutor, Progress
from scheduler.simulate.regional import split_by_centre
from scheduler.simulate.scenario import EventPolicy, Scenario
from scheduler.simulate.stats import summarise
from scheduler.travel import Matrix

__all__ = [  # build_day, event_coverage, event_visit_id: re-exported from .day
    "METRICS",
    "Outcome",
    "SimulationResult",
    "build_day",
    "event_coverage",
    "event_visit_id",
    "replicate",
    "run",
    "run_many",
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

# ------------------------------------------------------------------ one task


@dataclass(frozen=True, slots=True)
class Outcome:
    """Figures of one solve (one replication, or one centre of it), before coverage."""

    replication: int
    centre: str | None
    figures: dict[str, float]
    events_held: tuple[str, ...]


def _figures(
    scenario: Scenario, problem: Problem, plan: Plan, matrix: Matrix
) -> tuple[dict[str, float], tuple[str, ...]]:
    """The per-replication figures of one plan (all but coverage) and the events held."""
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
    return figures, tuple(h.removeprefix("event:") for h in held)


def _selected_plan(scenario: Scenario, problem: Problem, matrix: Matrix) -> Plan:
    """The plan whose events the routing model chose (``scheduler.simulate.selection``)."""
    from scheduler.simulate.selection import HomeServiceLimits, select_events

    reach = event_coverage(scenario, visit_ids=True)
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
    if scenario.policy is EventPolicy.SELECTED and any(v.is_event for v in problem.visits):
        plan = _selected_plan(scenario, problem, matrix)
    else:
        plan = solve(problem, matrix)
    figures, held = _figures(scenario, problem, plan, matrix)
    return Outcome(replication, centre, figures, held)


# ------------------------------------------------------------------ summary and run


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

    @classmethod
    def from_dict(cls, scenario: Scenario, data: Mapping[str, Any]) -> SimulationResult:
        """The result :meth:`as_dict` wrote (e.g. stored by the API), for ``scenario``."""
        summary = pd.DataFrame.from_dict(dict(data["summary"]), orient="index")
        summary.index.name = "metric"
        summary = summary.astype(float).astype({"n": int})
        replications = pd.DataFrame.from_records(list(data["replications"]))
        numeric = [m for m in METRICS if m in replications.columns]
        replications[numeric] = replications[numeric].astype(float)
        events = pd.DataFrame.from_records(list(data["events"]))
        return cls(scenario, replications, summary, events, str(data.get("executor", "")))


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


def _residents_covered(scenario: Scenario, reach: Any, held: frozenset[str]) -> float:
    """Unique residents reached by the held events; NaN without a network to measure on."""
    if reach is not None:
        return float(reach.unique_residents(held))
    return 0.0 if scenario.network else math.nan  # a network, but no candidate events


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
                    "residents_covered": _residents_covered(scenario, reach, held),
                    "events_held_ids": " ".join(sorted(held)),
                }
            )
        frame = pd.DataFrame(rows)
        results.append(
            SimulationResult(
                scenario,
                frame,
                summarise(frame, METRICS),
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
