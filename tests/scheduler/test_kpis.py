"""KPIs recomputed from a plan's times and the matrix, checked against hand-computed numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from scheduler.domain import (
    BreakTaken,
    Engineer,
    Location,
    Plan,
    Problem,
    Reason,
    Route,
    SolveOptions,
    SolverStats,
    Stop,
    TimeWindow,
    Unassigned,
    Visit,
    VisitKind,
    Weights,
)
from scheduler.errors import ProblemError
from scheduler.kpis import EngineerKpis, ObjectiveBreakdown, compute_kpis

H = 3600

#              D     A     B     C
MATRIX_ROWS = (
    (0, 600, 900, 1200),  # D (depot)
    (600, 0, 300, 700),  # A
    (900, 300, 0, 400),  # B
    (1200, 700, 400, 0),  # C
)
MATRIX = np.array(MATRIX_ROWS, dtype=np.int64)
WEIGHTS = Weights(
    travel_per_second=1,
    overtime_per_second=2,
    fixed_per_engineer=1000,
    non_preferred_engineer=900,
    balance_per_second=1,
)


def make_problem(weights: Weights = WEIGHTS) -> Problem:
    """Three engineers at depot D; five served-or-not visits and two events."""
    return Problem(
        date=dt.date(2026, 11, 27),
        locations=tuple(Location(i, 60.17, 24.94) for i in "DABC"),
        engineers=(
            # e1's shift ends 12:30 (45000): returning at 46200 is 1200 s overtime.
            Engineer("e1", "D", "D", 8 * H, 45000, overtime_max=H),
            Engineer("e2", "D", "D", 8 * H, 16 * H),
            Engineer("e3", "D", "D", 8 * H, 16 * H),  # idle
        ),
        visits=(
            Visit(
                "a",
                "A",
                1800,
                time_windows=(TimeWindow(32400, 36000),),
                priority=2,
                preferred_engineers=frozenset({"e2"}),  # served by e1: non-preferred
            ),
            Visit(
                "b",
                "B",
                3600,
                time_windows=(TimeWindow(30000, 33000),),
                soft_windows=True,
                lateness_cost=2,
                priority=3,
            ),
            Visit("c", "C", 2400, priority=1, preferred_engineers=frozenset({"e2"})),
            Visit("d", "A", 600, priority=5),
            Visit(
                "ev",
                "C",
                1800,
                kind=VisitKind.COMMUNITY_EVENT,
                time_windows=(TimeWindow(43200, 43200),),
                priority=1,
                engineers_required=2,
            ),
            Visit("f", "B", 600, required_skills=frozenset({"welding"}), priority=4),
            Visit("g", "A", 600, kind=VisitKind.COMMUNITY_EVENT, priority=2, engineers_required=2),
        ),
        travel_time_matrix=MATRIX_ROWS,
        options=SolveOptions(weights=weights),
    )


PLAN = Plan(
    routes=(
        # e1: D -600-> A (wait 300) -300-> B (1500 s late) -break- -400-> C (wait 2900) -1200-> D
        Route(
            "e1",
            departure=31500,
            return_=46200,
            stops=(
                Stop("a", arrival=32100, start=32400, end=34200),
                Stop("b", arrival=34500, start=34500, end=38100),
                Stop("ev", arrival=40300, start=43200, end=45000),
            ),
            breaks=(BreakTaken(38100, 39900),),
        ),
        # e2: D -1200-> C, serves c, stays at C for the event (wait 10800), -1200-> D
        Route(
            "e2",
            departure=28800,
            return_=46200,
            stops=(
                Stop("c", arrival=30000, start=30000, end=32400),
                Stop("ev", arrival=32400, start=43200, end=45000),
            ),
        ),
        # e3 has no route at all: plans may omit idle engineers
    ),
    unassigned=(
        Unassigned("d", Reason.CAPACITY, "no time left"),
        Unassigned("f", Reason.NO_QUALIFIED_ENGINEER, "nobody welds"),
        Unassigned("g", Reason.EVENT_UNDERSTAFFED, "one engineer short"),
    ),
)


def test_hand_computed_kpis() -> None:
    k = compute_kpis(make_problem(), PLAN, MATRIX)
    assert (k.visits_total, k.visits_served, k.visits_unassigned) == (7, 4, 3)
    # served: a p2, b p3, c p1, ev p1; unassigned: d p5, f p4, g p2
    assert k.served_by_priority == {"1": 2, "2": 1, "3": 1, "4": 0, "5": 0}
    assert k.unassigned_by_priority == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert k.unassigned_by_reason == {
        "NO_QUALIFIED_ENGINEER": 1,
        "OUTSIDE_ALL_SHIFTS": 0,
        "EVENT_UNDERSTAFFED": 1,
        "CAPACITY": 1,
    }
    assert (k.events_total, k.events_held, k.events_not_held) == (2, 1, 1)
    assert (k.engineers_used, k.engineers_idle) == (2, 1)
    assert k.travel_time_s == (600 + 300 + 400 + 1200) + (1200 + 0 + 1200)  # 4900
    assert k.travel_time_mean_s == 2450.0
    assert k.service_time_s == (1800 + 3600 + 1800) + (2400 + 1800)  # 11400
    assert k.wait_time_s == (300 + 0 + 2900) + (0 + 10800)  # 14000
    assert k.overtime_s == 46200 - 45000  # 1200
    assert k.lateness_s == 34500 - 33000  # b: 1500
    assert k.engineers == (
        EngineerKpis(
            engineer_id="e1",
            stops=3,
            travel_s=2500,
            service_s=7200,
            wait_s=3200,
            break_s=1800,
            working_s=46200 - 31500,
            overtime_s=1200,
            utilisation=7200 / (45000 - 28800),
        ),
        EngineerKpis("e2", 2, 2400, 4200, 10800, 0, 46200 - 28800, 0, 4200 / (8 * H)),
        EngineerKpis("e3", 0, 0, 0, 0, 0, 0, 0, 0.0),
    )
    assert k.objective == ObjectiveBreakdown(
        travel=1 * 4900,
        overtime=2 * 1200,
        lateness=2 * 1500,  # b's lateness_cost is 2 units per second
        fixed=1000 * 2,
        non_preferred=900 * 1,  # a (prefers e2) served by e1; c is served by e2
        balance=1 * max(2500 + 7200, 2400 + 4200),  # busiest: e1, travel + service
        total=4900 + 2400 + 3000 + 2000 + 900 + 9700,  # 22900
    )


def test_as_dict_is_json_ready_and_complete() -> None:
    d = compute_kpis(make_problem(), PLAN, MATRIX).as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["objective"]["total"] == 22900
    assert d["engineers"][2] == {
        "engineer_id": "e3",
        "stops": 0,
        "travel_s": 0,
        "service_s": 0,
        "wait_s": 0,
        "break_s": 0,
        "working_s": 0,
        "overtime_s": 0,
        "utilisation": 0.0,
    }
    field_names = {f.name for f in dataclasses.fields(compute_kpis(make_problem(), PLAN, MATRIX))}
    assert set(d) == field_names


def test_kpis_are_frozen() -> None:
    k = compute_kpis(make_problem(), PLAN, MATRIX)
    with pytest.raises(dataclasses.FrozenInstanceError):
        k.travel_time_s = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        k.served_by_priority["1"] = 9  # type: ignore[index]


def test_the_solver_stats_do_not_matter() -> None:
    """KPIs come from the plan's times and the matrix, never from the solver's own numbers."""
    stats = SolverStats("SUCCESS", 1.0, objective=1, first_solution="X", metaheuristic="Y")
    with_stats = dataclasses.replace(PLAN, stats=stats)
    assert compute_kpis(make_problem(), with_stats, MATRIX) == compute_kpis(
        make_problem(), PLAN, MATRIX
    )


def test_empty_plan() -> None:
    problem = make_problem()
    empty = Plan(routes=(Route("e1", 8 * H, 8 * H, ()),), unassigned=())
    k = compute_kpis(problem, empty, MATRIX)
    assert (k.visits_served, k.engineers_used, k.engineers_idle) == (0, 0, 3)
    assert (k.travel_time_s, k.travel_time_mean_s, k.overtime_s) == (0, 0.0, 0)
    assert k.objective == ObjectiveBreakdown(0, 0, 0, 0, 0, 0, 0)


def test_a_late_event_counts_the_lateness_of_each_engineer() -> None:
    """Both engineers start the event 100 s late: 200 late seconds, each priced, as the
    objective (and both searches) price every stop of a team (scheduler.objective)."""
    problem = make_problem()
    ev = problem.visit("ev")
    late_ev = dataclasses.replace(ev, soft_windows=True, lateness_cost=3)
    problem = dataclasses.replace(
        problem, visits=tuple(late_ev if v.id == "ev" else v for v in problem.visits)
    )
    plan = Plan(
        routes=(
            Route("e1", 40000, 46000, (Stop("ev", 41000, 43300, 45100),)),
            Route("e2", 40000, 46000, (Stop("ev", 41000, 43300, 45100),)),
        ),
        unassigned=(),
    )
    k = compute_kpis(problem, plan, MATRIX)
    assert (k.lateness_s, k.objective.lateness) == (200, 600)


def test_default_weights_leave_fixed_and_balance_at_zero() -> None:
    k = compute_kpis(make_problem(Weights()), PLAN, MATRIX)
    # defaults: travel 1/s, overtime 2/s, fixed 0, non-preferred 900, balance 0
    assert k.objective == ObjectiveBreakdown(4900, 2400, 3000, 0, 900, 0, 4900 + 2400 + 3000 + 900)


def test_a_plan_naming_an_unknown_visit_is_refused() -> None:
    plan = Plan(routes=(Route("e1", 0, 10, (Stop("zz", 0, 0, 1),)),), unassigned=())
    with pytest.raises(ProblemError, match="'zz'"):
        compute_kpis(make_problem(), plan, MATRIX)


def test_objective_terms_can_be_read_by_name() -> None:
    o = compute_kpis(make_problem(), PLAN, MATRIX).objective
    assert (o["total"], o["balance"]) == (o.total, o.balance) == (22900, 9700)
    with pytest.raises(KeyError):
        o["drop"]
