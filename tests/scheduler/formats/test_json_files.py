"""The problem and plan JSON files: every time format, DST, error messages, round trips, schemas."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain import (
    Break,
    BreakTaken,
    Engineer,
    Location,
    Plan,
    Previous,
    Problem,
    Reason,
    Route,
    SolverStats,
    Stop,
    TimeWindow,
    Unassigned,
    Visit,
    VisitKind,
)
from scheduler.errors import InputFormatError
from scheduler.formats import (
    load_problem,
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
    schema_files,
)
from scheduler.travel import travel_time_matrix_for
from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "small_day.json"
SCHEMA_DIR = ROOT / "schemas"


@functools.cache
def committed_schema(name: str) -> dict[str, Any]:
    text = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


H = 3600


def base() -> dict[str, Any]:
    """A small valid problem file: two engineers, a home visit and a two-person event."""
    return {
        "date": "2026-11-27",
        "timezone": "Europe/Helsinki",
        "locations": [
            {"id": "hq", "lat": 60.1688, "lon": 24.9316},
            {"id": "home", "lat": 60.1636, "lon": 24.9392},
            {"id": "oodi", "lat": 60.1738, "lon": 24.9382},
        ],
        "engineers": [
            {
                "id": "e1",
                "name": "Aino",
                "start_location": "hq",
                "shift_start": "08:00",
                "shift_end": "16:00",
                "breaks": [{"duration_min": 30, "earliest_start": "11:00", "latest_end": "13:30"}],
                "skills": ["repair_certified"],
                "overtime_max_min": 60,
            },
            {
                "id": "e2",
                "name": "Mikko",
                "start_location": "hq",
                "shift_start": "08:00",
                "shift_end": "16:00",
            },
        ],
        "visits": [
            {
                "id": "v1",
                "location": "home",
                "duration_min": 40,
                "time_windows": [{"start": "10:00", "end": "12:00"}],
                "details": {"customer": "Eeva", "phone": "+358 50 555 0101"},
            },
            {
                "id": "ev1",
                "kind": "community_event",
                "location": "oodi",
                "duration_min": 180,
                "time_windows": [{"start": "13:00", "end": "13:00"}],
                "engineers_required": 2,
            },
        ],
    }


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def window_start(
    value: str, *, date: str = "2026-11-27", tz: str | None = "Europe/Helsinki"
) -> int:
    """Seconds since midnight that ``value`` becomes as the start of a visit's window."""
    data = base()
    data["date"] = date
    if tz is None:
        del data["timezone"]
    else:
        data["timezone"] = tz
    data["visits"] = [
        {
            "id": "v",
            "location": "home",
            "duration_min": 10,
            "time_windows": [{"start": value, "end": value}],
        }
    ]
    return problem_from_json(dumps(data)).visits[0].time_windows[0].start


# ------------------------------------------------------------------------------------ times


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("08:15", 8 * H + 15 * 60),  # HH:MM
        ("8:15", 8 * H + 15 * 60),  # one-digit hour
        ("08:15:30", 8 * H + 15 * 60 + 30),  # HH:MM:SS
        ("00:00", 0),  # midnight starts the day
        ("24:00", 24 * H),  # end of the day
        ("2026-11-27T08:15:00", 8 * H + 15 * 60),  # naive ISO: in the problem timezone
        ("2026-11-27 08:15", 8 * H + 15 * 60),  # space separator, no seconds
        ("2026-11-27T08:15:00+02:00", 8 * H + 15 * 60),  # the zone's own offset
        ("2026-11-27T06:15:00Z", 8 * H + 15 * 60),  # UTC, converted
        ("2026-11-27T07:15:00+01:00", 8 * H + 15 * 60),  # another offset, converted
        ("2026-11-26T23:00:00", -1 * H),  # the evening before: negative
        ("2026-11-28T01:00:00+02:00", 25 * H),  # the next night: past 86,400
        ("2026-11-27T08:15:00.600", 8 * H + 15 * 60 + 1),  # fractions round to whole seconds
    ],
)
def test_every_time_format_becomes_seconds_since_local_midnight(text: str, seconds: int) -> None:
    assert window_start(text) == seconds


