"""A dispatcher's manual change through the API: ``POST /plans/{id}/preview`` answers what a
move would do and stores nothing; ``POST /plans/{id}/apply`` stores the moved plan as a new
version (refused with the violations when it breaks a rule); bad moves are refused naming
the field, with nothing stored."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth import Role
from api.db.models import PlanJob
from scheduler.objective import TERMS
from tests.api.conftest import DAY, auth, make_token, published_plan


def plan_count(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(PlanJob)) or 0)


def routes(client: TestClient, plan_id: int, headers: dict[str, str]) -> dict[str, list[str]]:
    plan = client.get(f"/plans/{plan_id}", headers=headers).json()
    return {r["engineer_id"]: [s["visit_id"] for s in r["stops"]] for r in plan["result"]["routes"]}


def a_move(client: TestClient, plan_id: int, headers: dict[str, str]) -> dict[str, Any]:
    """A visit of one engineer given to the other (at their cheapest place)."""
    by_engineer = routes(client, plan_id, headers)
    giver = next(e for e, stops in by_engineer.items() if stops)
    taker = next(e for e in ("e1", "e2") if e != giver)
    return {"visit_id": by_engineer[giver][0], "engineer_id": taker}


def test_preview_answers_feasibility_objective_delta_and_churn_and_stores_nothing(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    stored = plan_count(client)
    move = a_move(client, plan_id, dispatcher)
    r = client.post(f"/plans/{plan_id}/preview", json={"moves": [move]}, headers=dispatcher)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["feasible"] is True and answer["violations"] == []
    assert set(answer["objective_delta"]) == {*TERMS, "total"}
    assert answer["objective_delta"]["total"] == sum(answer["objective_delta"][t] for t in TERMS)
    after, before = answer["objective_after"], answer["objective_before"]
    assert answer["objective_delta"]["total"] == after["total"] - before["total"]
    assert answer["churn"]["reassigned"] == 1 and answer["churn"]["dropped"] == 0
    # A start the customer's window (08:00-12:00) does not allow: a violation, not an error.
    late = {**move, "start": "15:00"}
    r = client.post(f"/plans/{plan_id}/preview", json={"moves": [late]}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["feasible"] is False
    assert all({"code", "message"} <= set(v) for v in r.json()["violations"])
    assert plan_count(client) == stored
    # A planner may look; only a dispatcher applies.
    planner = auth(make_token(client, Role.PLANNER))
    assert client.post(f"/plans/{plan_id}/preview", json={"moves": [move]},
                       headers=planner).status_code == 200  # fmt: skip
    assert client.post(f"/plans/{plan_id}/apply", json={"moves": [move]},
                       headers=planner).status_code == 403  # fmt: skip


def test_apply_stores_the_moved_plan_as_a_new_version_that_publishing_makes_current(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    move = a_move(client, plan_id, dispatcher)
    stored = plan_count(client)
    late = {**move, "start": "15:00"}
    r = client.post(f"/plans/{plan_id}/apply", json={"moves": [late]}, headers=dispatcher)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["violations"] and plan_count(client) == stored

    r = client.post(f"/plans/{plan_id}/apply", json={"moves": [move]}, headers=dispatcher)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["id"] != plan_id and new["replaces"] == plan_id and new["published"] is False
    assert new["status"] == "succeeded" and new["churn"]["reassigned"] == 1
    assert r.headers["Location"] == f"/plans/{new['id']}"
    assert move["visit_id"] in routes(client, new["id"], dispatcher)[move["engineer_id"]]
    got = client.get(f"/plans/{new['id']}", headers=dispatcher).json()
    assert got["churn"] == new["churn"] and got["replaces"] == plan_id
    # Publishing it replaces the published plan; the engineer's day follows.
    assert client.post(f"/plans/{new['id']}/publish", headers=dispatcher).status_code == 200
    assert client.get(f"/plans/{plan_id}", headers=dispatcher).json()["published"] is False
    day = client.get(
        f"/engineers/{move['engineer_id']}/schedule", params={"date": DAY}, headers=dispatcher
    ).json()
    assert day["plan_id"] == new["id"]
    assert move["visit_id"] in [s["visit_id"] for s in day["stops"]]
    diff = client.get(f"/plans/{new['id']}/diff", headers=dispatcher).json()
    changed = [v for v in diff["visits"] if v["change"] != "unchanged"]
    assert [(v["visit_id"], v["change"]) for v in changed if v["change"] != "moved"] == [
        (move["visit_id"], "reassigned")
    ]


def test_bad_moves_are_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    move = a_move(client, plan_id, dispatcher)
    stored = plan_count(client)

    def send(path: str, m: dict[str, Any], plan: int = plan_id) -> Any:
        return client.post(f"/plans/{plan}/{path}", json={"moves": [m]}, headers=dispatcher)

    for path in ("preview", "apply"):
        assert send(path, move, plan=9999).status_code == 404
        r = send(path, {**move, "visit_id": "ghost"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == [
            "body", "moves", 0, "visit_id"
        ]  # fmt: skip
        r = send(path, {**move, "engineer_id": "nobody"})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "moves", 0, "engineer_id"]
        r = send(path, {**move, "start": "23:30"})  # shifts end at 16:00
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == [
            "body",
            "moves",
            0,
            "start",
        ]
        r = send(path, {**move, "position": 99})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "moves", 0, "position"]
        r = client.post(f"/plans/{plan_id}/{path}", json={"moves": []}, headers=dispatcher)
        assert r.status_code == 422
    # A visit done cannot move.
    owner = next(e for e, stops in routes(client, plan_id, dispatcher).items()
                 if move["visit_id"] in stops)  # fmt: skip
    token = auth(make_token(client, Role.ENGINEER, owner))
    for status in ("started", "done"):
        r = client.patch(f"/visits/{move['visit_id']}/status", json={"status": status},
                         headers=token)  # fmt: skip
        assert r.status_code == 200, r.text
    for path in ("preview", "apply"):
        r = send(path, move)
        assert r.status_code == 409 and "done" in r.json()["detail"]
    assert plan_count(client) == stored


def test_the_board_finds_preview_and_apply_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/plans/{plan_id}/preview"]
    assert "post" in paths["/plans/{plan_id}/apply"]
