"""The day's state stored through the API: a dispatcher's cancellation (the visit leaves the
schedule, no status report revives it), an engineer's time off, positions (sent or reported
with a status), actual start and end from status reports; the schedule's windows; booking
slots over the published plan, storing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth import Role
from api.db.models import PlanJob, Visit
from api.main import create_app
from tests.api.conftest import DAY, auth, make_token, published_plan, seed_day, settings_for


def owner_of(client: TestClient, plan_id: int, visit_id: str, headers: dict[str, str]) -> str:
    routes = client.get(f"/plans/{plan_id}", headers=headers).json()["result"]["routes"]
    owner: str = next(
        r["engineer_id"] for r in routes if visit_id in [s["visit_id"] for s in r["stops"]]
    )
    return owner


def schedule(client: TestClient, engineer: str, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get(f"/engineers/{engineer}/schedule", params={"date": DAY}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_cancelled_or_deleted_visit_leaves_the_schedule_and_each_stop_shows_its_window(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    e = owner_of(client, plan_id, "v1", dispatcher)
    day = schedule(client, e, dispatcher)
    assert day["stops"][0]["windows"] == [
        {"start": f"{DAY}T08:00:00+02:00", "end": f"{DAY}T12:00:00+02:00"}
    ]
    assert client.post("/visits/v1/cancel", json={}, headers=dispatcher).json()["status"] == (
        "cancelled"
    )
    day = schedule(client, e, dispatcher)
    assert "v1" not in [s["visit_id"] for s in day["stops"]]
    assert [s["order"] for s in day["stops"]] == list(range(1, len(day["stops"]) + 1))
    # Cancelled is final: the engineer cannot report on it, nor can it be cancelled once done.
    token = auth(make_token(client, Role.ENGINEER, e))
    r = client.patch("/visits/v1/status", json={"status": "en_route"}, headers=token)
    assert r.status_code == 409
    other = next(v for v in ("v2", "v3") if owner_of(client, plan_id, v, dispatcher))
    owner = owner_of(client, plan_id, other, dispatcher)
    mine = auth(make_token(client, Role.ENGINEER, owner))
    for status in ("started", "done"):
        assert client.patch(f"/visits/{other}/status", json={"status": status},
                            headers=mine).status_code == 200  # fmt: skip
    r = client.post(f"/visits/{other}/cancel", json={}, headers=dispatcher)
    assert r.status_code == 409 and "done" in r.json()["detail"]
    assert client.post("/visits/ghost/cancel", json={}, headers=dispatcher).status_code == 404
    assert client.post("/visits/v2/cancel", json={}, headers=mine).status_code == 403
    # A deleted visit leaves too (the schedule no longer answers 409).
    left = [s["visit_id"] for s in schedule(client, owner, dispatcher)["stops"]]
    assert client.delete(f"/visits/{left[0]}", headers=dispatcher).status_code == 204
    assert left[0] not in [s["visit_id"] for s in schedule(client, owner, dispatcher)["stops"]]


def test_status_reports_record_actual_times_and_position_and_dispatchers_set_time_off(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    e = owner_of(client, plan_id, "v3", dispatcher)
    token = auth(make_token(client, Role.ENGINEER, e))
    started = {"status": "started", "at": "09:05", "lat": 60.1720, "lon": 24.9560}
    assert client.patch("/visits/v3/status", json=started, headers=token).status_code == 200
    r = client.patch("/visits/v3/status", json={"status": "done", "at": "09:50"}, headers=token)
    assert r.status_code == 200
    visit = r.json()
    assert visit["actual_start"].startswith(f"{DAY}T07:05:00")  # UTC
    assert visit["actual_end"].startswith(f"{DAY}T07:50:00")
    where = client.get(f"/engineers/{e}/day", params={"date": DAY}, headers=token).json()
    assert (where["lat"], where["lon"]) == (60.1720, 24.9560)
    assert where["seen_at"].startswith(f"{DAY}T07:05:00")
    bad = client.patch("/visits/v3/status", json={"status": "done", "lat": 60.0}, headers=token)
    assert bad.status_code == 422
    # Position sent directly, by the engineer (not for another one) or a dispatcher.
    r = client.patch(
        f"/engineers/{e}/position",
        json={"lat": 60.17, "lon": 24.94, "at": f"{DAY}T10:15:00+02:00"},
        headers=token,
    )
    assert r.status_code == 200 and r.json()["seen_at"].startswith(f"{DAY}T08:15:00")
    other = "e2" if e == "e1" else "e1"
    assert client.patch(f"/engineers/{other}/position", json={"lat": 60.17, "lon": 24.94},
                        headers=token).status_code == 403  # fmt: skip
    assert client.patch("/engineers/ghost/position", json={"lat": 60.17, "lon": 24.94},
                        headers=dispatcher).status_code == 404  # fmt: skip
    r = client.patch(f"/engineers/{e}/position", json={"lat": 91, "lon": 24.94}, headers=token)
    assert r.status_code == 422
    planner = auth(make_token(client, Role.PLANNER))
    r = client.patch(f"/engineers/{e}/position", json={"lat": 60.17, "lon": 24.94}, headers=planner)
    assert r.status_code == 403
    # Off from 11:00 (sick): a dispatcher's to set and to clear.
    off = {"date": DAY, "off_from": "11:00"}
    assert client.patch(f"/engineers/{e}/off", json=off, headers=token).status_code == 403
    r = client.patch(f"/engineers/{e}/off", json=off, headers=dispatcher)
    assert r.status_code == 200 and r.json()["off_from"].startswith(f"{DAY}T09:00:00")
    r = client.patch(f"/engineers/{e}/off", json={"date": DAY, "off_from": "25:00"},
                     headers=dispatcher)  # fmt: skip
    assert r.status_code == 422
    r = client.patch(f"/engineers/{e}/off", json={"date": DAY, "off_from": None},
                     headers=dispatcher)  # fmt: skip
    assert r.status_code == 200 and r.json()["off_from"] is None


def test_slots_offer_feasible_windows_cheapest_first_and_store_nothing(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        before = [session.scalar(select(func.count()).select_from(m)) for m in (PlanJob, Visit)]
    windows = [{"start": "08:00", "end": "10:00"}, {"start": "10:00", "end": "12:00"},
               {"start": "13:00", "end": "15:00"}]  # fmt: skip
    request = {
        "lat": 60.1690, "lon": 24.9410, "duration_min": 30, "skills": ["repair_certified"],
        "days": [{"date": DAY, "windows": windows},
                 {"date": "2026-11-28", "windows": windows}],
    }  # fmt: skip
    r = client.post("/slots", json=request, headers=dispatcher)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["days_without_plan"] == ["2026-11-28"]
    slots = answer["slots"]
    assert len(slots) == 3 and {s["plan_id"] for s in slots} == {plan_id}
    costs = [s["added_cost"] for s in slots]
    assert costs == sorted(costs) and all(c > 0 for c in costs)
    for s in slots:
        assert s["engineer_id"] in ("e1", "e2")
        assert s["window_start"] <= s["start"] <= s["window_end"]
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        after = [session.scalar(select(func.count()).select_from(m)) for m in (PlanJob, Visit)]
    assert after == before
    # Nobody has the skill: no slot. Unknown centre: 422 naming it.
    r = client.post("/slots", json={**request, "skills": ["sign_language"]}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["slots"] == []
    r = client.post("/slots", json={**request, "service_centre_ids": ["nowhere"]},
                    headers=dispatcher)  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "service_centre_ids"]
    engineer = auth(make_token(client, Role.ENGINEER, "e1"))
    assert client.post("/slots", json=request, headers=engineer).status_code == 403


def test_a_position_far_off_the_road_network_is_refused(tmp_path: Path) -> None:
    """With the server's road network (the bundled central Helsinki): a position or a
    booking place 1 km off its roads is a 422 naming the field, and nothing is stored."""
    settings = settings_for(f"sqlite:///{tmp_path / 'roads.db'}", road_network="bundled")
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)
        far = {"lat": 60.1780, "lon": 24.9230}  # v2's place, 1,028 m from the bundled roads
        r = client.patch("/engineers/e1/position", json=far, headers=headers)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "lat"]
        assert "off the road network" in r.json()["detail"][0]["msg"]
        near = {"lat": 60.1648, "lon": 24.9380}
        assert client.patch("/engineers/e1/position", json=near, headers=headers).status_code == 200
        request = {**far, "duration_min": 30, "days": [{"date": DAY, "windows": [
            {"start": "08:00", "end": "12:00"}]}]}  # fmt: skip
        assert client.post("/slots", json=request, headers=headers).status_code == 422
