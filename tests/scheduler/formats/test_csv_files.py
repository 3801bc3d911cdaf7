"""CSV formats: round trip with the problem file, and bad rows reported all at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from datasets.generator import generate_day
from scheduler.domain import Problem
from scheduler.errors import InputFormatError, ProblemError
from scheduler.formats import (
    EngineerFile,
    ServiceCenterFile,
    VisitFile,
    load_problem,
    problem_from_json,
    problem_to_json,
)
from scheduler.formats.csv_files import (
    ENGINEER_COLUMNS,
    SERVICE_CENTER_COLUMNS,
    VISIT_COLUMNS,
    CsvFormatError,
    CsvRowError,
    parse_engineers_csv,
    parse_service_centers_csv,
    parse_visits_csv,
    read_csv,
    write_csv,
)
from scheduler.network import load_network
from tests.paths import ROOT, SMALL_DAY

EXAMPLE = SMALL_DAY
DAY = dt.date(2026, 12, 4)

CENTRES = "id,name,lat,lon\nsc-1,Kamppi,60.1688,24.9316\n"
ENGINEERS = (
    "id,name,service_center,shift_start,shift_end,breaks,skills\n"
    "e1,Aino Virtanen,sc-1,08:00,16:00,30@11:00-13:30,repair_certified;sign_language\n"
    "e2,Mikko Korhonen,sc-1,08:00,16:00,30@11:00-13:30,smart_home\n"
)
VISITS = (
    "id,lat,lon,duration_min,time_windows,required_skills,priority,job_type,customer\n"
    "v1,60.1636,24.9392,40,08:00-10:00,repair_certified,2,laptop repair,Eeva Laine\n"
    "v2,60.1648,24.9380,60,10:00-12:00;14:00-16:00,,3,router set-up,Juha Mäkinen\n"
)


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def _where(e: CsvFormatError) -> list[tuple[str, int | None, str | None]]:
    return [(x.file, x.row, x.column) for x in e.errors]


def _round_trip(problem: Problem, folder: Path) -> Problem:
    write_csv(problem, folder)
    return read_csv(folder, date=problem.date, timezone=problem.timezone, options=problem.options)


# ------------------------------------------------------------------------------ round trip


def test_a_generated_day_round_trips_through_the_csv_files(tmp_path: Path) -> None:
    problem = generate_day(load_network("bundled"), size="default", seed=9)
    again = _round_trip(problem, tmp_path)
    assert again == problem
    assert problem_to_json(again) == problem_to_json(problem), "details too"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "engineers.csv",
        "service_centers.csv",
        "visits.csv",
    ]


def test_the_example_day_round_trips(tmp_path: Path) -> None:
    problem = load_problem(EXAMPLE)
    again = _round_trip(problem, tmp_path)
    assert problem_to_json(again) == problem_to_json(problem)
    header = (tmp_path / "visits.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "job_type" in header.split(",") and "details.contact" in header.split(",")


def test_engineers_starting_away_from_a_centre_keep_their_own_points(tmp_path: Path) -> None:
    base = load_problem(EXAMPLE)
    home = dataclasses.replace(base.locations[1], id="aino-home", lat=60.19, lon=24.93)
    first = dataclasses.replace(base.engineers[0], start_location="aino-home")
    problem = dataclasses.replace(
        base, locations=(*base.locations, home), engineers=(first, *base.engineers[1:])
    )
    again = _round_trip(problem, tmp_path)
    assert again.engineers == problem.engineers
    assert {x.id: (x.lat, x.lon) for x in again.locations}["aino-home"] == (60.19, 24.93)


def test_a_problem_with_a_matrix_is_not_written_without_it(tmp_path: Path) -> None:
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    n = len(raw["locations"])
    raw["travel_time_matrix"] = [[0] * n for _ in range(n)]
    with pytest.raises(ProblemError, match="travel_time_matrix"):
        write_csv(problem_from_json(json.dumps(raw)), tmp_path)


def test_hand_written_files_read_with_defaults(tmp_path: Path) -> None:
    folder = _write(tmp_path, service_centers=CENTRES, engineers=ENGINEERS, visits=VISITS)
    p = read_csv(folder, date=DAY, timezone="Europe/Helsinki")
    assert [x.id for x in p.locations] == ["sc-1", "v1", "v2"], "ids default to the row ids"
    assert p.engineers[0].start_location == "sc-1" == p.engineers[0].end_location
    v2 = p.visit("v2")
    assert [(w.start, w.end) for w in v2.time_windows] == [
        (10 * 3600, 12 * 3600),
        (14 * 3600, 16 * 3600),
    ]
    assert v2.details == {"job_type": "router set-up", "customer": "Juha Mäkinen"}
    assert (v2.priority, v2.engineers_required, v2.soft_windows) == (3, 1, False)


def test_uploaded_bytes_from_a_spreadsheet_semicolons_and_bom() -> None:
    data = "\ufeffid;name;lat;lon\r\nsc-1;Kamppi;60,1688;24,9316\r\n".encode()
    (row,) = parse_service_centers_csv(data)
    assert (row.row, row.id, row.location, row.lat, row.lon) == (
        2,
        "sc-1",
        "sc-1",
        60.1688,
        24.9316,
    )


def test_every_column_of_the_problem_file_has_a_csv_column() -> None:
    # next_visit and previous come from the day's state when re-planning, never from a sheet.
    # Crews (crew, crew_timing) are in the JSON problem file only so far (issue 18).
    assert set(ServiceCenterFile.model_fields) <= set(SERVICE_CENTER_COLUMNS)
    assert set(EngineerFile.model_fields) - {"next_visit"} <= set(ENGINEER_COLUMNS)
    json_only = {"details", "previous", "crew", "crew_timing"}
    assert set(VisitFile.model_fields) - json_only <= set(VISIT_COLUMNS)


# ------------------------------------------------------------------------------ bad input


def test_several_bad_rows_are_all_reported_with_file_row_and_column() -> None:
    text = (
        "id,lat,lon,duration_min,time_windows,priority\n"
        "v1,60.17,24.94,40,08:00-10:00,2\n"
        "v2,60.17,24.94,forty,08:00-10:00,2\n"
        "\n"  # a blank spreadsheet row still counts
        "v3,60.17,24.94,40,8am-10am,7\n"
        "v1,95,24.94,40,,3\n"
    )
    with pytest.raises(CsvFormatError) as info:
        parse_visits_csv(text)
    e = info.value
    assert isinstance(e, InputFormatError)
    assert _where(e) == [
        ("visits.csv", 3, "duration_min"),
        ("visits.csv", 5, "time_windows"),
        ("visits.csv", 5, "priority"),
        ("visits.csv", 6, "id"),
        ("visits.csv", 6, "lat"),
    ]
    assert e.errors[0].value == "forty" and "not a number" in e.errors[0].reason
    assert "first on row 2" in e.errors[3].reason
    assert str(e).splitlines()[1] == "visits.csv row 3, column duration_min = 'forty': not a number"
    assert e.errors[0].as_dict() == {
        "file": "visits.csv",
        "row": 3,
        "column": "duration_min",
        "reason": "not a number",
        "value": "forty",
    }


def test_a_missing_or_misspelt_column_is_named() -> None:
    with pytest.raises(CsvFormatError) as info:
        parse_engineers_csv("id,name,shif_start,shift_end\ne1,Aino,08:00,16:00\n")
    assert _where(info.value) == [
        ("engineers.csv", 1, "shif_start"),
        ("engineers.csv", 1, "shift_start"),
    ]
    assert "did you mean 'shift_start'" in info.value.errors[0].reason
    assert "required column is missing" in info.value.errors[1].reason


def test_bad_times_and_breaks_say_what_would_be_right() -> None:
    text = (
        "id,service_center,shift_start,shift_end,breaks\n"
        "e1,sc-1,8.00,16:00,30@11:00-13:30\n"
        "e2,sc-1,08:00,07:00,lunch\n"
        "e3,sc-1,08:00,16:00,45@12:00-12:30\n"
    )
    with pytest.raises(CsvFormatError) as info:
        parse_engineers_csv(text.encode())
    errors = info.value.errors
    assert _where(info.value) == [
        ("engineers.csv", 2, "shift_start"),
        ("engineers.csv", 3, "breaks"),
        ("engineers.csv", 3, "shift_end"),
        ("engineers.csv", 4, "breaks"),
    ]
    assert "HH:MM" in errors[0].reason
    assert "30@11:00-13:30" in errors[1].reason
    assert "after shift_start 08:00" in errors[2].reason
    assert "do not fit" in errors[3].reason


def test_unknown_skills_are_rejected_with_a_suggestion() -> None:
    text = "id,lat,lon,duration_min,required_skills\nv1,60.17,24.94,40,repair_certifed;smart_home\n"
    with pytest.raises(CsvFormatError) as info:
        parse_visits_csv(text, known_skills={"repair_certified", "smart_home"})
    (error,) = info.value.errors
    assert (error.row, error.column) == (2, "required_skills")
    assert "'repair_certifed' (did you mean 'repair_certified'?)" in error.reason
    assert parse_visits_csv(text)[0].required_skills == ("repair_certifed", "smart_home")


def test_a_comma_in_an_unquoted_value_is_caught() -> None:
    with pytest.raises(CsvFormatError) as info:
        parse_service_centers_csv("id,name,lat,lon\nsc-1,Kamppi, Helsinki,60.1,24.9\n")
    (error,) = info.value.errors
    assert (error.row, error.column) == (2, None) and "quotes" in error.reason


def test_not_utf8_and_empty_files_are_refused() -> None:
    with pytest.raises(CsvFormatError, match="not UTF-8"):
        parse_visits_csv(b"id,lat\n\xff\xfe\n")
    with pytest.raises(CsvFormatError, match="no header row"):
        parse_visits_csv("")


def test_faults_between_files_and_nothing_half_imported(tmp_path: Path) -> None:
    engineers = ENGINEERS + "e3,Sanna Nieminen,sc-9,08:00,16:00,,\n"
    visits = (
        "id,location,lat,lon,duration_min,required_skills,preferred_engineers\n"
        "v1,,60.1636,24.9392,40,repair_certified,\n"
        "v2,,60.1648,24.9380,60,sign_langauge,\n"
        "v3,v1,60.1800,24.9500,30,,e1\n"  # claims v1's location at another point
        "v4,,60.1700,24.9400,30,,e1;e7\n"
    )
    folder = _write(tmp_path, service_centers=CENTRES, engineers=engineers, visits=visits)
    with pytest.raises(CsvFormatError) as info:
        read_csv(folder, date=DAY)
    assert _where(info.value) == [
        ("engineers.csv", 4, "service_center"),
        ("visits.csv", 3, "required_skills"),
        ("visits.csv", 4, "lat"),
        ("visits.csv", 5, "preferred_engineers"),
    ]
    errors = info.value.errors
    assert "did you mean 'sc-1'" in errors[0].reason
    assert "did you mean 'sign_language'" in errors[1].reason
    assert "already at 60.1636, 24.9392 (visits.csv row 2)" in errors[2].reason
    assert errors[3].reason == "'e7': not an engineer in engineers.csv"


def test_a_missing_file_and_a_problem_level_fault_point_at_rows(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError) as info:
        read_csv(_write(tmp_path / "a", service_centers=CENTRES, engineers=ENGINEERS), date=DAY)
    assert _where(info.value) == [("visits.csv", None, None)]
    event = (
        "id,kind,lat,lon,duration_min,engineers_required\nev1,community_event,60.17,24.94,180,3\n"
    )
    folder = _write(tmp_path / "b", service_centers=CENTRES, engineers=ENGINEERS, visits=event)
    with pytest.raises(CsvFormatError) as info:
        read_csv(folder, date=DAY)
    (error,) = info.value.errors
    assert error == CsvRowError(
        "visits.csv", 2, "engineers_required", "is more than the 2 engineers in the problem", "3"
    )


def test_the_readme_example_reads(tmp_path: Path) -> None:
    readme = (ROOT / "datasets" / "README.md").read_text("utf-8")
    blocks = re.findall(r"`(\w+\.csv)`\n\n```csv\n(.*?)```", readme, re.S)
    assert [name for name, _ in blocks] == ["service_centers.csv", "engineers.csv", "visits.csv"]
    for name, body in blocks:
        (tmp_path / name).write_text(body, encoding="utf-8")
    p = read_csv(tmp_path, date=DAY, timezone="Europe/Helsinki")
    assert (len(p.engineers), len(p.visits)) == (3, 4)
    assert p.visit("ev1").engineers_required == 2
