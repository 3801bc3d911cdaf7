"""An engineer's day from the published plan, as JSON and iCalendar, and visit progress
reported by the assigned engineer only."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from icalendar import Calendar

from api.auth import Role
from tests.api.conftest import DAY, auth, make_token, published_plan, seed_day


def _route_owner(
    client: TestClient, plan_id: int, headers: dict[str, str]
) -> tuple[str, list[str]]:
    """An engineer with stops in the plan and those stops' visit ids, in order."""
    routes = client.get(f"/plans/{plan_id}", headers=headers).json()["result"]["routes"]
    route = next(r for r in routes if r["stops"])
    return route["engineer_id"], [s["visit_id"] for s in route["stops"]]


def test_schedule_lists_ordered_stops_with_etas_contacts_and_navigation(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    engineer_id, visit_ids = _route_owner(client, plan_id, dispatcher)
    own = auth(make_token(client, Role.ENGINEER, engineer_id))
    r = client.get(f"/engineers/{engineer_id}/schedule", params={"date": DAY}, headers=own)
    assert r.status_code == 200, r.text
    day = r.json()
    assert day["plan_id"] == plan_id and day["timezone"] == "Europe/Helsinki"
    assert [s["visit_id"] for s in day["stops"]] == visit_ids
    assert [s["order"] for s in day["stops"]] == list(range(1, len(visit_ids) + 1))
    first = day["stops"][0]
    assert first["address"] == f"{first['visit_id']} street 1, Helsinki"
    assert first["customer_phone"] == "+358 40 000 0000" and first["job_type"] == "laptop repair"
    assert first["navigation_url"].startswith("https://www.google.com/maps/dir/?api=1&destination=")
    assert first["status"] == "pending"
    etas = [dt.datetime.fromisoformat(s["arrival"]) for s in day["stops"]]
    assert etas == sorted(etas) and all(t.utcoffset() == dt.timedelta(hours=2) for t in etas)
    assert day["return"] >= day["departure"]


def test_schedule_ics_opens_as_a_calendar_with_one_event_per_stop(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    engineer_id, visit_ids = _route_owner(client, plan_id, dispatcher)
    r = client.get(
        f"/engineers/{engineer_id}/schedule.ics", params={"date": DAY}, headers=dispatcher
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) != "Break"]
    assert len(events) == len(visit_ids)
    json_day = client.get(
        f"/engineers/{engineer_id}/schedule", params={"date": DAY}, headers=dispatcher
    ).json()
    for event, stop in zip(events, json_day["stops"], strict=True):
        assert event.decoded("DTSTART") == dt.datetime.fromisoformat(stop["start"])
        assert event.decoded("DTEND") == dt.datetime.fromisoformat(stop["end"])
        assert str(event["LOCATION"]) == stop["address"]
        assert stop["visit_id"] in str(event["UID"])


def test_schedule_without_a_published_plan_is_404(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_day(client, dispatcher)
    r = client.get("/engineers/e1/schedule", params={"date": DAY}, headers=dispatcher)
    assert r.status_code == 404 and "no plan is published" in r.json()["detail"]
    assert (
        client.get(
            "/engineers/ghost/schedule", params={"date": DAY}, headers=dispatcher
        ).status_code
        == 404
    )
    r = client.get("/engineers/e1/schedule", headers=dispatcher)  # date is required
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "date"]


def test_visit_status_by_the_assigned_engineer_only_and_forward_only(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    engineer_id, visit_ids = _route_owner(client, plan_id, dispatcher)
    other_id = "e2" if engineer_id == "e1" else "e1"
    own = auth(make_token(client, Role.ENGINEER, engineer_id))
    other = auth(make_token(client, Role.ENGINEER, other_id))
    visit = visit_ids[0]
    path = f"/visits/{visit}/status"
    assert client.patch(path, json={"status": "started"}, headers=other).status_code == 403
    assert client.patch(path, json={"status": "started"}, headers=dispatcher).status_code == 403
    assert (
        client.patch("/visits/v4/status", json={"status": "done"}, headers=own).status_code == 403
    )
    assert (
        client.patch("/visits/nope/status", json={"status": "done"}, headers=own).status_code == 404
    )
    r = client.patch(path, json={"status": "finished"}, headers=own)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "status"]
    for status, code in [
        # (new status, expected answer)
        ("en_route", 200),
        ("en_route", 200),  # the same again changes nothing
        ("started", 200),
        ("en_route", 409),  # no going back
        ("cannot_complete", 200),
        ("done", 409),  # final
    ]:
        r = client.patch(path, json={"status": status, "note": "no one home"}, headers=own)
        assert r.status_code == code, (status, r.text)
    got = client.get(f"/visits/{visit}", headers=dispatcher).json()
    assert got["status"] == "cannot_complete" and got["status_note"] == "no one home"
    day = client.get(f"/engineers/{engineer_id}/schedule", params={"date": DAY}, headers=own)
    assert day.json()["stops"][0]["status"] == "cannot_complete"
