"""Job state lives in the database: claims are exclusive, dead workers' jobs are re-run or
failed with a reason, and a restarted server picks its queue up again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.auth import Role
from api.config import Settings
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import migrate
from api.db.models import PlanJob, utcnow
from api.main import create_app
from api.store.plans import claim_plan
from api.store.queue import reap_stale
from scheduler.domain import SolveOptions
from tests.api.conftest import (
    PLAN_REQUEST,
    auth,
    engineer_body,
    make_token,
    record_solves,
    seed_day,
    settings_for,
    wait_for_plan,
    wait_for_simulation,
)
from tests.scheduler.simulate.test_simulate import SMALL


def _queue_plans(settings: Settings, n: int) -> list[int]:
    """Seed a day and queue ``n`` plans with no worker running."""
    quiet = settings.model_copy(update={"run_worker": False})
    with TestClient(create_app(quiet)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)
        return [
            client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"] for _ in range(n)
        ]


def test_concurrent_claims_never_hand_out_a_job_twice(settings: Settings) -> None:
    """Four claimants race over five queued jobs: each job is claimed exactly once."""
    ids = _queue_plans(settings, 5)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claimant(worker: str) -> None:
        barrier.wait()
        while True:
            with sessions.begin() as session:
                plan_id = claim_plan(session, worker)
            if plan_id is None:
                return
            with lock:
                claimed.append(plan_id)

    threads = [threading.Thread(target=claimant, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sorted(claimed) == sorted(ids)


def _set(settings: Settings, plan_id: int, **values: Any) -> None:
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        session.execute(update(PlanJob).where(PlanJob.id == plan_id).values(**values))
        session.commit()
    engine.dispose()


def test_stale_running_jobs_are_requeued_then_failed_with_a_reason(settings: Settings) -> None:
    first, second = _queue_plans(settings, 2)
    old = utcnow() - dt.timedelta(minutes=10)
    _set(settings, first, status="running", worker_id="dead:1", heartbeat_at=old, attempts=1)
    _set(settings, second, status="running", worker_id="dead:1", heartbeat_at=old, attempts=2)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        assert reap_stale(session, PlanJob, stale_after_s=60, max_attempts=2) == 2
    with sessions() as session:
        a, b = session.get(PlanJob, first), session.get(PlanJob, second)
        assert a is not None and b is not None
        assert (a.status, a.worker_id) == ("queued", None)
        assert "no heartbeat" in (a.error or "") and "re-queued" in (a.error or "")
        assert b.status == "failed" and "gave up after 2 attempts" in (b.error or "")
    # A live job (fresh heartbeat) is left alone.
    _set(settings, first, status="running", heartbeat_at=utcnow())
    with sessions.begin() as session:
        assert reap_stale(session, PlanJob, stale_after_s=60, max_attempts=2) == 0
    engine.dispose()


def test_a_restarted_server_reruns_the_job_its_dead_predecessor_was_running(
    settings: Settings,
) -> None:
    """A job left running by a killed process (old heartbeat) is re-queued and solved."""
    (plan_id,) = _queue_plans(settings, 1)
    old = utcnow() - dt.timedelta(minutes=10)
    _set(settings, plan_id, status="running", worker_id="killed:9", heartbeat_at=old, attempts=1)
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        plan = wait_for_plan(client, plan_id, headers)
    assert plan["status"] == "succeeded", plan
    assert plan["attempts"] == 2


def test_solves_in_a_child_process(database_url: str) -> None:
    """The default mode: the solve runs in a spawned process, progress still arrives, and
    that process runs at a lower priority than the server (``solver_nice``), so a solve does
    not slow the API's requests down."""
    settings = settings_for(database_url, solver_mode="process", solver_nice=5)
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)
        plan_id = client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"]
        plan = wait_for_plan(client, plan_id, headers)
        runner = client.app.state.runner  # type: ignore[attr-defined]
        solvers = runner.solver_pids()
        niceness = [os.getpriority(os.PRIO_PROCESS, pid) for pid in solvers]
    assert plan["status"] == "succeeded", plan["error"]
    assert plan["progress"]["solutions"] >= 1
    assert solvers and niceness == [min(os.getpriority(os.PRIO_PROCESS, 0) + 5, 19)] * len(solvers)


