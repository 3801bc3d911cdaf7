"""POST /simulations -> 202 -> GET /simulations/{id}: planners' outreach-day simulations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from api.main import create_app
from scheduler.simulate import run, scenario_from_dict
from tests.api.conftest import auth, make_token, settings_for, wait_for_simulation
from tests.scheduler.simulate.test_simulate import SMALL


def test_planner_simulates_a_scenario_and_reads_means_with_intervals(
    client: TestClient, planner: dict[str, str]
) -> None:
    r = client.post("/simulations", json={"scenario": SMALL, "replications": 2}, headers=planner)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/simulations/{r.json()['id']}"
    assert r.json()["status"] == "queued"
    body = wait_for_simulation(client, r.json()["id"], planner)
    assert body["status"] == "succeeded", body["error"]
    result = body["result"]
    assert result["scenario"] == "small" and len(result["replications"]) == 2
    assert result["summary"]["events_held"]["mean"] == 1.0
    assert result["summary"]["events_held"]["n"] == 2
    # No road network: coverage is unknown (null), not zero.
    assert result["summary"]["residents_covered"]["mean"] is None
    assert result["events"][0]["event"] == "square"
    # The same seed gives the same numbers through the API as in the library.
    local = run(scenario_from_dict(SMALL), replications=2).replications
    for i, row in enumerate(result["replications"]):
        assert row["home_demand"] == local.loc[i, "home_demand"]
        assert row["home_served"] == local.loc[i, "home_served"]
        assert row["travel_min"] == pytest.approx(local.loc[i, "travel_min"])
    listed = client.get("/simulations", params={"status": "succeeded"}, headers=planner).json()
    assert [s["id"] for s in listed] == [body["id"]]


def test_two_finished_simulations_compare_side_by_side_and_paired(
    client: TestClient, planner: dict[str, str]
) -> None:
    ids = []
    for scenario in (SMALL, {**SMALL, "name": "no-event", "events": []}):
        r = client.post(
            "/simulations", json={"scenario": scenario, "replications": 2}, headers=planner
        )
        ids.append(r.json()["id"])
    for sim_id in ids:
        assert wait_for_simulation(client, sim_id, planner)["status"] == "succeeded"
    r = client.get("/simulations/compare", params={"ids": ids}, headers=planner)
    assert r.status_code == 200, r.text
    body = r.json()
    a, b = f"{ids[0]}:small", f"{ids[1]}:no-event"
    assert body["scenarios"] == [a, b]
    assert body["side_by_side"]["events_held"] == {a: "1.0 [1.0, 1.0]", b: "0.0 [0.0, 0.0]"}
    held = next(d for d in body["differences"] if d["metric"] == "events_held")
    assert (held["scenario"], held["baseline"], held["method"]) == (b, a, "paired")
    assert held["difference"] == -1.0
    assert (
        client.get("/simulations/compare", params={"ids": [ids[0]]}, headers=planner).status_code
        == 422
    )
    missing = client.get("/simulations/compare", params={"ids": [ids[0], 999]}, headers=planner)
    assert missing.status_code == 404


def test_unfinished_simulations_do_not_compare(database_url: str) -> None:
    with TestClient(create_app(settings_for(database_url, run_worker=False))) as client:
        planner = auth(make_token(client, Role.PLANNER))
        ids = [
            client.post("/simulations", json={"scenario": SMALL}, headers=planner).json()["id"]
            for _ in range(2)
        ]
        r = client.get("/simulations/compare", params={"ids": ids}, headers=planner)
    assert r.status_code == 409 and "is queued" in r.json()["detail"]


def test_in_solver_processes_the_numbers_are_the_same(tmp_path: Path) -> None:
    """The service's default mode: replications in a pool of solver processes (SQLite)."""
    settings = settings_for(
        f"sqlite:///{tmp_path / 'sim.db'}", solver_mode="process", solver_workers=2
    )
    with TestClient(create_app(settings)) as client:
        planner = auth(make_token(client, Role.PLANNER))
        request = {"scenario": SMALL, "replications": 3}
        sim_id = client.post("/simulations", json=request, headers=planner).json()["id"]
        body = wait_for_simulation(client, sim_id, planner)
    assert body["status"] == "succeeded", body["error"]
    assert body["result"]["executor"] == "process pool (2 workers)"
    local = run(scenario_from_dict(SMALL), replications=3).replications
    assert [r["home_served"] for r in body["result"]["replications"]] == list(local["home_served"])


