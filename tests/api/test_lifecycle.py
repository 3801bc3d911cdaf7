"""Deleting or deactivating what a published plan shows: a 409 naming the plan while its
day is not over; once deleted or deactivated, the engineer's tokens are revoked; and a
day's visits can be deleted at once."""

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


def test_a_visit_on_a_published_plan_is_not_deleted_alone_or_in_bulk(
    client: TestClient, dispatcher: dict[str, str], day_not_over: None
) -> None:
    plan_id = published_plan(client, dispatcher)
    plan = client.get(f"/plans/{plan_id}", headers=dispatcher).json()
    served = plan["result"]["routes"][0]["stops"][0]["visit_id"]
    r = client.delete(f"/visits/{served}", headers=dispatcher)
    assert r.status_code == 409 and f"plan {plan_id}" in r.json()["detail"]
    r = client.delete("/visits", params={"date": DAY}, headers=dispatcher)
    assert r.status_code == 409
    assert len(client.get("/visits", params={"date": DAY}, headers=dispatcher).json()) == 4
    # A left-out visit (v4: nobody has the skill) is on no one's schedule: it may go.
    assert client.delete("/visits/v4", headers=dispatcher).status_code == 204


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
