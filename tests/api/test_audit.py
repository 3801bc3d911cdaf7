"""The audit trail: who (token id and role) created, changed, deleted, planned, published
and unpublished what, and when; append-only in the database; GET /audit for dispatchers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlalchemy.exc import DatabaseError

from api.auth import principal_for
from api.db.models import AuditEvent
from tests.api.conftest import CENTRE, published_plan


def _token_id(client: TestClient, headers: dict[str, str]) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        who = principal_for(session, headers["Authorization"].removeprefix("Bearer "))
    assert who is not None
    return who.token_id


def test_every_change_is_recorded_with_who_did_it(
    client: TestClient, dispatcher: dict[str, str], planner: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    assert client.post(f"/plans/{plan_id}/unpublish", headers=dispatcher).status_code == 200
    assert client.patch("/visits/v1", json={"priority": 1}, headers=dispatcher).status_code == 200
    assert client.delete("/visits/v4", headers=dispatcher).status_code == 204
    events = client.get("/audit", params={"limit": 1000}, headers=dispatcher).json()
    done = [(e["action"], e["resource"], e["resource_id"]) for e in reversed(events)]
    assert done == [
        ("create", "service_centre", "sc-kamppi"),
        ("create", "engineer", "e1"),
        ("create", "engineer", "e2"),
        *[("create", "visit", v) for v in ("v1", "v2", "v3", "v4")],
        ("plan", "plan", str(plan_id)),
        ("publish", "plan", str(plan_id)),
        ("unpublish", "plan", str(plan_id)),
        ("change", "visit", "v1"),
        ("delete", "visit", "v4"),
    ]
    me = _token_id(client, dispatcher)
    assert {(e["token_id"], e["role"]) for e in events} == {(me, "dispatcher")}
    assert events[1]["detail"] == {"fields": ["priority"]}
    assert all(e["at"].endswith("Z") or e["at"].endswith("+00:00") for e in events)


def test_the_audit_is_filtered_and_for_dispatchers_only(
    client: TestClient, dispatcher: dict[str, str], planner: dict[str, str]
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    assert client.get("/audit", headers=planner).status_code == 403
    r = client.get("/audit", params={"action": "publish"}, headers=dispatcher)
    assert r.status_code == 200 and r.json() == []
    r = client.get(
        "/audit", params={"resource_id": "sc-kamppi", "role": "dispatcher"}, headers=dispatcher
    )
    assert [e["action"] for e in r.json()] == ["create"]
    r = client.get("/audit", params={"since": "2999-01-01T00:00:00Z"}, headers=dispatcher)
    assert r.json() == []
    assert client.get("/audit", params={"action": "explode"}, headers=dispatcher).status_code == 422


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_database_refuses_to_change_an_event(
    client: TestClient, dispatcher: dict[str, str], change: str
) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        statement = (
            update(AuditEvent).values(role="planner") if change == "update" else delete(AuditEvent)
        )
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(statement)
            session.commit()