def test_migrate_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate(engine) == migrate(engine) == "0005_crews"
    engine.dispose()


def test_migrations_chain_down_and_up_and_match_the_models(database_url: str) -> None:
    """0001 -> 0002 -> 0003_service_hardening -> 0004_day_state -> 0005_crews, one line:
    every step down and back up, and the schema they build is the models' one."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from api.db.migrate import alembic_config, current_revision
    from api.db.models import Base

    engine = make_engine(database_url)
    config = alembic_config(engine)
    assert migrate(engine) == "0005_crews"
    for revision in ("0004_day_state", "0003_service_hardening", "0002", "0001", "base"):
        command.downgrade(config, revision)
        assert current_revision(engine) == (None if revision == "base" else revision)
    command.upgrade(config, "head")
    assert current_revision(engine) == "0005_crews"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_a_killed_solver_process_is_replaced_and_its_job_rerun(tmp_path: Path) -> None:
    """kill -9 of the solver child: the job is re-queued, a fresh pool runs it to the end
    (SQLite only: the database plays no part here)."""
    settings = settings_for(f"sqlite:///{tmp_path / 'kill.db'}", solver_mode="process")
    request = {**PLAN_REQUEST, "options": {"time_limit_s": 4}}  # long enough to be killed
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)
        plan_id = client.post("/plans", json=request, headers=headers).json()["id"]
        runner = client.app.state.runner  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while not runner.solver_pids():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)
        for pid in runner.solver_pids():
            os.kill(pid, signal.SIGKILL)
        plan = wait_for_plan(client, plan_id, headers)
    assert plan["status"] == "succeeded", plan["error"]
    assert plan["attempts"] == 2


@pytest.mark.parametrize("processes", [1, 3])
def test_every_solve_may_run_as_many_processes_as_the_server_says(
    database_url: str, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    """``solver_processes`` reaches every solve the server runs as ``SolveOptions.workers``:
    a plan's, and each replication's of a simulation."""
    solves = record_solves(monkeypatch)
    settings = settings_for(database_url, solver_processes=processes)
    with TestClient(create_app(settings)) as client:
        dispatcher = auth(make_token(client, Role.DISPATCHER))
        planner = auth(make_token(client, Role.PLANNER))
        seed_day(client, dispatcher)
        plan_id = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher).json()["id"]
        request = {"scenario": SMALL, "replications": 2}
        sim_id = client.post("/simulations", json=request, headers=planner).json()["id"]
        assert wait_for_plan(client, plan_id, dispatcher)["status"] == "succeeded"
        assert wait_for_simulation(client, sim_id, planner)["status"] == "succeeded"
    assert [problem.options.workers for problem, _ in solves] == [processes] * 3


@pytest.mark.parametrize(("processes", "pools"), [(1, []), (2, [2])])
def test_a_solve_asks_for_more_processes_only_when_the_server_allows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int, pools: list[int]
) -> None:
    """A day searched in parts side by side (any day above ``decompose_above`` visits, here
    lowered to 1, with 4 engineers): on a server of one solver process per solve the solve
    runs in its solver process alone, no process pool asked for; with two it asks for a pool
    of two (SQLite; solves in this process, threads)."""
    import api.routes.plans as plan_routes
    from api.store.day import solve_options

    requested: list[int | None] = []
    start_pool = ProcessPoolExecutor.__init__

    def recording(pool: ProcessPoolExecutor, max_workers: int | None = None, **kw: Any) -> None:
        requested.append(max_workers)
        start_pool(pool, max_workers, **kw)

    monkeypatch.setattr(ProcessPoolExecutor, "__init__", recording)

    def split_every_day(options: Any) -> SolveOptions:
        return dataclasses.replace(solve_options(options), decompose_above=1)

    monkeypatch.setattr(plan_routes, "solve_options", split_every_day)
    settings = settings_for(f"sqlite:///{tmp_path / 'pools.db'}", solver_processes=processes)
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)
        for eid in ("e3", "e4"):
            assert client.post("/engineers", json=engineer_body(eid), headers=headers).is_success
        request = {**PLAN_REQUEST, "options": {"iterations": 2000}}
        plan_id = client.post("/plans", json=request, headers=headers).json()["id"]
        plan = wait_for_plan(client, plan_id, headers)
    assert plan["status"] == "succeeded", plan["error"]
    assert requested == pools
