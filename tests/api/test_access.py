"""Access: every endpoint but /health and the docs needs a token; roles decide the rest."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from tests.api.conftest import CENTRE, auth, engineer_body, make_token


def test_health_and_docs_need_no_token(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no header at all
        {"Authorization": "Bearer fr_not-a-real-token"},  # unknown token
        {"Authorization": "Basic dXNlcjpwYXNz"},  # another scheme
        {"Authorization": "Bearer"},  # scheme without a token
    ],
)
def test_without_a_valid_token_every_endpoint_is_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/service-centres"),
        ("GET", "/engineers/e1"),
        ("GET", "/engineers/e1/schedule?date=2026-11-27"),
        ("GET", "/visits"),
        ("POST", "/plans"),
        ("PATCH", "/visits/v1/status"),
    ]:
        r = client.request(method, path, headers=headers)
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_only_the_token_hash_is_stored(client: TestClient) -> None:
    from sqlalchemy import select

    from api.db.models import ApiToken

    token = make_token(client, Role.PLANNER)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_roles(client: TestClient, dispatcher: dict[str, str], planner: dict[str, str]) -> None:
    """Planners read and plan but do not write resources or publish; engineers see only
    themselves."""
    assert client.post("/service-centres", json=CENTRE, headers=planner).status_code == 403
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    for eid in ("e1", "e2"):
        client.post("/engineers", json=engineer_body(eid), headers=dispatcher)
    engineer = auth(make_token(client, Role.ENGINEER, "e1"))
    assert client.get("/service-centres", headers=planner).status_code == 200
    assert client.get("/service-centres", headers=engineer).status_code == 403
    assert client.get("/engineers/e1", headers=engineer).status_code == 200
    assert client.get("/engineers/e2", headers=engineer).status_code == 403
    assert client.get("/engineers/e2/schedule?date=2026-11-27", headers=engineer).status_code == 403
    assert (
        client.get("/engineers/e2/schedule.ics?date=2026-11-27", headers=engineer).status_code
        == 403
    )
    assert client.get("/engineers", headers=engineer).status_code == 403
    assert client.post("/plans/1/publish", headers=planner).status_code == 403
    assert client.post("/plans/1/publish", headers=engineer).status_code == 403
    r = client.post(
        "/plans", json={"date": "2026-11-27", "service_centre_ids": ["sc-kamppi"]}, headers=engineer
    )
    assert r.status_code == 403
