"""fieldroute's optimisation core: a plain library, no web and no database.

Typical use::

    from scheduler import load_problem, solve, travel_time_matrix_for, validate

    problem = load_problem("day.json")
    matrix, source = travel_time_matrix_for(problem)
    plan = solve(problem, matrix)
    assert validate(problem, plan, matrix) == []
"""

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
from scheduler.errors import FieldrouteError, InputFormatError, ProblemError, SolverError
from scheduler.io import load_problem, plan_to_json, problem_from_json
from scheduler.solver import Progress, solve
from scheduler.travel import (
    ExplicitMatrix,
    HaversineEstimate,
    TravelTimeProvider,
    travel_time_matrix_for,
)
from scheduler.validate import Violation, validate

__all__ = [
    "Break",
    "BreakTaken",
    "Engineer",
    "ExplicitMatrix",
    "FieldrouteError",
    "HaversineEstimate",
    "InputFormatError",
    "Location",
    "Plan",
    "Problem",
    "ProblemError",
    "Progress",
    "Reason",
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
    "load_problem",
    "plan_to_json",
    "problem_from_json",
    "solve",
    "travel_time_matrix_for",
    "validate",
]
