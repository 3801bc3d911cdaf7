"""Clock times are parsed in one place (``scheduler.formats.clock``): the problem and plan
files, the CSV files and scenario files accept the same ``HH:MM`` times, each saying in its
own words what is wrong with one that is not."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scheduler.errors import InputFormatError
from scheduler.formats import CsvFormatError, parse_engineers_csv, problem_from_json
from scheduler.formats.clock import (
    NOT_A_TIME,
    clock_seconds,
    minutes_to_seconds,
    parse_clock,
    seconds_to_minutes,
    wall_seconds,
    wall_text,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("08:00", 8 * 3600),
        ("8:05", 8 * 3600 + 5 * 60),  # one-digit hour
        ("00:00", 0),
        ("23:59:59", 86_399),
        ("24:00", 86_400),  # the end of the day
        ("24:00:00", 86_400),
        ("24:00:01", None),  # past the end of the day
        ("23:60", None),
        ("12:00:60", None),
        ("8:5", None),  # minutes need two digits
        ("0800", None),
        ("2026-11-27T08:00", None),  # a date-time is not a wall-clock time
        ("", None),
    ],
)
def test_wall_seconds_reads_hh_mm_and_hh_mm_ss(text: str, seconds: int | None) -> None:
    assert wall_seconds(text) == seconds


def test_wall_seconds_can_refuse_seconds() -> None:
    assert wall_seconds("08:30", with_seconds=False) == 8 * 3600 + 30 * 60
    assert wall_seconds("08:30:15", with_seconds=False) is None


def test_parse_clock_gives_iso_date_times_as_datetimes_and_refuses_the_rest() -> None:
    assert parse_clock("07:30") == 27_000
    assert parse_clock("2026-11-27T08:00:00+02:00") == dt.datetime(
        2026, 11, 27, 8, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    for bad in ("25:00", "2026-13-01T08:00", "noon", "8 am"):
        with pytest.raises(ValueError, match=NOT_A_TIME):
            parse_clock(bad)


@pytest.mark.parametrize(
    ("minutes", "seconds"),
    [(30, 1800), (0.5, 30), (1 / 120, 1)],  # the last: half a second rounds up
)
def test_minutes_and_seconds_convert_both_ways(minutes: float, seconds: int) -> None:
    assert minutes_to_seconds(minutes) == seconds
    assert minutes_to_seconds(seconds_to_minutes(seconds)) == seconds


@pytest.mark.parametrize(
    ("text", "valid"),
    [("08:00", True), ("24:00", True), ("7:45", True), ("24:30", False), ("08:61", False)],
)
def test_every_format_accepts_the_same_hh_mm_times(text: str, valid: bool) -> None:
    engineer = {"id": "e", "start_location": "a", "shift_start": "00:00", "shift_end": text}
    problem_text = json.dumps(
        {
            "date": "2026-11-27",
            "locations": [{"id": "a", "lat": 60.0, "lon": 24.0}],
            "engineers": [engineer],
            "visits": [],
        }
    )
    csv_text = f"id,service_center,shift_start,shift_end\ne1,c1,00:00,{text}\n"
    if valid:
        seconds = wall_seconds(text)
        assert problem_from_json(problem_text).engineers[0].shift_end == seconds
        assert parse_engineers_csv(csv_text)[0].shift_end == text
        assert clock_seconds(text) == seconds
    else:
        with pytest.raises(InputFormatError, match=NOT_A_TIME):
            problem_from_json(problem_text)
        with pytest.raises(CsvFormatError, match="not a time: use HH:MM"):
            parse_engineers_csv(csv_text)
        with pytest.raises(ValueError, match="is not a clock time, use HH:MM"):
            clock_seconds(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00"), (8 * 3600 + 5 * 60, "08:05"), (30_630, "08:30:30"), (86_400, "24:00")],
)
def test_wall_text_writes_what_wall_seconds_reads(seconds: int, text: str) -> None:
    assert wall_text(seconds) == text
    assert wall_seconds(text) == seconds


def test_wall_text_refuses_what_is_not_a_time_of_one_day() -> None:
    for seconds in (-1, 86_401):
        with pytest.raises(ValueError, match="not a time of one day"):
            wall_text(seconds)
