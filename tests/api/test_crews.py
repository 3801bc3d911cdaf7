"""Crews through the API: stored and read back, bad crews refused with 422 naming the field
(nothing stored), planned, and the engineer's schedule naming the crew mates."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.auth import Role
from tests.api.conftest import (
    CENTRE,
    DAY,
    PLAN_REQUEST,
    auth,
    engineer_body,
    make_token,
    visit_body,
    wait_for_plan,
)

CREW = [
    {"skills": ["repair_certified"], "duration_min": 40},
    {"skills": ["sign_language"], "duration_min": 20},
]


def _crew_visit(vid: str, **extra: Any) -> dict[str, Any]:
    body = visit_body(vid, 60.1700, 24.9400, crew=CREW)
    del body["duration_min"]
    body.update(extra)
    return body


def test_crew_visit_is_stored_and_read_back(client: TestClient, dispatcher: dict[str, str]) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    timing = {"sequence": {"min_gap_min": 10, "max_gap_min": 60}}
    r = client.post("/visits", json=_crew_visit("c1", crew_timing=timing), headers=dispatcher)
    assert r.status_code == 201, r.text
    got = client.get("/visits/c1", headers=dispatcher).json()
    assert got["crew"] == CREW and got["crew_timing"] == timing
    assert got["engineers_required"] == 2 and got["duration_min"] == 40
    # a patch of another field keeps the crew (checked as a whole)
    r = client.patch("/visits/c1", json={"priority": 1}, headers=dispatcher)
    assert r.status_code == 200, r.text
    assert r.json()["crew"] == CREW


def test_bad_crews_are_422_naming_the_field_and_nothing_is_stored(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    bad = [
        (_crew_visit("b1", duration_min=30), "duration_min"),
        (_crew_visit("b2", engineers_required=2), "engineers_required"),
        ({**_crew_visit("b3"), "crew": []}, "at least one member"),
        (
            _crew_visit("b4", crew_timing={"sequence": {"min_gap_min": 50, "max_gap_min": 10}}),
            "max_gap_min",
        ),
        (
            _crew_visit("b5", crew_timing={"sequence": {"min_gap_min": -1, "max_gap_min": 10}}),
            "min_gap_min",
        ),
        (
            {**_crew_visit("b6"), "crew": [{"skills": ["x"], "duration_min": 0}, CREW[1]]},
            "duration_min",
        ),
    ]
    for body, field in bad:
        r = client.post("/visits", json=body, headers=dispatcher)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, r.text
        assert client.get(f"/visits/{body['id']}", headers=dispatcher).status_code == 404


def test_a_crew_is_planned_and_each_schedule_names_the_mate(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    for eid, skills in (("e1", ["repair_certified"]), ("e2", ["sign_language"])):
        r = client.post("/engineers", json=engineer_body(eid, skills=skills), headers=dispatcher)
        assert r.status_code == 201, r.text
    assert client.post("/visits", json=_crew_visit("c1"), headers=dispatcher).status_code == 201
    r = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher)
    assert r.status_code == 202, r.text
    plan_id = r.json()["id"]
    body = wait_for_plan(client, plan_id, dispatcher)
    assert body["status"] == "succeeded", body
    assert body["result"]["unassigned"] == []
    assert client.post(f"/plans/{plan_id}/publish", headers=dispatcher).status_code == 200
    members = {}
    for eid in ("e1", "e2"):
        own = auth(make_token(client, Role.ENGINEER, eid))
        day = client.get(f"/engineers/{eid}/schedule", params={"date": DAY}, headers=own).json()
        (stop,) = day["stops"]
        (mate,) = stop["crew_mates"]
        assert mate["engineer_id"] == ("e2" if eid == "e1" else "e1")
        assert mate["start"] == stop["start"]  # together
        members[eid] = stop["crew_member"]
    assert members == {"e1": 0, "e2": 1}