def test_only_planners_start_simulations(client: TestClient, dispatcher: dict[str, str]) -> None:
    request = {"scenario": SMALL, "replications": 1}
    assert client.post("/simulations", json=request, headers=dispatcher).status_code == 403
    assert client.post("/simulations", json=request).status_code == 401
    # Dispatchers may read simulations (they share the day with the planners).
    assert client.get("/simulations", headers=dispatcher).status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"replications": 0}, "replications", "greater than or equal to 1"),
        ({"scenario": {**SMALL, "colour": "red"}}, "colour", "Extra inputs"),
        ({"scenario": {**SMALL, "network": "/etc/passwd"}}, "network", "does not read"),
        (
            {"scenario": {**SMALL, "solver": {"time_limit_s": 999}}},
            "time_limit_s",
            "seconds per solve on this server",
        ),
        ({"scenario": "events.0.engineers_required=9"}, "engineers_required", "more than the 3"),
        ({"scenario": "fit"}, "fit", "command line"),
    ],
)
def test_bad_simulation_requests_are_422_naming_the_field(
    client: TestClient, planner: dict[str, str], change: dict[str, Any], field: str, message: str
) -> None:
    request: dict[str, Any] = {"scenario": copy.deepcopy(SMALL), "replications": 1}
    if change.get("scenario") == "events.0.engineers_required=9":
        request["scenario"]["events"][0]["engineers_required"] = 9
    elif change.get("scenario") == "fit":
        request["scenario"]["demand"] = {
            **request["scenario"]["demand"],
            "rates": [],
            "fit": {"days": ["/srv/*/visits.csv"]},
        }
    else:
        request.update(change)
    r = client.post("/simulations", json=request, headers=planner)
    assert r.status_code == 422, r.text
    text = r.text
    assert field in text and message in text


def test_a_simulation_whose_process_died_is_requeued_then_failed(database_url: str) -> None:
    import datetime as dt

    from api.db.engine import make_engine, make_sessionmaker
    from api.db.migrate import migrate
    from api.db.models import SimulationJob, utcnow
    from api.store.queue import reap_stale
    from api.store.simulations import claim_simulation

    engine = make_engine(database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        session.add(SimulationJob(name="s", status="queued", scenario=SMALL, replications=1))
        session.commit()
        claimed = claim_simulation(session, "worker-a")
        session.commit()
        job = session.get(SimulationJob, claimed) if claimed is not None else None
        assert job is not None and job.status == "running" and job.attempts == 1
        assert claim_simulation(session, "worker-b") is None  # nothing else queued
        old = utcnow() - dt.timedelta(seconds=120)
        for attempts, expected in ((1, "queued"), (2, "failed")):
            session.query(SimulationJob).update(
                {"status": "running", "heartbeat_at": old, "attempts": attempts}
            )
            session.commit()
            assert reap_stale(session, SimulationJob, stale_after_s=60, max_attempts=2) == 1
            session.commit()
            session.expire_all()
            row = session.get(SimulationJob, job.id)
            assert row is not None and row.status == expected
            assert row.error is not None and "no heartbeat" in row.error
    engine.dispose()


def test_unknown_simulation_is_404(client: TestClient, planner: dict[str, str]) -> None:
    r = client.get("/simulations/4711", headers=planner)
    assert r.status_code == 404 and "simulation 4711" in r.json()["detail"]
