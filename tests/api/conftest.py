"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is
set), the app on it with solves in threads, tokens per role, and a tiny Helsinki day."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import scheduler.solver
from api.auth import Role, create_token
from api.config import Settings
from api.main import create_app
from scheduler.domain import Plan, Problem

DAY = "2026-11-27"
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


def _fresh_postgres_url(schema: str) -> str:
    """A URL whose connections use `schema`, created empty."""
    assert PG_URL is not None
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _drop_schema(schema: str) -> None:
    assert PG_URL is not None
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    except SQLAlchemyError:
        pass  # a schema left behind costs only space; the test's result stands
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    # The process id keeps two test runs on one server (two checkouts, say) out of each
    # other's tables; the xdist worker's name alone did not.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"fr_test_{worker}_{os.getpid()}"
    yield _fresh_postgres_url(schema)
    _drop_schema(schema)


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "solver_mode": "thread",
        "poll_interval_s": 0.05,
        "heartbeat_interval_s": 0.2,
        "stale_after_s": 30.0,
        "max_time_limit_s": 30.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def make_token(client: TestClient, role: Role, engineer_id: str | None = None) -> str:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        token = create_token(session, role, engineer_id=engineer_id)
        session.commit()
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def dispatcher(client: TestClient) -> dict[str, str]:
    return auth(make_token(client, Role.DISPATCHER))


@pytest.fixture
def planner(client: TestClient) -> dict[str, str]:
    return auth(make_token(client, Role.PLANNER))


CENTRE = {
    "id": "sc-kamppi",
    "name": "Kamppi",
    "lat": 60.1688,
    "lon": 24.9316,
    "timezone": "Europe/Helsinki",
    "address": "Urho Kekkosen katu 1, Helsinki",
}


def engineer_body(eid: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": eid,
        "name": f"Engineer {eid}",
        "service_centre_id": "sc-kamppi",
        "skills": ["repair_certified"],
        "shift_start": "08:00",
        "shift_end": "16:00",
        "breaks": [{"duration_min": 30, "earliest_start": "11:00", "latest_end": "13:30"}],
        "phone": "+358 50 555 0000",
    }
    body.update(extra)
    return body


def visit_body(vid: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": vid,
        "service_centre_id": "sc-kamppi",
        "date": DAY,
        "lat": lat,
        "lon": lon,
        "address": f"{vid} street 1, Helsinki",
        "duration_min": 40,
        "time_windows": [{"start": "08:00", "end": "12:00"}],
        "job_type": "laptop repair",
        "customer_name": f"Customer {vid}",
        "customer_phone": "+358 40 000 0000",
    }
    body.update(extra)
    return body


def seed_day(client: TestClient, headers: dict[str, str]) -> None:
    """One centre, two engineers, three visits that fit and one nobody is qualified for."""
    assert client.post("/service-centres", json=CENTRE, headers=headers).status_code == 201
    for eid in ("e1", "e2"):
        r = client.post("/engineers", json=engineer_body(eid), headers=headers)
        assert r.status_code == 201, r.text
    for body in (
        visit_body("v1", 60.1636, 24.9392),
        visit_body("v2", 60.1780, 24.9230),
        visit_body("v3", 60.1720, 24.9560, priority=1),
        visit_body("v4", 60.1650, 24.9470, required_skills=["sign_language"]),
    ):
        r = client.post("/visits", json=body, headers=headers)
        assert r.status_code == 201, r.text


PLAN_REQUEST = {
    "date": DAY,
    "service_centre_ids": ["sc-kamppi"],
    "options": {"time_limit_s": 5, "solution_limit": 20},
}


JOB_TIMEOUT_S = 180.0
"""How long a test waits for a background job at most: generous, for busy machines (the
jobs themselves end in seconds; only a job that never finishes waits this long)."""


def wait_for_job(
    client: TestClient, path: str, headers: dict[str, str], timeout: float = JOB_TIMEOUT_S
) -> dict[str, Any]:
    """Poll ``GET path`` (a plan or a simulation) until the job has finished."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def wait_for_plan(
    client: TestClient, plan_id: int, headers: dict[str, str], timeout: float = JOB_TIMEOUT_S
) -> dict[str, Any]:
    """Poll ``GET /plans/{id}`` until the job has finished."""
    return wait_for_job(client, f"/plans/{plan_id}", headers, timeout)


def wait_for_simulation(
    client: TestClient, sim_id: int, headers: dict[str, str], timeout: float = JOB_TIMEOUT_S
) -> dict[str, Any]:
    """Poll ``GET /simulations/{id}`` until the job has finished."""
    return wait_for_job(client, f"/simulations/{sim_id}", headers, timeout)


def record_solves(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Problem, Plan]]:
    """From now on, every ``scheduler.solver.solve`` in this process (the service's solves,
    in thread mode) is recorded: the problem with the options it was solved with, and the
    plan."""
    real = scheduler.solver.solve
    solves: list[tuple[Problem, Plan]] = []

    def recording(problem: Problem, matrix: Any, options: Any = None, **kw: Any) -> Plan:
        plan = real(problem, matrix, options, **kw)
        solves.append((dataclasses.replace(problem, options=options or problem.options), plan))
        return plan

    monkeypatch.setattr(scheduler.solver, "solve", recording)
    return solves


def published_plan(client: TestClient, headers: dict[str, str]) -> int:
    """Seed the day, plan it, publish the plan; returns its id."""
    seed_day(client, headers)
    r = client.post("/plans", json=PLAN_REQUEST, headers=headers)
    assert r.status_code == 202, r.text
    plan_id: int = r.json()["id"]
    assert wait_for_plan(client, plan_id, headers)["status"] == "succeeded"
    assert client.post(f"/plans/{plan_id}/publish", headers=headers).status_code == 200
    return plan_id
