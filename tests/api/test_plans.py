"""Plans: 202 at once, solved in the background, polled to a result, published once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from api.main import create_app
from tests.api.conftest import (
    DAY,
    PLAN_REQUEST,
    auth,
    make_token,
    seed_day,
    settings_for,
    wait_for_plan,
)


def test_plan_is_accepted_at_once_then_solved_with_routes_kpis_and_reasons(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """POST answers 202 with an id and a Location; the finished plan serves every visit it
    can, and the one no engineer is qualified for comes back with that reason."""
    seed_day(client, dispatcher)
    r = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["status"] in ("queued", "running", "succeeded")
    assert r.headers["Location"] == f"/plans/{accepted['id']}"
    plan = wait_for_plan(client, accepted["id"], dispatcher)
    assert plan["status"] == "succeeded", plan["error"]
    assert plan["attempts"] == 1
    assert plan["progress"] is not None and plan["progress"]["solutions"] >= 1
    result = plan["result"]
    served = {s["visit_id"] for route in result["routes"] for s in route["stops"]}
    assert served == {"v1", "v2", "v3"}
    assert [(u["visit_id"], u["reason"]) for u in result["unassigned"]] == [
        ("v4", "NO_QUALIFIED_ENGINEER")
    ]
    assert result["kpis"]["visits_served"] == 3
    assert result["travel_times"] == "haversine-estimate"
    assert result["routes"][0]["departure"].endswith("+02:00")  # the centre's zone


def test_plans_list_filters(client: TestClient, dispatcher: dict[str, str]) -> None:
    seed_day(client, dispatcher)
    plan_id = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher).json()["id"]
    wait_for_plan(client, plan_id, dispatcher)
    rows = [
        # (query, expected ids)
        ({"date": DAY}, [plan_id]),
        ({"date": "2026-11-28"}, []),
        ({"service_centre_id": "sc-kamppi", "status": "succeeded"}, [plan_id]),
        ({"published": "true"}, []),
        ({"published": "false"}, [plan_id]),
    ]
    for query, expected in rows:
        r = client.get("/plans", params=query, headers=dispatcher)
        assert r.status_code == 200
        assert [p["id"] for p in r.json()] == expected, query


def test_plan_of_unknown_centre_or_too_long_a_search_is_422_with_the_field(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_day(client, dispatcher)
    body = {**PLAN_REQUEST, "service_centre_ids": ["sc-kamppi", "nowhere"]}
    r = client.post("/plans", json=body, headers=dispatcher)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "service_centre_ids", "1"]
    body = {**PLAN_REQUEST, "options": {"time_limit_s": 10_000}}
    r = client.post("/plans", json=body, headers=dispatcher)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "options", "time_limit_s"]


def test_unplannable_data_is_422_naming_the_visit(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """A visit allowed only for an engineer who is not in the plan cannot be planned."""
    seed_day(client, dispatcher)
    r = client.patch("/visits/v1", json={"allowed_engineers": ["ghost"]}, headers=dispatcher)
    assert r.status_code == 200
    r = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher)
    assert r.status_code == 422
    assert "v1" in r.json()["detail"][0]["msg"] and "ghost" in r.json()["detail"][0]["msg"]


def _succeeded(client: TestClient, headers: dict[str, str]) -> int:
    plan_id: int = client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"]
    assert wait_for_plan(client, plan_id, headers)["status"] == "succeeded"
    return plan_id


def test_one_published_plan_per_centre_and_day(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """Publishing twice is a 409, so is publishing a second plan for the same centre and
    day; after unpublishing the first, the second can be published."""
    seed_day(client, dispatcher)
    first, second = _succeeded(client, dispatcher), _succeeded(client, dispatcher)
    r = client.post(f"/plans/{first}/publish", headers=dispatcher)
    assert r.status_code == 200 and r.json()["published"] is True
    assert client.post(f"/plans/{first}/publish", headers=dispatcher).status_code == 409
    r = client.post(f"/plans/{second}/publish", headers=dispatcher)
    assert r.status_code == 409 and "unpublish" in r.json()["detail"]
    assert client.get(f"/plans/{second}", headers=dispatcher).json()["published"] is False
    assert client.post(f"/plans/{first}/unpublish", headers=dispatcher).status_code == 200
    assert client.post(f"/plans/{first}/unpublish", headers=dispatcher).status_code == 409
    assert client.post(f"/plans/{second}/publish", headers=dispatcher).status_code == 200


@pytest.mark.parametrize("same_plan", [False, True], ids=["two plans", "one plan twice"])
def test_concurrent_publishes_give_exactly_one_409(
    client: TestClient, dispatcher: dict[str, str], same_plan: bool
) -> None:
    seed_day(client, dispatcher)
    first = _succeeded(client, dispatcher)
    plans = [first, first if same_plan else _succeeded(client, dispatcher)]
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def publish(plan_id: int) -> None:
        barrier.wait()
        codes.append(client.post(f"/plans/{plan_id}/publish", headers=dispatcher).status_code)

    threads = [threading.Thread(target=publish, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]


def test_only_a_succeeded_plan_can_be_published_and_unknown_plans_are_404(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_day(client, dispatcher)
    # An event needing more engineers than exist fails at once in the core (422, not a job).
    assert client.get("/plans/999", headers=dispatcher).status_code == 404
    assert client.post("/plans/999/publish", headers=dispatcher).status_code == 404


def test_failed_job_records_the_reason(
    client: TestClient, dispatcher: dict[str, str], monkeypatch: Any
) -> None:
    """A solve that raises marks the plan failed with the error, and it cannot be published."""
    import scheduler.solver

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(scheduler.solver, "solve", broken)
    seed_day(client, dispatcher)
    plan_id = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher).json()["id"]
    plan = wait_for_plan(client, plan_id, dispatcher)
    assert plan["status"] == "failed"
    assert "solver exploded" in plan["error"]
    assert plan["result"] is None
    assert client.post(f"/plans/{plan_id}/publish", headers=dispatcher).status_code == 409


def test_plan_geojson_maps_every_stop_with_its_eta(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_day(client, dispatcher)
    plan_id = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher).json()["id"]
    plan = wait_for_plan(client, plan_id, dispatcher)
    r = client.get(f"/plans/{plan_id}/geojson", headers=dispatcher)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    features = r.json()["features"]
    stops = {f["properties"]["visit_id"]: f for f in features if f["properties"]["kind"] == "stop"}
    arrivals = {s["visit_id"]: s["arrival"] for rt in plan["result"]["routes"] for s in rt["stops"]}
    assert set(stops) == set(arrivals) == {"v1", "v2", "v3"}
    assert stops["v1"]["geometry"] == {"type": "Point", "coordinates": [24.9392, 60.1636]}
    assert all(stops[v]["properties"]["eta"] == t for v, t in arrivals.items())
    assert client.get("/plans/999/geojson", headers=dispatcher).status_code == 404


def test_with_a_road_network_plans_use_road_times_and_maps_follow_the_roads(
    tmp_path: Path,
) -> None:
    """FIELDROUTE_ROAD_NETWORK=bundled: the bundled central-Helsinki roads; a visit off the
    network fails the plan with a reason naming it (SQLite only: the database plays no part
    here)."""
    settings = settings_for(f"sqlite:///{tmp_path / 'roads.db'}", road_network="bundled")
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)  # v2 lies 1 km outside the bundled network
        plan_id = client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"]
        plan = wait_for_plan(client, plan_id, headers)
        assert plan["status"] == "failed" and "'visit:v2' is 1,028 m away" in plan["error"]
        moved = {"lat": 60.1648, "lon": 24.9380}
        assert client.patch("/visits/v2", json=moved, headers=headers).status_code == 200
        plan_id = client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"]
        plan = wait_for_plan(client, plan_id, headers)
        assert plan["status"] == "succeeded", plan["error"]
        assert plan["result"]["travel_times"].startswith("road-network")
        features = client.get(f"/plans/{plan_id}/geojson", headers=headers).json()["features"]
    legs = [f for f in features if f["properties"]["kind"] == "leg"]
    assert legs and max(len(f["geometry"]["coordinates"]) for f in legs) > 2
