"""Service centres, engineers and visits: create, read, update, delete, list with filters;
422 with field paths, 404 for unknown ids, 409 for conflicts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import CENTRE, DAY, engineer_body, seed_day, visit_body


def test_centre_crud(client: TestClient, dispatcher: dict[str, str]) -> None:
    r = client.post("/service-centres", json=CENTRE, headers=dispatcher)
    assert r.status_code == 201 and r.headers["Location"] == "/service-centres/sc-kamppi"
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 409
    r = client.patch("/service-centres/sc-kamppi", json={"name": "Kamppi HQ"}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["name"] == "Kamppi HQ"
    assert r.json()["timezone"] == "Europe/Helsinki"  # unchanged fields keep their values
    assert (
        client.get("/service-centres/sc-kamppi", headers=dispatcher).json()["name"] == "Kamppi HQ"
    )
    assert [c["id"] for c in client.get("/service-centres", headers=dispatcher).json()] == [
        "sc-kamppi"
    ]
    assert client.delete("/service-centres/sc-kamppi", headers=dispatcher).status_code == 204
    assert client.get("/service-centres/sc-kamppi", headers=dispatcher).status_code == 404
    assert client.delete("/service-centres/sc-kamppi", headers=dispatcher).status_code == 404


def test_centre_with_engineers_cannot_be_deleted(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_day(client, dispatcher)
    r = client.delete("/service-centres/sc-kamppi", headers=dispatcher)
    assert r.status_code == 409 and "engineers" in r.json()["detail"]


def test_validation_errors_point_at_the_field(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    client.post("/service-centres", json=CENTRE, headers=dispatcher)
    rows = [
        # (path, body, expected error location)
        ("/service-centres", {**CENTRE, "id": "x", "lat": 91}, ["body", "lat"]),
        (
            "/service-centres",
            {**CENTRE, "id": "x", "timezone": "Mars/Olympus"},
            ["body", "timezone"],
        ),
        ("/engineers", engineer_body("e1", shift_start="25:00"), ["body", "shift_start"]),
        (
            "/engineers",
            engineer_body("e1", service_centre_id="nope"),
            ["body", "service_centre_id"],
        ),
        (
            "/engineers",
            engineer_body(
                "e1", breaks=[{"duration_min": 0, "earliest_start": "11:00", "latest_end": "12:00"}]
            ),
            ["body", "breaks", 0, "duration_min"],
        ),
        ("/visits", visit_body("v1", 60.1, 24.9, priority=9), ["body", "priority"]),
        ("/visits", visit_body("v1", 60.1, 24.9, colour="red"), ["body", "colour"]),
        (
            "/visits",
            visit_body("v1", 60.1, 24.9, time_windows=[{"start": "12:00", "end": "10:00"}]),
            ["body", "time_windows", 0],
        ),
    ]
    for path, body, loc in rows:
        r = client.post(path, json=body, headers=dispatcher)
        assert r.status_code == 422, (path, body)
        assert [e["loc"] for e in r.json()["detail"]] == [loc], r.json()


def test_patch_is_checked_as_a_whole(client: TestClient, dispatcher: dict[str, str]) -> None:
    """A patch that makes the engineer's shift end before it starts is a 422 and changes
    nothing."""
    seed_day(client, dispatcher)
    r = client.patch("/engineers/e1", json={"shift_end": "07:00"}, headers=dispatcher)
    assert r.status_code == 422
    assert client.get("/engineers/e1", headers=dispatcher).json()["shift_end"] == "16:00"
    r = client.patch("/engineers/e1", json={"skills": ["sign_language"]}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["skills"] == ["sign_language"]
    assert client.patch("/engineers/ghost", json={}, headers=dispatcher).status_code == 404


def test_lists_filter(client: TestClient, dispatcher: dict[str, str]) -> None:
    seed_day(client, dispatcher)
    client.post(
        "/visits", json=visit_body("v9", 60.17, 24.94, date="2026-11-28"), headers=dispatcher
    )
    client.patch("/engineers/e2", json={"active": False}, headers=dispatcher)
    rows: list[tuple[str, dict[str, str | int], list[str]]] = [
        # (path, query, expected ids)
        ("/visits", {"date": DAY}, ["v1", "v2", "v3", "v4"]),
        ("/visits", {"date": "2026-11-28"}, ["v9"]),
        ("/visits", {"service_centre_id": "elsewhere"}, []),
        ("/visits", {"status": "pending", "limit": 2}, ["v1", "v2"]),
        ("/visits", {"status": "done"}, []),
        ("/visits", {"kind": "community_event"}, []),
        ("/engineers", {"active": "true"}, ["e1"]),
        ("/engineers", {"service_centre_id": "sc-kamppi"}, ["e1", "e2"]),
    ]
    for path, query, expected in rows:
        r = client.get(path, params=query, headers=dispatcher)
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()] == expected, (path, query)
    r = client.get("/visits", params={"date": "yesterday"}, headers=dispatcher)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "date"]


def test_visit_crud(client: TestClient, dispatcher: dict[str, str]) -> None:
    seed_day(client, dispatcher)
    event = visit_body(
        "ev1", 60.17, 24.94, kind="community_event", engineers_required=2, duration_min=120
    )
    r = client.post("/visits", json=event, headers=dispatcher)
    assert r.status_code == 201 and r.json()["status"] == "pending"
    r = client.patch("/visits/ev1", json={"engineers_required": 3}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["engineers_required"] == 3
    r = client.patch("/visits/v1", json={"engineers_required": 2}, headers=dispatcher)
    assert r.status_code == 422  # a home visit has one engineer
    assert client.delete("/visits/ev1", headers=dispatcher).status_code == 204
    assert client.get("/visits/ev1", headers=dispatcher).status_code == 404
    assert (
        client.post("/visits", json=visit_body("v1", 60.1, 24.9), headers=dispatcher).status_code
        == 409
    )
