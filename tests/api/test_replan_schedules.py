"""Issue 19's day as it runs on issue 21's service: the engineer's day kept at publish is
rendered again by every change of what it shows (a cancellation, a new version published in
place of the old one), ``changed_since`` answers carry an ETag of their own, the new routes
are audited, and the versions list pages like the others."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth import Role
from api.db.models import PublishedSchedule
from tests.api.conftest import DAY, auth, make_token, published_plan, wait_for_plan


def kept_plans(client: TestClient) -> set[int]:
    """The plans whose engineers' days are kept."""
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return set(session.scalars(select(PublishedSchedule.plan_id)))


def routes(client: TestClient, plan_id: int, headers: dict[str, str]) -> dict[str, list[str]]:
    plan = client.get(f"/plans/{plan_id}", headers=headers).json()
    return {r["engineer_id"]: [s["visit_id"] for s in r["stops"]] for r in plan["result"]["routes"]}


def a_move(client: TestClient, plan_id: int, headers: dict[str, str]) -> dict[str, Any]:
    by_engineer = routes(client, plan_id, headers)
    giver = next(e for e, stops in by_engineer.items() if stops)
    taker = next(e for e in ("e1", "e2") if e != giver)
    return {"visit_id": by_engineer[giver][0], "engineer_id": taker}


def events(client: TestClient, headers: dict[str, str], action: str) -> list[dict[str, Any]]:
    r = client.get("/audit", params={"action": action}, headers=headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def test_a_cancellation_re_renders_the_kept_day_and_the_old_etag_goes_stale(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    engineer, stops = next((e, s) for e, s in routes(client, plan_id, dispatcher).items() if s)
    url, params = f"/engineers/{engineer}/schedule", {"date": DAY}
    before = client.get(url, params=params, headers=dispatcher)
    etag = before.headers["etag"]
    again = client.get(url, params=params, headers={**dispatcher, "If-None-Match": etag})
    assert again.status_code == 304
    assert before.json()["stops"][0]["windows"]  # windows are in the kept day
    r = client.post(f"/visits/{stops[0]}/cancel", json={"note": "called"}, headers=dispatcher)
    assert r.status_code == 200, r.text
    after = client.get(url, params=params, headers={**dispatcher, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert stops[0] not in [s["visit_id"] for s in after.json()["stops"]]
    (event,) = events(client, dispatcher, "cancel")
    assert (event["resource"], event["resource_id"]) == ("visit", stops[0])
    assert event["detail"]["note"] == "called"


def test_publishing_a_new_version_drops_the_old_days_and_renders_its_own(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    assert kept_plans(client) == {plan_id}
    move = a_move(client, plan_id, dispatcher)
    r = client.post(f"/plans/{plan_id}/apply", json={"moves": [move]}, headers=dispatcher)
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    assert kept_plans(client) == {plan_id}  # applied, not yet published
    (applied,) = events(client, dispatcher, "apply")
    assert applied["resource_id"] == str(new) and applied["detail"]["of"] == plan_id
    giver = next(e for e, s in routes(client, plan_id, dispatcher).items() if move["visit_id"] in s)
    url, params = f"/engineers/{giver}/schedule", {"date": DAY}
    old = client.get(url, params=params, headers=dispatcher)
    assert old.json()["plan_id"] == plan_id
    assert client.post(f"/plans/{new}/publish", headers=dispatcher).status_code == 200
    assert kept_plans(client) == {new}
    day = client.get(
        url, params=params, headers={**dispatcher, "If-None-Match": old.headers["etag"]}
    )
    assert day.status_code == 200 and day.json()["plan_id"] == new
    assert move["visit_id"] not in [s["visit_id"] for s in day.json()["stops"]]
    taker = client.get(f"/engineers/{move['engineer_id']}/schedule", params=params,
                       headers=dispatcher).json()  # fmt: skip
    assert move["visit_id"] in [s["visit_id"] for s in taker["stops"]]
    published = {e["resource_id"]: e for e in events(client, dispatcher, "publish")}
    assert published[str(new)]["detail"]["replaced"] == [plan_id]
    (withdrawn,) = events(client, dispatcher, "unpublish")
    assert withdrawn["resource_id"] == str(plan_id)
    assert withdrawn["detail"]["replaced_by"] == new

    # changed_since: computed against the kept day, with an ETag of that body's own.
    since = client.get(url, params={**params, "changed_since": plan_id}, headers=dispatcher)
    assert since.status_code == 200
    changes = {c["visit_id"]: c["change"] for c in since.json()["changes"]}
    assert changes[move["visit_id"]] == "removed"
    assert since.headers["etag"] not in (day.headers["etag"], old.headers["etag"])
    same = client.get(
        url,
        params={**params, "changed_since": plan_id},
        headers={**dispatcher, "If-None-Match": since.headers["etag"]},
    )
    assert same.status_code == 304
    other = client.get(
        url,
        params={**params, "changed_since": new},
        headers={**dispatcher, "If-None-Match": since.headers["etag"]},
    )
    assert other.status_code == 200 and other.headers["etag"] != since.headers["etag"]
    assert {c["change"] for c in other.json()["changes"]} <= {"unchanged"}
    # The plain day is not the changed_since body: the kept one's ETag still answers 304.
    plain = client.get(
        url, params=params, headers={**dispatcher, "If-None-Match": day.headers["etag"]}
    )
    assert plain.status_code == 304

    # Versions page like the other lists.
    r = client.get(f"/plans/{new}/versions", params={"limit": 1}, headers=dispatcher)
    assert r.status_code == 200 and [v["id"] for v in r.json()] == [plan_id]
    assert r.headers["X-Next-Offset"] == "1"
    r = client.get(f"/plans/{new}/versions", params={"limit": 1, "offset": 1}, headers=dispatcher)
    assert [v["id"] for v in r.json()] == [new] and "X-Next-Offset" not in r.headers


def test_the_day_state_routes_and_a_re_plan_request_are_audited(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    own = auth(make_token(client, Role.ENGINEER, "e1"))
    r = client.patch("/engineers/e1/position", json={"lat": 60.17, "lon": 24.94}, headers=own)
    assert r.status_code == 200, r.text
    off = {"date": DAY, "off_from": "11:00"}
    assert client.patch("/engineers/e2/off", json=off, headers=dispatcher).status_code == 200
    (position,) = events(client, dispatcher, "position")
    assert (position["role"], position["resource_id"]) == ("engineer", "e1")
    (sent_off,) = events(client, dispatcher, "off")
    assert sent_off["resource_id"] == "e2" and sent_off["detail"]["off_from"] == "11:00"
    body = {"replan": {"of": plan_id, "at": "11:00"}, "options": {"time_limit_s": 1}}
    r = client.post("/plans", json=body, headers=dispatcher)
    assert r.status_code == 202, r.text
    (replan,) = events(client, dispatcher, "replan")
    assert replan["resource_id"] == str(r.json()["id"]) and replan["detail"]["of"] == plan_id
    wait_for_plan(client, r.json()["id"], dispatcher)
