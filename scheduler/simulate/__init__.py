"""Outreach-day simulation: scenarios, random home demand, replications, comparison.

Typical use::

    from scheduler.simulate import load_scenario, run

    result = run(load_scenario("examples/outreach_two_events.yaml"), replications=20)
    print(result.summary)        # mean and 95% CI of each figure
"""

from scheduler.simulate.executor import (
    DaskExecutor,
    Executor,
    InlineExecutor,
    ProcessExecutor,
    executor_for,
)
from scheduler.simulate.run import METRICS, SimulationResult, run, run_many
from scheduler.simulate.scenario import Scenario, load_scenario, scenario_from_dict
from scheduler.simulate.stats import summarise

__all__ = [
    "METRICS",
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "ProcessExecutor",
    "Scenario",
    "SimulationResult",
    "executor_for",
    "load_scenario",
    "run",
    "run_many",
    "scenario_from_dict",
    "summarise",
]
