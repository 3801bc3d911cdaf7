"""fieldroute's optimisation core: a plain library, no web and no database.

Typical use::

    from scheduler import load_problem, solve, travel_time_matrix_for, validate

    problem = load_problem("day.json")
    matrix, source = travel_time_matrix_for(problem)
    plan = solve(problem, matrix)
    assert validate(problem, plan, matrix) == []

Road travel times: ``travel_time_matrix_for(problem, RoadNetwork(load_network("bundled")))``
(``scheduler.network``, imported on first use of these names).
"""

from typing import TYPE_CHECKING, Any

from scheduler.domain import (
    Break,
    BreakTaken,
    Engineer,
    Location,
    Plan,
    Problem,
    Reason,
    Route,
    ServiceCenter,
    SolveOptions,
    SolverStats,
    Stop,
    TimeWindow,
    Unassigned,
    Visit,
    VisitKind,
    Weights,
)
from scheduler.errors import (
    FieldrouteError,
    InputFormatError,
    NetworkError,
    ProblemError,
    SolverError,
)
from scheduler.formats import load_problem, plan_to_json, problem_from_json
from scheduler.solver import Progress, solve
from scheduler.travel import (
    ExplicitMatrix,
    HaversineEstimate,
    TravelTimeProvider,
    travel_time_matrix_for,
)
from scheduler.validate import Violation, validate

if TYPE_CHECKING:
    from scheduler.network import RoadNetwork, load_network, travel_time_matrix

_NETWORK_NAMES = frozenset({"RoadNetwork", "load_network", "travel_time_matrix"})


def __getattr__(name: str) -> Any:
    """Import ``scheduler.network`` (networkx, scipy, osmnx) only when it is first used."""
    if name in _NETWORK_NAMES:
        import scheduler.network

        return getattr(scheduler.network, name)
    raise AttributeError(f"module 'scheduler' has no attribute {name!r}")


__all__ = [
    "Break",
    "BreakTaken",
    "Engineer",
    "ExplicitMatrix",
    "FieldrouteError",
    "HaversineEstimate",
    "InputFormatError",
    "Location",
    "NetworkError",
    "Plan",
    "Problem",
    "ProblemError",
    "Progress",
    "Reason",
    "RoadNetwork",
    "Route",
    "ServiceCenter",
    "SolveOptions",
    "SolverError",
    "SolverStats",
    "Stop",
    "TimeWindow",
    "TravelTimeProvider",
    "Unassigned",
    "Violation",
    "Visit",
    "VisitKind",
    "Weights",
    "load_network",
    "load_problem",
    "plan_to_json",
    "problem_from_json",
    "solve",
    "travel_time_matrix",
    "travel_time_matrix_for",
    "validate",
]
