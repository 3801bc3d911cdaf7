"""Bulk CSV upload (``POST /uploads/csv``): the datasets CSV formats, all or nothing, every
bad row reported with its file, row, column and reason; dispatchers only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.auth import Role
from scheduler.domain import Engineer, Location, Problem, ServiceCenter, TimeWindow, Visit
from scheduler.formats.csv_files import write_csv
from tests.api.conftest import CENTRE, DAY, PLAN_REQUEST, auth, make_token, wait_for_plan

CENTRES_CSV = """\
id,name,lat,lon
sc-kamppi,Kamppi,60.1688,24.9316
sc-pasila,Pasila,60.1989,24.9336
"""

ENGINEERS_CSV = """\
id,name,service_center,shift_start,shift_end,breaks,skills,overtime_max_min
e1,Aino,sc-kamppi,08:00,16:00,30@11:00-13:30,repair_certified;smart_home,30
e2,Eero,sc-kamppi,8:00,16:00:00,,repair_certified,
e3,Liisa,sc-pasila,10:00,18:00,30@12:00-14:30,,
"""

VISITS_CSV = """\
id,kind,lat,lon,duration_min,time_windows,required_skills,priority,engineers_required,\
job_type,customer,address,phone,notes,device
v1,home_service,60.1636,24.9392,40,08:00-12:00,repair_certified,2,1,laptop repair,\
Maija,Mannerheimintie 5,+358 40 111,ring twice,ThinkPad X1
v2,home_service,60.1780,24.9230,60,10:00-12:00;14:00-16:00,,3,1,router set-up,\
Pekka,Runeberginkatu 3,+358 40 222,,
ev1,community_event,60.1700,24.9400,120,13:00-13:00,,1,2,tablet class,\
Library,Oodi,,,
"""

Files = dict[str, tuple[str, bytes, str]]


def files(**contents: str) -> Files:
    return {part: (f"{part}.csv", text.encode(), "text/csv") for part, text in contents.items()}


def upload(
    client: TestClient, headers: dict[str, str], data: dict[str, str] | None = None, **csv: str
) -> Any:
    return client.post("/uploads/csv", files=files(**csv), data=data or {}, headers=headers)


def stored_ids(client: TestClient, headers: dict[str, str]) -> dict[str, list[str]]:
    return {
        path: [x["id"] for x in client.get(f"/{path}", headers=headers).json()]
        for path in ("service-centres", "engineers", "visits")
    }


NOTHING: dict[str, list[str]] = {"service-centres": [], "engineers": [], "visits": []}


def faults(response: Any) -> list[tuple[str, int | None, str | None]]:
    return [(e["file"], e["row"], e["column"]) for e in response.json()["detail"]]


def test_a_good_upload_creates_everything_in_one_request(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    r = upload(
        client,
        dispatcher,
        {"date": DAY, "service_centre_id": "sc-kamppi", "timezone": "Europe/Helsinki"},
        service_centers=CENTRES_CSV,
        engineers=ENGINEERS_CSV,
        visits=VISITS_CSV,
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "service_centre_ids": ["sc-kamppi", "sc-pasila"],
        "engineer_ids": ["e1", "e2", "e3"],
        "visit_ids": ["v1", "v2", "ev1"],
    }
    assert stored_ids(client, dispatcher) == {
        "service-centres": ["sc-kamppi", "sc-pasila"],
        "engineers": ["e1", "e2", "e3"],
        "visits": ["ev1", "v1", "v2"],
    }
    centre = client.get("/service-centres/sc-pasila", headers=dispatcher).json()
    assert centre["timezone"] == "Europe/Helsinki" and centre["lat"] == 60.1989
    e1 = client.get("/engineers/e1", headers=dispatcher).json()
    assert e1["breaks"] == [{"duration_min": 30, "earliest_start": "11:00", "latest_end": "13:30"}]
    assert e1["skills"] == ["repair_certified", "smart_home"] and e1["overtime_max_min"] == 30
    e2 = client.get("/engineers/e2", headers=dispatcher).json()
    assert (e2["shift_start"], e2["shift_end"]) == ("08:00", "16:00")  # 8:00 and 16:00:00
    v1 = client.get("/visits/v1", headers=dispatcher).json()
    assert v1["date"] == DAY and v1["service_centre_id"] == "sc-kamppi"
    assert (v1["customer_name"], v1["customer_phone"], v1["address"]) == (
        "Maija",
        "+358 40 111",
        "Mannerheimintie 5",
    )
    assert v1["notes"] == "ring twice\ndevice: ThinkPad X1"  # a detail without its own field
    v2 = client.get("/visits/v2", headers=dispatcher).json()
    assert v2["time_windows"] == [
        {"start": "10:00", "end": "12:00"},
        {"start": "14:00", "end": "16:00"},
    ]
    ev1 = client.get("/visits/ev1", headers=dispatcher).json()
    assert ev1["kind"] == "community_event" and ev1["engineers_required"] == 2

    # The uploaded day plans like one entered through the JSON endpoints.
    plan_id = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher).json()["id"]
    plan = wait_for_plan(client, plan_id, dispatcher)
    assert plan["status"] == "succeeded", plan["error"]
    served = {s["visit_id"] for route in plan["result"]["routes"] for s in route["stops"]}
    assert {"v1", "v2"} <= served


def test_files_can_come_one_at_a_time_and_refer_to_stored_rows(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    engineers = "id,service_center,shift_start,shift_end\ne1,sc-kamppi,08:00,16:00\n"
    assert upload(client, dispatcher, engineers=engineers).status_code == 201
    visits = "id,lat,lon,duration_min,allowed_engineers\nv1,60.17,24.94,30,e1\n"
    # One centre stored, none in the upload: the visits still need to be told which.
    r = upload(client, dispatcher, {"date": DAY}, visits=visits)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "service_centre_id"]
    r = upload(client, dispatcher, {"date": DAY, "service_centre_id": "sc-kamppi"}, visits=visits)
    assert r.status_code == 201, r.text
    assert client.get("/visits/v1", headers=dispatcher).json()["allowed_engineers"] == ["e1"]


def test_one_bad_row_anywhere_creates_nothing_and_every_bad_row_is_listed(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    engineers = ENGINEERS_CSV.replace("e2,Eero,sc-kamppi,8:00", "e2,Eero,sc-kamppi,25:00")
    visits = (
        VISITS_CSV.replace("v2,home_service,60.1780", "v2,home_service,160.1780")
        + "v4,home_service,60.17,24.94,30,,,9,1,,,,,,\n"
        + "v1,home_service,60.17,24.94,30,,,3,1,,,,,,\n"
    )
    r = upload(
        client,
        dispatcher,
        {"date": DAY, "service_centre_id": "sc-kamppi"},
        service_centers=CENTRES_CSV,
        engineers=engineers,
        visits=visits,
    )
    assert r.status_code == 422, r.text
    assert faults(r) == [
        # (file, spreadsheet row: the header is row 1, column)
        ("engineers.csv", 3, "shift_start"),
        ("visits.csv", 3, "lat"),
        ("visits.csv", 5, "priority"),
        ("visits.csv", 6, "id"),  # v1 again
    ]
    first = r.json()["detail"][0]
    assert first["loc"] == ["body", "engineers", 3, "shift_start"]
    assert first["input"] == "25:00" and "time" in first["reason"]
    assert stored_ids(client, dispatcher) == NOTHING

    # The same upload with the rows fixed goes through.
    r = upload(
        client,
        dispatcher,
        {"date": DAY, "service_centre_id": "sc-kamppi"},
        service_centers=CENTRES_CSV,
        engineers=ENGINEERS_CSV,
        visits=VISITS_CSV,
    )
    assert r.status_code == 201, r.text


def test_rows_that_conflict_with_the_database_are_rejected_with_their_row(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    assert upload(client, dispatcher, engineers=ENGINEERS_CSV.split("e3,")[0]).status_code == 201
    assert stored_ids(client, dispatcher)["engineers"] == ["e1", "e2"]
    r = upload(
        client,
        dispatcher,
        {"date": DAY, "service_centre_id": "sc-kamppi"},
        service_centers="id,lat,lon\nsc-kamppi,60.1,24.9\nsc-new,60.2,24.9\n",
        engineers="id,service_center,shift_start,shift_end\n"
        "e2,sc-kamppi,08:00,16:00\n"  # stored already
        "e7,sc-nowhere,08:00,16:00\n"  # no such centre
        "e8,sc-new,08:00,16:00\n",  # fine: its centre is in this upload (but that row fails)
        visits="id,lat,lon,duration_min,preferred_engineers\n"
        "v1,60.17,24.94,30,e1\n"  # stored engineer: fine
        "v2,60.17,24.94,30,e8;ghost\n",  # e8 from this upload is fine, ghost is not
    )
    assert r.status_code == 422, r.text
    assert faults(r) == [
        ("service_centers.csv", 2, "id"),
        ("engineers.csv", 2, "id"),
        ("engineers.csv", 3, "service_center"),
        ("visits.csv", 3, "preferred_engineers"),
    ]
    reasons = [e["reason"] for e in r.json()["detail"]]
    assert "exists" in reasons[0] and "exists" in reasons[1]
    assert "'ghost'" in reasons[3]
    assert stored_ids(client, dispatcher) == {
        "service-centres": ["sc-kamppi"],
        "engineers": ["e1", "e2"],
        "visits": [],
    }


def test_what_the_service_cannot_store_is_rejected_not_dropped(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    r = upload(
        client,
        dispatcher,
        {"date": DAY, "service_centre_id": "sc-kamppi"},
        engineers="id,service_center,start_lat,start_lon,shift_start,shift_end,load_capacity\n"
        "e1,,60.1,24.9,08:00,16:00,\n"  # no centre, a start of its own
        "e2,sc-kamppi,,,08:00,16:00,5\n",
        visits="id,lat,lon,duration_min,load,lateness_cost_per_hour,time_windows\n"
        "v1,60.17,24.94,30,2,,\n"
        "v2,60.17,24.94,30,,7200,\n"
        "v3,60.17,24.94,30,,,08:00:30-10:00\n",
    )
    assert r.status_code == 422, r.text
    assert faults(r) == [
        ("engineers.csv", 2, "service_center"),
        ("engineers.csv", 2, "start_lat"),
        ("engineers.csv", 3, "load_capacity"),
        ("visits.csv", 2, "load"),
        ("visits.csv", 3, "lateness_cost_per_hour"),
        ("visits.csv", 4, "time_windows"),
    ]
    assert "HH:MM" in r.json()["detail"][-1]["reason"]
    assert stored_ids(client, dispatcher)["engineers"] == []


def test_files_written_by_the_datasets_tools_upload(
    client: TestClient, dispatcher: dict[str, str], tmp_path: Path
) -> None:
    """``scheduler.formats.csv_files.write_csv`` output is accepted as it is."""
    problem = Problem(
        date=dt.date.fromisoformat(DAY),
        locations=(Location("hq", 60.17, 24.93), Location("home1", 60.16, 24.94)),
        service_centers=(ServiceCenter("sc-hq", "HQ", "hq"),),
        engineers=(
            Engineer("e1", "hq", "hq", 8 * 3600, 16 * 3600, name="Aino", service_center="sc-hq"),
        ),
        visits=(
            Visit(
                "v1",
                "home1",
                40 * 60,
                time_windows=(TimeWindow(8 * 3600, 10 * 3600),),
                details={"customer": "Maija", "device": "iPad"},
            ),
        ),
    )
    write_csv(problem, tmp_path)
    contents = {
        part: (tmp_path / f"{part}.csv").read_text()
        for part in ("service_centers", "engineers", "visits")
    }
    r = upload(client, dispatcher, {"date": DAY}, **contents)
    assert r.status_code == 201, r.text
    v1 = client.get("/visits/v1", headers=dispatcher).json()
    assert v1["service_centre_id"] == "sc-hq"  # the upload's only centre
    assert (v1["customer_name"], v1["notes"], v1["lat"]) == ("Maija", "device: iPad", 60.16)


def test_form_errors(client: TestClient, dispatcher: dict[str, str]) -> None:
    rows: list[tuple[dict[str, str], dict[str, str], list[Any] | None]] = [
        # (form fields, files, expected error location)
        ({}, {}, ["body", "service_centers"]),  # no file at all
        ({}, {"visits": VISITS_CSV}, ["body", "date"]),
        ({"date": "27.11.2026"}, {"visits": VISITS_CSV}, ["body", "date"]),
        ({"date": DAY, "service_centre_id": "ghost"}, {"visits": VISITS_CSV}, None),
        ({"timezone": "Mars/Olympus"}, {"service_centers": CENTRES_CSV}, ["body", "timezone"]),
    ]
    for data, csv, loc in rows:
        r = upload(client, dispatcher, data, **csv)
        assert r.status_code == 422, (data, r.text)
        if loc is not None:
            assert r.json()["detail"][0]["loc"] == loc, r.json()
    r = client.post(
        "/uploads/csv",
        files={"engineers": ("engineers.csv", b"\xff\xfe", "text/csv")},
        headers=dispatcher,
    )
    assert r.status_code == 422 and faults(r) == [("engineers.csv", None, None)]
    assert "UTF-8" in r.json()["detail"][0]["reason"]
    # The one centre the visits would default to is a bad row: that row is the error.
    r = upload(
        client,
        dispatcher,
        {"date": DAY},
        service_centers="id,lat,lon\nsc-1,60.1,\n",
        visits=VISITS_CSV,
    )
    assert r.status_code == 422 and faults(r) == [("service_centers.csv", 2, "lon")]
    assert stored_ids(client, dispatcher) == NOTHING


def test_only_dispatchers_upload(client: TestClient, dispatcher: dict[str, str]) -> None:
    csv = files(service_centers=CENTRES_CSV)
    assert client.post("/uploads/csv", files=csv).status_code == 401
    bad = {"Authorization": "Bearer fr_not-a-token"}
    assert client.post("/uploads/csv", files=csv, headers=bad).status_code == 401
    planner = auth(make_token(client, Role.PLANNER))
    r = client.post("/uploads/csv", files=csv, headers=planner)
    assert r.status_code == 403 and "dispatcher" in r.json()["detail"]
    assert stored_ids(client, dispatcher) == NOTHING