def test_without_timezone_times_are_wall_clock_and_one_offset_is_used() -> None:
    """No timezone: naive times as written; ISO offsets allowed if all the same."""
    assert window_start("09:30", tz=None) == 9 * H + 30 * 60
    assert window_start("2026-11-27T09:30:00+05:30", tz=None) == 9 * H + 30 * 60
    data = base()
    del data["timezone"]
    data["engineers"][0]["shift_start"] = "2026-11-27T08:00:00+05:30"
    data["engineers"][0]["shift_end"] = "2026-11-27T16:00:00+05:30"
    data["engineers"][1]["shift_end"] = "16:00"
    p = problem_from_json(dumps(data))
    assert (p.engineers[0].shift_start, p.engineers[0].shift_end) == (8 * H, 16 * H)
    assert p.timezone is None


def test_without_timezone_different_offsets_are_refused() -> None:
    data = base()
    del data["timezone"]
    data["engineers"][0]["shift_start"] = "2026-11-27T08:00:00+02:00"
    data["engineers"][1]["shift_start"] = "2026-11-27T08:00:00+03:00"
    with pytest.raises(InputFormatError) as err:
        problem_from_json(dumps(data))
    assert str(err.value) == (
        "engineers[1] (id 'e2').shift_start = '2026-11-27T08:00:00+03:00': UTC offset +03:00 "
        "differs from +02:00 used by engineers[0] (id 'e1').shift_start; without a timezone "
        "all offsets must be equal (or give the problem a timezone)"
    )


@pytest.mark.parametrize(
    ("date", "text", "seconds"),
    [
        # 2026-03-29 in Helsinki has 23 hours: 03:00 EET jumps to 04:00 EEST.
        ("2026-03-29", "02:59", 2 * H + 59 * 60),
        ("2026-03-29", "04:00", 3 * H),
        ("2026-03-29", "08:00", 7 * H),
        ("2026-03-29", "24:00", 23 * H),
        ("2026-03-29", "2026-03-29T08:00:00+03:00", 7 * H),
        ("2026-03-29", "2026-03-29T05:00:00Z", 7 * H),
        # 2026-10-25 has 25 hours: 04:00 EEST falls back to 03:00 EET.
        ("2026-10-25", "03:30", 3 * H + 30 * 60),  # ambiguous: the first 03:30 (EEST)
        ("2026-10-25", "2026-10-25T03:30:00+03:00", 3 * H + 30 * 60),
        ("2026-10-25", "2026-10-25T03:30:00+02:00", 4 * H + 30 * 60),  # the second 03:30
        ("2026-10-25", "08:00", 9 * H),
        ("2026-10-25", "24:00", 25 * H),
    ],
)
def test_dst_days_count_real_elapsed_seconds(date: str, text: str, seconds: int) -> None:
    assert window_start(text, date=date) == seconds


def test_a_local_time_skipped_by_dst_is_an_error() -> None:
    with pytest.raises(
        InputFormatError, match=r"time_windows\[0\]\.start = '03:30': does not exist"
    ):
        window_start("03:30", date="2026-03-29")


def test_dst_day_times_are_written_back_with_the_right_offset() -> None:
    data = base()
    data["date"] = "2026-10-25"
    data["visits"][0]["time_windows"] = [
        {"start": "03:30", "end": "03:40"},
        {"start": "2026-10-25T03:30:00+02:00", "end": "24:00"},
    ]
    p = problem_from_json(dumps(data))
    assert [(w.start, w.end) for w in p.visits[0].time_windows] == [
        (12600, 13200),
        (16200, 25 * H),
    ]
    out = problem_to_json(p)
    assert out["visits"][0]["time_windows"] == [
        {"start": "03:30", "end": "03:40"},
        {"start": "2026-10-25T03:30:00+02:00", "end": "24:00"},
    ]
    assert problem_from_json(dumps(out)) == p


# ------------------------------------------------------------------------------------ mapping


def test_base_problem_maps_onto_the_domain() -> None:
    p = problem_from_json(dumps(base()))
    assert p.date == dt.date(2026, 11, 27)
    assert p.timezone == "Europe/Helsinki"
    assert p.locations[1] == Location("home", 60.1636, 24.9392)
    assert p.engineers[0] == Engineer(
        id="e1",
        name="Aino",
        start_location="hq",
        end_location="hq",  # defaults to start_location
        shift_start=8 * H,
        shift_end=16 * H,
        breaks=(Break(1800, 11 * H, 13 * H + 1800),),
        skills=frozenset({"repair_certified"}),
        overtime_max=3600,
    )
    v1, ev = p.visits
    assert v1 == Visit(
        id="v1", location="home", duration=2400, time_windows=(TimeWindow(10 * H, 12 * H),)
    )
    assert v1.details == {"customer": "Eeva", "phone": "+358 50 555 0101"}
    assert v1.lateness_cost == 1  # 3600 per hour by default
    assert ev.kind is VisitKind.COMMUNITY_EVENT
    assert (ev.engineers_required, ev.duration) == (2, 3 * H)
    assert ev.time_windows == (TimeWindow(13 * H, 13 * H),)


