"""Deleting or deactivating what a published plan shows: an engineer is a 409 naming the
plan while its day is not over, and once deleted or deactivated, their tokens are revoked;
a visit (alone or a day's at once) may go, and leaves the engineer's day like a
cancellation."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from tests.api.conftest import DAY, auth, engineer_body, make_token, published_plan


@pytest.fixture
def day_not_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' day is today."""
    monkeypatch.setattr("api.lifecycle.today", lambda: dt.date.fromisoformat(DAY))


def test_an_engineer_on_a_published_plan_is_not_deleted_and_their_token_stays(
    client: TestClient, dispatcher: dict[str, str], day_not_over: None
) -> None:
    """Was: 204, and the engineer's token stayed active."""
    plan_id = published_plan(client, dispatcher)
    own = auth(make_token(client, Role.ENGINEER, "e1"))
    r = client.delete("/engineers/e1", headers=dispatcher)
    assert r.status_code == 409 and f"plan {plan_id}" in r.json()["detail"]
    r = client.patch("/engineers/e1", json={"active": False}, headers=dispatcher)
    assert r.status_code == 409
    assert client.get("/engineers/e1", headers=own).status_code == 200
    # Unpublished, the engineer goes, and so does every token of theirs.
    assert client.post(f"/plans/{plan_id}/unpublish", headers=dispatcher).status_code == 200
    assert client.delete("/engineers/e1", headers=dispatcher).status_code == 204
    r = client.get("/engineers/e1/schedule", params={"date": DAY}, headers=own)
    assert r.status_code == 401


def test_deactivating_an_engineer_revokes_their_tokens(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    client.post(
        "/service-centres", json={"id": "sc-kamppi", "lat": 60, "lon": 24}, headers=dispatcher
    )
    assert (
        client.post("/engineers", json=engineer_body("e7"), headers=dispatcher).status_code == 201
    )
    own = auth(make_token(client, Role.ENGINEER, "e7"))
    assert client.get("/engineers/e7", headers=own).status_code == 200
    r = client.patch("/engineers/e7", json={"active": False}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/engineers/e7", headers=own).status_code == 401
    events = client.get("/audit", params={"action": "revoke"}, headers=dispatcher).json()
    assert [e["resource"] for e in events] == ["token"]


def test_a_visit_on_a_published_plan_is_deleted_like_a_cancellation(
    client: TestClient, dispatcher: dict[str, str], day_not_over: None
) -> None:
    """Issue 19: a deleted visit leaves the engineer's day (was a 409 in issue 21). The
    kept schedule is rendered again, so its ETag changes, and the deletion is audited."""
    plan_id = published_plan(client, dispatcher)
    plan = client.get(f"/plans/{plan_id}", headers=dispatcher).json()
    route = plan["result"]["routes"][0]
    engineer, served = route["engineer_id"], route["stops"][0]["visit_id"]
    params = {"date": DAY}
    before = client.get(f"/engineers/{engineer}/schedule", params=params, headers=dispatcher)
    assert served in [s["visit_id"] for s in before.json()["stops"]]
    assert client.delete(f"/visits/{served}", headers=dispatcher).status_code == 204
    after = client.get(f"/engineers/{engineer}/schedule", params=params, headers=dispatcher)
    assert after.status_code == 200
    assert served not in [s["visit_id"] for s in after.json()["stops"]]
    assert after.headers["etag"] != before.headers["etag"]
    r = client.get(
        f"/engineers/{engineer}/schedule",
        params=params,
        headers={**dispatcher, "If-None-Match": before.headers["etag"]},
    )
    assert r.status_code == 200  # the old ETag is stale
    audit = {"action": "delete", "resource": "visit", "resource_id": served}
    assert len(client.get("/audit", params=audit, headers=dispatcher).json()) == 1
    # The same in bulk: the day's visits go, and leave every engineer's day.
    r = client.delete("/visits", params={"date": DAY}, headers=dispatcher)
    assert r.status_code == 200 and r.json() == {"deleted": 3}
    for route in plan["result"]["routes"]:
        day = client.get(
            f"/engineers/{route['engineer_id']}/schedule", params=params, headers=dispatcher
        )
        assert day.status_code == 200 and day.json()["stops"] == []
    # The engineers stay protected: still on the published plan.
    assert client.delete(f"/engineers/{engineer}", headers=dispatcher).status_code == 409


def test_a_dispatcher_deletes_a_days_visits_at_once(
    client: TestClient, dispatcher: dict[str, str], planner: dict[str, str]
) -> None:
    """On a past day, or once its plan is unpublished: every visit of the day goes."""
    published_plan(client, dispatcher)  # DAY is over: its plan no longer holds its visits
    assert client.delete("/visits", params={"date": DAY}, headers=planner).status_code == 403
    r = client.delete(
        "/visits", params={"date": DAY, "service_centre_id": "sc-kamppi"}, headers=dispatcher
    )
    assert r.status_code == 200 and r.json() == {"deleted": 4}
    assert client.get("/visits", params={"date": DAY}, headers=dispatcher).json() == []
    (event,) = client.get("/audit", params={"resource": "visits"}, headers=dispatcher).json()
    assert event["action"] == "delete" and event["detail"]["visits"] == 4
