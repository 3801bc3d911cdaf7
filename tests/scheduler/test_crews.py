"""Crews (issue 18): visits served by engineers with their own skills and durations, started
together or in sequence within a gap, and the worst lateness priced.

The contract (problem file, bad input), the validator (one mutation per rule), the
objective's maximum-lateness term, and the plan file's crew members and crew mates."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from scheduler.domain import (
    CrewMember,
    CrewSequence,
    Plan,
    Problem,
    Route,
    Stop,
    TimeWindow,
    Visit,
    Weights,
)
from scheduler.errors import InputFormatError, ProblemError
from scheduler.formats.plan_file import plan_from_json, plan_to_json
from scheduler.formats.problem_file import problem_from_json, problem_to_json
from scheduler.objective import price
from scheduler.validate import Code, validate
from tests.builders import MIN, STEP, engineer, hm, matrix_of, problem, visit

# --- a tiny crew day ---------------------------------------------------------------------------


def crew_visit(
    vid: str,
    at: int,
    members: list[tuple[list[str], int]],
    *,
    gap: tuple[int, int] | None = None,
    windows: tuple[tuple[int, int], ...] = (),
    soft: bool = False,
) -> Visit:
    return Visit(
        id=vid,
        location=f"p{at}",
        duration=0,
        time_windows=tuple(TimeWindow(a, b) for a, b in windows),
        soft_windows=soft,
        crew=tuple(CrewMember(frozenset(s), m * MIN) for s, m in members),
        crew_timing=None if gap is None else CrewSequence(gap[0] * MIN, gap[1] * MIN),
    )


def day() -> Problem:
    """Three engineers at p0; a repair + sign-language pair together at p2, and an install
    then a configuration 30-60 minutes later at p3."""
    return problem(
        [
            engineer("e1", skills=["repair", "install"]),
            engineer("e2", skills=["sign"]),
            engineer("e3", skills=["network"]),
        ],
        [
            crew_visit("pair", 2, [(["repair"], 40), (["sign"], 20)]),
            crew_visit("seq", 3, [(["install"], 60), (["network"], 30)], gap=(30, 60)),
        ],
        points=5,
    )


def valid_plan() -> Plan:
    """e1: pair (member 0) 9:00-9:40, seq (member 0) 10:00-11:00; e2: pair (member 1)
    9:00-9:20; e3: seq (member 1) 10:45-11:15."""
    pair0 = Stop("pair", hm(9), hm(9), hm(9, 40), 0)
    seq0 = Stop("seq", hm(9, 50), hm(10), hm(11), 0)
    pair1 = Stop("pair", hm(9), hm(9), hm(9, 20), 1)
    seq1 = Stop("seq", hm(10, 45), hm(10, 45), hm(11, 15), 1)
    return Plan(
        (
            Route("e1", hm(9) - 2 * STEP, hm(11) + 3 * STEP, (pair0, seq0)),
            Route("e2", hm(9) - 2 * STEP, hm(9, 20) + 2 * STEP, (pair1,)),
            Route("e3", hm(10, 45) - 3 * STEP, hm(11, 15) + 3 * STEP, (seq1,)),
        ),
        (),
    )


def _codes(p: Problem, plan: Plan) -> set[str]:
    return {v.code for v in validate(p, plan, matrix_of(p))}


def _replace_stop(plan: Plan, engineer_id: str, i: int, **changes: Any) -> Plan:
    routes = []
    for r in plan.routes:
        if r.engineer_id == engineer_id:
            stops = list(r.stops)
            stops[i] = dataclasses.replace(stops[i], **changes)
            r = dataclasses.replace(r, stops=tuple(stops))
        routes.append(r)
    return dataclasses.replace(plan, routes=tuple(routes))


# --- the domain ---------------------------------------------------------------------------------


def test_a_crew_sets_the_visit_size_duration_and_common_skills() -> None:
    v = crew_visit("x", 1, [(["a", "b"], 30), (["b"], 45)], gap=(0, 10))
    assert v.engineers_required == 2
    assert v.duration == 45 * MIN
    assert v.required_skills == frozenset({"b"})
    assert [m.duration for m in v.members()] == [30 * MIN, 45 * MIN]
    plain = visit("y", 1, minutes=20, skills=["a"], k=3)
    assert plain.members() == (CrewMember(frozenset({"a"}), 20 * MIN),) * 3


def test_a_valid_crew_plan_passes() -> None:
    assert _codes(day(), valid_plan()) == set()


# --- the validator: one mutation per rule -------------------------------------------------------


def test_mutation_member_without_its_skill() -> None:
    # e2 (sign) says it serves the repair member: its skill is missing
    plan = _replace_stop(valid_plan(), "e2", 0, crew_member=0, end=hm(9, 40))
    plan = _replace_stop(plan, "e1", 0, crew_member=1, end=hm(9, 20))
    assert Code.SKILL in _codes(day(), plan)


def test_mutation_member_duration() -> None:
    plan = _replace_stop(valid_plan(), "e2", 0, end=hm(9, 40))  # the sign member lasts 20 min
    assert Code.TIMING in _codes(day(), plan)


def test_mutation_together_starts_apart() -> None:
    plan = _replace_stop(valid_plan(), "e2", 0, arrival=hm(9, 5), start=hm(9, 5), end=hm(9, 25))
    assert Code.EVENT_SIMULTANEITY in _codes(day(), plan)


@pytest.mark.parametrize("start", [hm(10, 20), hm(11, 5)])  # 20 min (< 30) and 65 min (> 60)
def test_mutation_sequence_gap_outside(start: int) -> None:
    plan = _replace_stop(valid_plan(), "e3", 0, arrival=start, start=start, end=start + 30 * MIN)
    plan = dataclasses.replace(
        plan,
        routes=tuple(
            dataclasses.replace(r, departure=start - 3 * STEP, return_=start + 30 * MIN + 3 * STEP)
            if r.engineer_id == "e3"
            else r
            for r in plan.routes
        ),
    )
    assert _codes(day(), plan) == {Code.CREW_SEQUENCE}


def test_mutation_all_or_nothing() -> None:
    plan = valid_plan()
    half = dataclasses.replace(plan, routes=tuple(r for r in plan.routes if r.engineer_id != "e3"))
    assert Code.EVENT_STAFFING in _codes(day(), half)


def test_mutation_same_engineer_twice() -> None:
    # e1 serves both members of the pair (one after the other); the crew needs two engineers
    p = day()
    plan = valid_plan()
    e1 = next(r for r in plan.routes if r.engineer_id == "e1")
    twice = dataclasses.replace(
        e1,
        stops=(
            Stop("pair", hm(9), hm(9), hm(9, 40), 0),
            Stop("pair", hm(9, 40), hm(9, 40), hm(10), 1),
            *e1.stops[1:],
        ),
    )
    plan = dataclasses.replace(
        plan,
        routes=tuple(
            twice if r.engineer_id == "e1" else r for r in plan.routes if r.engineer_id != "e2"
        ),
    )
    assert Code.EVENT_STAFFING in _codes(p, plan)


def test_mutation_member_index() -> None:
    plan = _replace_stop(valid_plan(), "e2", 0, crew_member=0, end=hm(9, 40))
    assert Code.CREW_MEMBER in _codes(day(), plan)
    plan = _replace_stop(valid_plan(), "e2", 0, crew_member=5)
    assert Code.CREW_MEMBER in _codes(day(), plan)


# --- the objective ------------------------------------------------------------------------------


def test_max_lateness_is_priced_once() -> None:
    p = problem(
        [engineer("e1"), engineer("e2")],
        [
            visit("a", 1, windows=[(hm(8), hm(8))], soft=True),
            visit("b", 2, windows=[(hm(8), hm(8))], soft=True),
        ],
        weights=Weights(max_lateness_per_second=3),
    )
    plan = (
        Route("e1", hm(9), hm(10), (Stop("a", hm(9, 10), hm(9, 10), hm(9, 40)),)),
        Route("e2", hm(9), hm(10), (Stop("b", hm(9, 20), hm(9, 30), hm(10)),)),
    )
    got = price(p, plan, (), matrix_of(p), p.options.weights)
    late = (hm(9, 10) - hm(8)) + (hm(9, 30) - hm(8))
    assert got.lateness == late
    assert got.max_lateness == 3 * (hm(9, 30) - hm(8))
    assert got.total == got.travel + got.lateness + got.max_lateness


# --- the problem file ---------------------------------------------------------------------------


def _file(**visit_fields: Any) -> str:
    base: dict[str, Any] = {
        "date": "2026-11-27",
        "locations": [
            {"id": "hq", "lat": 60.17, "lon": 24.9},
            {"id": "home", "lat": 60.18, "lon": 24.95},
        ],
        "engineers": [
            {
                "id": "e1",
                "start_location": "hq",
                "end_location": "hq",
                "shift_start": "08:00",
                "shift_end": "16:00",
                "skills": ["repair"],
            },
            {
                "id": "e2",
                "start_location": "hq",
                "end_location": "hq",
                "shift_start": "08:00",
                "shift_end": "16:00",
                "skills": ["sign"],
            },
        ],
        "visits": [{"id": "v1", "location": "home", **visit_fields}],
    }
    return json.dumps(base)


CREW = [{"skills": ["repair"], "duration_min": 40}, {"skills": ["sign"], "duration_min": 20}]


def test_problem_file_reads_and_writes_a_crew_in_sequence() -> None:
    text = _file(crew=CREW, crew_timing={"sequence": {"min_gap_min": 10, "max_gap_min": 90}})
    p = problem_from_json(text)
    v = p.visits[0]
    assert [(sorted(m.skills), m.duration) for m in v.members()] == [
        (["repair"], 40 * MIN),
        (["sign"], 20 * MIN),
    ]
    assert v.crew_timing == CrewSequence(10 * MIN, 90 * MIN)
    again = problem_from_json(json.dumps(problem_to_json(p)))
    assert again.visits == p.visits
    assert problem_to_json(again)["visits"][0]["crew"] == CREW


def test_weights_max_lateness_per_second_is_read() -> None:
    text = json.loads(_file(duration_min=10))
    text["options"] = {"weights": {"max_lateness_per_second": 2}}
    assert problem_from_json(json.dumps(text)).options.weights.max_lateness_per_second == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"crew": CREW, "engineers_required": 2, "duration_min": 30},
            "visits[0] (id 'v1'): crew is given together with duration_min, engineers_required",
        ),
        ({"crew": []}, "visits[0] (id 'v1').crew = []: must list at least one member"),
        (
            {"crew": CREW, "crew_timing": {"sequence": {"min_gap_min": -5, "max_gap_min": 9}}},
            "min_gap_min",
        ),
        (
            {"crew": CREW, "crew_timing": {"sequence": {"min_gap_min": 50, "max_gap_min": 9}}},
            "visits[0] (id 'v1').crew_timing.sequence.max_gap_min = 9: must not be less than "
            "min_gap_min 50",
        ),
        (
            {"crew": [{"skills": ["welding"], "duration_min": 30}, CREW[1]]},
            "crew[0].skills",
        ),
        ({"crew": [{"skills": ["sign"], "duration_min": 0}, CREW[0]]}, "duration_min"),
        ({"crew": [{"skills": ["sign"], "duration_min": 2000}, CREW[0]]}, "duration_min"),
    ],
)
def test_bad_crews_name_the_visit_and_field(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises((InputFormatError, ProblemError)) as err:
        problem_from_json(_file(**fields))
    assert expected in str(err.value)
    assert "v1" in str(err.value) or "visits[0]" in str(err.value)


def test_plan_file_carries_crew_members_and_mates() -> None:
    p = day()
    plan = valid_plan()
    out = plan_to_json(p, plan, matrix_of(p))
    e2 = next(r for r in out["routes"] if r["engineer_id"] == "e2")
    (pair,) = e2["stops"]
    assert pair["crew_member"] == 1
    assert [(m["engineer_id"], m["crew_member"]) for m in pair["crew_mates"]] == [("e1", 0)]
    back = plan_from_json(p, json.dumps(out))
    assert [s.crew_member for r in back.routes for s in r.stops] == [
        s.crew_member for r in plan.routes for s in r.stops
    ]


# --- explanations -------------------------------------------------------------------------------


def test_a_member_nobody_allowed_can_staff_is_named() -> None:
    from scheduler.explain import explain_dropped

    p = day()
    pair = dataclasses.replace(
        p.visits[0], allowed_engineers=frozenset({"e1", "e3"})
    )  # e2 (sign) not allowed
    p = dataclasses.replace(p, visits=(pair, p.visits[1]))
    (why,) = explain_dropped(p, (), matrix_of(p), ["pair"])
    assert why.reason.value == "EVENT_UNDERSTAFFED"
    assert "crew member 1 (sign, 20 min)" in why.message


def test_two_members_one_engineer_is_understaffed() -> None:
    from scheduler.explain import explain_dropped

    p = problem(
        [engineer("e1", skills=["a", "b"]), engineer("e2", skills=["c"])],
        [crew_visit("x", 1, [(["a"], 10), (["b"], 10)])],
    )
    (why,) = explain_dropped(p, (), matrix_of(p), ["x"])
    assert why.reason.value == "EVENT_UNDERSTAFFED"
    assert "crew member 1 cannot be staffed" in why.message


def test_csv_files_refuse_a_crew_rather_than_lose_it(tmp_path: Any) -> None:
    from scheduler.formats import write_csv

    p = dataclasses.replace(day(), travel_time_matrix=None)
    with pytest.raises(ProblemError, match="crew"):
        write_csv(p, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_kpi_table_reports_crews_served() -> None:
    from scheduler.kpis import compute_kpis
    from scheduler.report import format_kpis

    p = day()
    plan = valid_plan()
    k = compute_kpis(p, plan, matrix_of(p))
    assert (k.crews_total, k.crews_served, k.max_lateness_s) == (2, 2, 0)
    text = format_kpis(p, plan, k)
    assert "Crews (2 of 2 served" in text
    assert "seq (2 in sequence): E1 10:00, E3 10:45" in text


def test_the_plan_text_names_the_crew_mates() -> None:
    from scheduler.report import format_plan

    text = format_plan(day(), valid_plan())
    assert "visit seq  (arrive 09:50, priority 3)  [crew member 1 of 2; with E3 10:45]" in text
    assert "[crew member 2 of 2; with E1 09:00]" in text