@pytest.mark.parametrize(
    ("minutes", "seconds"),
    [
        (40, 2400),  # whole minutes
        (0.5, 30),  # half a minute
        (1 / 3, 20),  # a third: 20 s exactly after rounding
        (0.0125, 1),  # 0.75 s rounds up
        (0.005, 0),  # 0.3 s rounds down
    ],
)
def test_fractional_minutes_round_to_whole_seconds(minutes: float, seconds: int) -> None:
    data = base()
    data["visits"][0]["duration_min"] = minutes
    assert problem_from_json(dumps(data)).visits[0].duration == seconds


def test_options_and_weights_map_onto_solve_options() -> None:
    data = base()
    data["options"] = {
        "time_limit_s": 2.5,
        "solution_limit": 100,
        "first_solution": "PATH_CHEAPEST_ARC",
        "metaheuristic": "TABU_SEARCH",
        "weights": {"fixed_per_engineer": 500, "balance_per_second": 2},
    }
    o = problem_from_json(dumps(data)).options
    assert (o.time_limit, o.solution_limit) == (2.5, 100)
    assert (o.first_solution, o.metaheuristic) == ("PATH_CHEAPEST_ARC", "TABU_SEARCH")
    assert (o.weights.fixed_per_engineer, o.weights.balance_per_second) == (500, 2)
    assert o.weights.travel_per_second == 1  # default kept


def test_lateness_cost_per_hour_becomes_units_per_second() -> None:
    data = base()
    data["visits"][0]["soft_windows"] = True
    data["visits"][0]["lateness_cost_per_hour"] = 7200
    v = problem_from_json(dumps(data)).visits[0]
    assert (v.soft_windows, v.lateness_cost) == (True, 2)


def test_a_schema_link_is_allowed_for_editors() -> None:
    data = base()
    data["$schema"] = "../schemas/problem.schema.json"
    assert problem_from_json(dumps(data)) == problem_from_json(dumps(base()))


# ------------------------------------------------------------------------------------ errors

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    """A mutation setting ``path`` (dotted, with list indices) to ``value``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _rename(path: str, old: str, new: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path.split("."):
            node = node[int(key)] if key.isdigit() else node[key]
        node[new] = node.pop(old)

    return mutate


def _delete(path: str, key: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node: Any = data
        for k in path.split("."):
            node = node[int(k)] if k.isdigit() else node[k]
        del node[key]

    return mutate


def _add_visit(**fields: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["visits"].append({"id": "v9", "location": "home", "duration_min": 30, **fields})

    return mutate


def _add_location(**fields: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["locations"].append(fields)

    return mutate


def _text(text: str) -> Callable[[], str]:
    return lambda: text


def _mutated(*mutations: Mutation) -> Callable[[], str]:
    def make() -> str:
        data = base()
        for m in mutations:
            m(data)
        return dumps(data)

    return make


BAD_INPUTS = [
    # negative duration
    (
        _mutated(_set("visits.0.duration_min", -5)),
        "visits[0] (id 'v1').duration_min = -5: must be >= 0",
    ),
    # window end before start
    (
        _mutated(_set("visits.0.time_windows.0", {"start": "10:00", "end": "09:00"})),
        "visits[0] (id 'v1').time_windows[0].end = '09:00': must not be before its start '10:00'",
    ),
    # unknown location
    (
        _mutated(_set("visits.0.location", "nowhere")),
        "visits[0] (id 'v1').location = 'nowhere': is not a known location id",
    ),
    # unknown engineer in allowed_engineers
    (
        _mutated(_set("visits.0.allowed_engineers", ["e1", "e9"])),
        "visits[0] (id 'v1').allowed_engineers = 'e9': is not a known engineer id",
    ),
    # an event needing more engineers than the problem has
    (
        _mutated(_set("visits.1.engineers_required", 3)),
        "visits[1] (id 'ev1').engineers_required = 3: is more than the 2 engineers in the problem",
    ),
    # duplicate visit ids
    (
        _mutated(_set("visits.1.id", "v1")),
        "visits[1] (id 'v1').id = 'v1': is used by more than one visit (also visits[0])",
    ),
    # duplicate engineer ids
    (
        _mutated(_set("engineers.1.id", "e1")),
        "engineers[1] (id 'e1').id = 'e1': is used by more than one engineer (also engineers[0])",
    ),
    # malformed JSON: a missing comma
    (
        _text('{\n  "date": "2026-11-27"\n  "x": 1\n}'),
        "malformed JSON at line 3 column 3: Expecting ','",
    ),
    # malformed JSON: a key given twice would silently lose one value
    (
        _text('{"date": "2026-11-27", "date": "2026-11-28"}'),
        "malformed JSON: key 'date' appears twice",
    ),
    # misspelled field
    (
        _mutated(_rename("visits.0", "duration_min", "duraton_min")),
        "visits[0] (id 'v1').duraton_min = 40: unknown field; did you mean 'duration_min'?",
    ),
    # priority out of range
    (_mutated(_set("visits.0.priority", 9)), "visits[0] (id 'v1').priority = 9: must be <= 5"),
    # shift_end not a time
    (
        _mutated(_set("engineers.0.shift_end", "25:00")),
        "engineers[0] (id 'e1').shift_end = '25:00': not a time, use HH:MM or ISO 8601",
    ),
    # shift ending before it starts
    (
        _mutated(_set("engineers.0.shift_end", "07:00")),
        "engineers[0] (id 'e1').shift_end = '07:00': must be after shift_start '08:00'",
    ),
    # a break window shorter than the break
    (
        _mutated(_set("engineers.0.breaks.0.latest_end", "11:15")),
        "engineers[0] (id 'e1').breaks[0].latest_end = '11:15': leaves less than the break's "
        "30 min after earliest_start '11:00'",
    ),
    # a required field missing
    (
        _mutated(_delete("engineers.1", "shift_start")),
        "engineers[1] (id 'e2').shift_start: required field is missing",
    ),
    # a number given as a string
    (
        _mutated(_set("locations.1.lat", "60.1")),
        "locations[1] (id 'home').lat = '60.1': must be a number",
    ),
    # latitude off the globe
    (_mutated(_set("locations.1.lat", 91)), "locations[1] (id 'home').lat = 91: must be <= 90"),
    # an unknown kind of visit
    (
        _mutated(_set("visits.0.kind", "party")),
        "visits[0] (id 'v1').kind = 'party': must be one of 'home_service' or 'community_event'",
    ),
    # a home visit cannot take a team
    (
        _mutated(_set("visits.0.engineers_required", 2)),
        "visits[0] (id 'v1').engineers_required = 2: must be 1 for a home_service visit",
    ),
    # an event must last
    (
        _mutated(_set("visits.1.duration_min", 0)),
        "visits[1] (id 'ev1').duration_min = 0: an event must last > 0 seconds",
    ),
    # overlapping windows
    (
        _mutated(
            _set(
                "visits.0.time_windows",
                [{"start": "09:00", "end": "11:00"}, {"start": "10:00", "end": "12:00"}],
            )
        ),
        "visits[0] (id 'v1').time_windows = [{'start': '09:00', 'end': '11:00'}, "
        "{'start': '10:00', 'end': '12:00'}]: must not overlap",
    ),
    # lateness cost not whole units per second
    (
        _mutated(_set("visits.0.lateness_cost_per_hour", 1800)),
        "visits[0] (id 'v1').lateness_cost_per_hour = 1800: must be a multiple of 3600",
    ),
    # a date that does not exist
    (_mutated(_set("date", "2026-02-30")), "date = '2026-02-30': not a date, use YYYY-MM-DD"),
    # a misspelled timezone
    (
        _mutated(_set("timezone", "Europe/Helsinky")),
        "timezone = 'Europe/Helsinky': not an IANA time zone name",
    ),
    # a service centre that does not exist
    (
        _mutated(_set("engineers.0.service_center", "sc9")),
        "engineers[0] (id 'e1').service_center = 'sc9': is not a known service centre id",
    ),
    # a matrix of the wrong size
    (
        _mutated(_set("travel_time_matrix", [[0, 1], [1, 0]])),
        "travel_time_matrix = '2 rows': must have one row per location (3)",
    ),
    # a negative travel time
    (
        _mutated(_set("travel_time_matrix", [[0, 1, 1], [1, 0, -1], [1, 1, 0]])),
        "travel_time_matrix[1][2] = -1: must be >= 0",
    ),
    # weights are integers
    (
        _mutated(_set("options", {"weights": {"travel_per_second": 1.5}})),
        "options.weights.travel_per_second = 1.5: must be an integer",
    ),
    # the file is not an object
    (_text("[1, 2]"), "fieldroute problem file: must be a JSON object"),
    # empty input
    (_text(""), "malformed JSON at line 1 column 1: Expecting value"),
    # NaN is not JSON a problem can use
    (
        _text(dumps(base()).replace('"lat": 60.1636', '"lat": NaN')),
        "locations[1] (id 'home').lat = nan: must be a finite number",
    ),
    # an unknown location added with a typo'd key
    (
        _mutated(_add_location(id="x", lat=60.0, long=24.9)),
        "locations[3] (id 'x').long = 24.9: unknown field; did you mean 'lon'?",
    ),
    # a duration so large its seconds would overflow
    (
        _mutated(_set("visits.0.duration_min", 1e308)),
        "visits[0] (id 'v1').duration_min = 1e+308: must be <= 1000000",
    ),
    # a date-time that cannot be converted into the problem timezone
    (
        _mutated(_set("engineers.0.shift_start", "9999-12-31T23:59:00-14:00")),
        "engineers[0] (id 'e1').shift_start = '9999-12-31T23:59:00-14:00': is out of the range",
    ),
    # an added visit with no duration
    (
        _mutated(_add_visit(duration_min=None)),
        "visits[2] (id 'v9').duration_min = None: must be a number",
    ),
]


@pytest.mark.parametrize(
    ("make_text", "expected"), BAD_INPUTS, ids=[e.split(": ")[0] for _, e in BAD_INPUTS]
)
def test_bad_input_names_object_field_and_value(
    make_text: Callable[[], str], expected: str
) -> None:
    with pytest.raises(InputFormatError) as err:
        problem_from_json(make_text())
    assert expected in str(err.value)


def test_all_validation_errors_come_in_one_message_one_per_line() -> None:
    text = _mutated(
        _set("visits.0.duration_min", -5),
        _set("visits.0.priority", 0),
        _set("engineers.1.shift_start", "8am"),
    )()
    with pytest.raises(InputFormatError) as err:
        problem_from_json(text)
    assert str(err.value).splitlines() == [
        "engineers[1] (id 'e2').shift_start = '8am': not a time, use HH:MM or ISO 8601",
        "visits[0] (id 'v1').duration_min = -5: must be >= 0",
        "visits[0] (id 'v1').priority = 0: must be >= 1",
    ]


def test_time_faults_are_all_reported_together() -> None:
    text = _mutated(
        _set("visits.0.time_windows.0", {"start": "12:00", "end": "10:00"}),
        _set("engineers.1.shift_end", "06:00"),
    )()
    with pytest.raises(InputFormatError) as err:
        problem_from_json(text)
    assert len(str(err.value).splitlines()) == 2


def test_domain_errors_keep_their_cause() -> None:
    with pytest.raises(InputFormatError) as err:
        problem_from_json(_mutated(_set("visits.0.location", "nowhere"))())
    assert err.value.__cause__ is not None
    assert "is not a known location id" in str(err.value.__cause__)


def test_load_problem_prefixes_the_path(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    path.write_text(_mutated(_set("visits.0.priority", 9))(), encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"day\.json: visits\[0\] \(id 'v1'\)\.priority = 9"):
        load_problem(path)
    with pytest.raises(InputFormatError, match=r"missing\.json: cannot read"):
        load_problem(tmp_path / "missing.json")
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(InputFormatError, match="not UTF-8"):
        load_problem(path)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


BASE_PATHS = _paths(base())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BASE_PATHS), JSON)
def test_any_value_anywhere_gives_a_problem_or_an_input_format_error(
    path: tuple[str | int, ...], value: object
) -> None:
    """Fuzz: replacing any field with any JSON value never escapes as another exception."""
    data: Any = base()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        problem = problem_from_json(json.dumps(data))
    except InputFormatError as e:
        assert str(e).strip()
    else:
        assert isinstance(problem, Problem)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_an_input_format_error(text: str) -> None:
    with pytest.raises(InputFormatError):
        problem_from_json(text)


# ------------------------------------------------------------------------------------ round trips


def _round_trip(p: Problem) -> Problem:
    return problem_from_json(json.dumps(problem_to_json(p)))


def test_problem_round_trip_of_the_example() -> None:
    p = load_problem(EXAMPLE)
    back = _round_trip(p)
    assert back == p
    assert [v.details for v in back.visits] == [v.details for v in p.visits]


def test_problem_round_trip_without_timezone_and_with_matrix() -> None:
    data = base()
    del data["timezone"]
    data["travel_time_matrix"] = [[0, 300, 420], [300, 0, 600], [420, 600, 0]]
    data["service_centers"] = [{"id": "sc", "name": "Kamppi", "location": "hq"}]
    data["engineers"][0]["service_center"] = "sc"
    data["engineers"][0]["shift_start"] = "07:59:30"
    data["visits"][0]["duration_min"] = 40.25
    p = problem_from_json(dumps(data))
    assert _round_trip(p) == p
    assert problem_to_json(p)["engineers"][0]["shift_start"] == "07:59:30"


TZ_DATES = st.sampled_from(
    [
        (None, dt.date(2026, 11, 27)),
        ("Europe/Helsinki", dt.date(2026, 11, 27)),
        ("Europe/Helsinki", dt.date(2026, 3, 29)),  # 23 hours
        ("Europe/Helsinki", dt.date(2026, 10, 25)),  # 25 hours
        ("America/New_York", dt.date(2026, 11, 1)),
        ("Asia/Kolkata", dt.date(2026, 6, 1)),
    ]
)


@st.composite
def previous_plans(draw: st.DrawFn, seconds: st.SearchStrategy[int]) -> Previous:
    """Where a re-plan found a visit: engineers, start and perhaps the window promised."""
    promise = None
    if draw(st.booleans()):
        lo = draw(seconds)
        promise = TimeWindow(lo, lo + draw(st.integers(0, 3 * H)))
    engineers = frozenset(
        draw(st.lists(st.sampled_from(["e0", "e1", "gone"]), min_size=1, max_size=2))
    )
    return Previous(engineers, draw(seconds), promise)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    tz, date = draw(TZ_DATES)
    seconds = st.integers(-2 * H, 27 * H)
    locations = (Location("hq", 60.17, 24.93), Location("x", 60.16, 24.95))
    engineers = []
    for i in range(draw(st.integers(1, 3))):
        start = draw(seconds)
        end = start + draw(st.integers(1, 12 * H))
        b = draw(st.integers(1, 2 * H))
        engineers.append(
            Engineer(
                id=f"e{i}",
                name=draw(st.text(max_size=6)),
                start_location="hq",
                end_location=draw(st.sampled_from(["hq", "x"])),
                shift_start=start,
                shift_end=end,
                breaks=(Break(b, start, start + b + draw(st.integers(0, H))),),
                skills=frozenset(draw(st.lists(st.sampled_from(["a", "b"]), max_size=2))),
                overtime_max=draw(st.integers(0, 2 * H)),
            )
        )
    n_visits = draw(st.integers(0, 4))
    if n_visits and draw(st.booleans()):
        engineers[0] = dataclasses.replace(engineers[0], next_visit="v0")
    visits = []
    for i in range(n_visits):
        starts = sorted(set(draw(st.lists(seconds, max_size=3))))
        windows: list[TimeWindow] = []
        for s in starts:
            if not windows or s > windows[-1].end:
                windows.append(TimeWindow(s, s + draw(st.integers(0, 60))))
        visits.append(
            Visit(
                id=f"v{i}",
                location="x",
                duration=draw(st.integers(0, 5 * H)),
                time_windows=tuple(windows),
                soft_windows=draw(st.booleans()),
                lateness_cost=draw(st.integers(0, 5)),
                priority=draw(st.integers(1, 5)),
                preferred_engineers=frozenset(draw(st.lists(st.sampled_from(["e0"]), max_size=1))),
                previous=draw(st.none() | previous_plans(seconds)),
            )
        )
    return Problem(
        date=date,
        locations=locations,
        engineers=tuple(engineers),
        visits=tuple(visits),
        timezone=tz,
    )


@settings(max_examples=150, deadline=None)
@given(problems())
def test_problem_round_trip_is_exact(p: Problem) -> None:
    """Any problem, DST days and times on neighbouring days included, reads back equal."""
    out = problem_to_json(p)
    jsonschema.validate(out, committed_schema("problem"))
    assert _round_trip(p) == p


# ------------------------------------------------------------------------------------ plans


def _example_plan(problem: Problem) -> Plan:
    """A hand-made plan for ``base()``: e1 serves v1 then both hold the event."""
    return Plan(
        routes=(
            Route(
                "e1",
                departure=9 * H + 50 * 60,
                return_=16 * H + 5 * 60,
                stops=(
                    Stop("v1", arrival=9 * H + 55 * 60, start=10 * H, end=10 * H + 40 * 60),
                    Stop("ev1", arrival=12 * H + 30 * 60, start=13 * H, end=16 * H),
                ),
                breaks=(BreakTaken(11 * H, 11 * H + 1800),),
            ),
            Route(
                "e2",
                departure=12 * H + 50 * 60,
                return_=16 * H + 4 * 60,
                stops=(Stop("ev1", arrival=12 * H + 55 * 60, start=13 * H, end=16 * H),),
            ),
        ),
        unassigned=(
            Unassigned("v2", Reason.CAPACITY, "no room", closest_engineer="e2", shortfall=600),
            Unassigned("v3", Reason.NO_QUALIFIED_ENGINEER, "nobody has skill 'x'"),
        ),
        stats=SolverStats(
            status="SUCCESS",
            wall_time=1.2345678901234567,
            objective=12345,
            first_solution="PARALLEL_CHEAPEST_INSERTION",
            metaheuristic="GUIDED_LOCAL_SEARCH",
            events_held=("ev1",),
            solves=3,
        ),
    )


def _plan_problem(tz: str | None = "Europe/Helsinki") -> Problem:
    data = base()
    if tz is None:
        del data["timezone"]
    data["visits"] += [
        {"id": "v2", "location": "home", "duration_min": 30},
        {"id": "v3", "location": "home", "duration_min": 30, "required_skills": ["x"]},
    ]
    data["travel_time_matrix"] = [[0, 300, 420], [300, 0, 600], [420, 600, 0]]
    return problem_from_json(dumps(data))


def test_plan_json_shape_and_times() -> None:
    problem = _plan_problem()
    plan = _example_plan(problem)
    out = plan_to_json(problem, plan, travel_time_matrix_for(problem)[0])
    jsonschema.validate(out, committed_schema("plan"))
    r1 = out["routes"][0]
    assert (r1["engineer_id"], r1["engineer_name"]) == ("e1", "Aino")
    assert (r1["departure"], r1["return"]) == (
        "2026-11-27T09:50:00+02:00",
        "2026-11-27T16:05:00+02:00",
    )
    assert r1["breaks"] == [
        {"start": "2026-11-27T11:00:00+02:00", "end": "2026-11-27T11:30:00+02:00"}
    ]
    v1, ev = r1["stops"]
    assert v1 == {
        "visit_id": "v1",
        "crew_member": 0,
        "location": "home",
        "arrival": "2026-11-27T09:55:00+02:00",
        "start": "2026-11-27T10:00:00+02:00",
        "end": "2026-11-27T10:40:00+02:00",
        "travel_from_previous_s": 300,  # hq -> home
        "wait_s": 300,
        "details": {"customer": "Eeva", "phone": "+358 50 555 0101"},
        "crew_mates": [],
    }
    assert (ev["travel_from_previous_s"], ev["wait_s"]) == (600, 1800)  # home -> oodi
    assert out["routes"][1]["stops"][0]["travel_from_previous_s"] == 420  # hq -> oodi
    assert out["unassigned"] == [
        {
            "visit_id": "v2",
            "reason": "CAPACITY",
            "message": "no room",
            "closest_engineer": "e2",
            "shortfall_s": 600,
        },
        {
            "visit_id": "v3",
            "reason": "NO_QUALIFIED_ENGINEER",
            "message": "nobody has skill 'x'",
            "closest_engineer": None,
            "shortfall_s": None,
        },
    ]
    assert out["solver"] == {
        "status": "SUCCESS",
        "wall_time_s": 1.2345678901234567,
        "objective": 12345,
        "first_solution": "PARALLEL_CHEAPEST_INSERTION",
        "metaheuristic": "GUIDED_LOCAL_SEARCH",
        "events_held": ["ev1"],
        "solves": 3,
        "engine": "compiled",
        "iterations": 0,
    }
    assert out["kpis"]["visits_served"] == 2
    assert out["kpis"]["travel_time_s"] == 300 + 600 + 420 + 420 + 420


@pytest.mark.parametrize("tz", ["Europe/Helsinki", None])
def test_plan_round_trip_is_exact(tz: str | None) -> None:
    problem = _plan_problem(tz)
    plan = _example_plan(problem)
    matrix = travel_time_matrix_for(problem)[0]
    out = plan_to_json(problem, plan, matrix)
    assert plan_from_json(problem, json.dumps(out)) == plan
    no_stats = Plan(plan.routes, plan.unassigned)
    assert plan_from_json(problem, json.dumps(plan_to_json(problem, no_stats, matrix))) == no_stats


def test_plan_times_are_naive_without_a_timezone() -> None:
    problem = _plan_problem(None)
    out = plan_to_json(problem, _example_plan(problem), travel_time_matrix_for(problem)[0])
    assert out["routes"][0]["departure"] == "2026-11-27T09:50:00"
    assert out["timezone"] is None


def test_plan_round_trip_across_dst() -> None:
    data = base()
    data["date"] = "2026-10-25"
    problem = problem_from_json(dumps(data))
    plan = Plan(
        routes=(Route("e1", departure=3 * H + 1800, return_=4 * H + 1800, stops=()),),
        unassigned=(),
    )
    out = plan_to_json(problem, plan, np.zeros((3, 3), dtype=np.int64))
    assert (out["routes"][0]["departure"], out["routes"][0]["return"]) == (
        "2026-10-25T03:30:00+03:00",
        "2026-10-25T03:30:00+02:00",
    )
    assert plan_from_json(problem, json.dumps(out)) == plan


def test_plan_file_may_omit_idle_engineers_and_derived_fields() -> None:
    problem = _plan_problem()
    text = dumps(
        {
            "date": "2026-11-27",
            "routes": [
                {
                    "engineer_id": "e2",
                    "departure": "08:00",
                    "return": "2026-11-27T09:00:00+02:00",
                    "stops": [
                        {"visit_id": "v2", "arrival": "08:05", "start": "08:05", "end": "08:35"}
                    ],
                }
            ],
        }
    )
    plan = plan_from_json(problem, text)
    assert plan == Plan(
        routes=(Route("e2", 8 * H, 9 * H, (Stop("v2", 8 * H + 300, 8 * H + 300, 8 * H + 2100),)),),
        unassigned=(),
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a visit the problem does not have
        (
            ("routes", 0, "stops", 0, "visit_id", "zz"),
            "routes[0].stops[0].visit_id = 'zz': is not a known visit id",
        ),
        # an engineer the problem does not have
        (
            ("routes", 0, "engineer_id", "e7"),
            "routes[0].engineer_id = 'e7': is not a known engineer id",
        ),
        # a time that is not a time
        (("routes", 0, "departure", "soon"), "routes[0].departure = 'soon': not a time"),
        # a reason code that does not exist
        (("unassigned", 0, "reason", "BORED"), "unassigned[0].reason = 'BORED': must be one of"),
        # the plan of another day
        (("date", "2026-11-28"), "date = '2026-11-28': the problem is for '2026-11-27'"),
    ],
)
def test_bad_plan_files_name_the_field(change: tuple[Any, ...], expected: str) -> None:
    problem = _plan_problem()
    out = plan_to_json(problem, _example_plan(problem), travel_time_matrix_for(problem)[0])
    node: Any = out
    *path, key, value = change
    for k in path:
        node = node[k]
    node[key] = value
    with pytest.raises(InputFormatError) as err:
        plan_from_json(problem, json.dumps(out))
    assert expected in str(err.value)


# ------------------------------------------------------------------------------------ schemas


@pytest.mark.parametrize("name", sorted(schema_files()))
def test_committed_schemas_match_the_models(name: str) -> None:
    """Regenerate with ``python scripts/write_schemas.py`` when a model changes."""
    committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == schema_files()[name], (
        f"schemas/{name} is stale: run scripts/write_schemas.py"
    )
    jsonschema.Draft202012Validator.check_schema(json.loads(committed))


def test_the_example_validates_against_the_schema_and_loads() -> None:
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    jsonschema.validate(raw, committed_schema("problem"))
    p = load_problem(EXAMPLE)
    assert p.timezone == "Europe/Helsinki"
    assert p.travel_time_matrix is None  # the haversine estimate is used
    assert len(p.engineers) == 3 and len(p.service_centers) == 1
    assert all(60.16 <= x.lat <= 60.18 and 24.92 <= x.lon <= 24.96 for x in p.locations), (
        "central Helsinki"
    )
    homes = [v for v in p.visits if v.kind is VisitKind.HOME_SERVICE]
    events = [v for v in p.visits if v.is_event]
    assert len(homes) == 12 and len(events) == 1
    assert events[0].engineers_required == 2
    assert events[0].time_windows == (TimeWindow(13 * H, 13 * H),)
    assert any(v.allowed_engineers for v in homes), "one pinned visit"
    assert any("sign_language" in v.required_skills for v in homes)
    assert any(v.soft_windows for v in homes)
    for e in p.engineers:
        assert (e.shift_start, e.shift_end, e.overtime_max) == (8 * H, 16 * H, 3600)
        assert e.breaks == (Break(1800, 11 * H, 13 * H + 1800),)
    matrix, source = travel_time_matrix_for(p)
    assert source == "haversine-estimate" and matrix.shape == (len(p.locations),) * 2


def test_problem_schema_rejects_what_the_model_rejects() -> None:
    data = copy.deepcopy(base())
    data["visits"][0]["duraton_min"] = 40
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, committed_schema("problem"))
