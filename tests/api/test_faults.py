"""Faults: solver processes die with their server (kill -9), a plan can be cancelled (its
solver process stopped), the database unreachable at start is one clear line and exit 2,
and a database lost while serving is a 503 with Retry-After until it is back, without a
restart (against a throwaway PostgreSQL cluster this test starts, never the shared one)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> list[int]:
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def _fieldroute(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from fieldroute.cli import main; raise SystemExit(main())",
        *args,
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the solver's process")
@pytest.mark.parametrize("workers", [1, 2])
def test_solver_processes_die_with_a_server_killed_with_sigkill(
    tmp_path: Path, workers: int
) -> None:
    """The issue's probe: kill -9 of the server mid-solve once left a 405 MB solver process
    running, orphaned, for minutes. The kernel now ends every process the server started
    with it: its solver processes, and with ``--workers 2`` its server processes and
    theirs."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'kill.db'}"}
    created = subprocess.run(
        _fieldroute("token", "create", "--role", "dispatcher"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    headers = auth(created.stdout.strip())
    port = _free_port()
    solvers: list[int] = []
    server = subprocess.Popen(
        _fieldroute("serve", "--port", str(port), "--workers", str(workers)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(up, 120, "the server to start")
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            seed_day(client, headers)  # type: ignore[arg-type]
            request = {**PLAN_REQUEST, "options": {"time_limit_s": 120}}
            plan_id = client.post("/plans", json=request).json()["id"]
            _wait(
                lambda: client.get(f"/plans/{plan_id}").json()["status"] == "running",
                60,
                "the plan to run",
            )

        def solving() -> bool:  # a server's child running the solve
            solvers[:] = _descendants(server.pid)
            return len(solvers) >= 2 * workers  # each: its solver and multiprocessing's helper

        _wait(solving, 60, "a solver process")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        _wait(lambda: not any(_alive(p) for p in solvers), 30, "the solver processes to die")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in solvers:  # should the test fail: leave nothing behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_cancelling_a_running_plan_stops_its_solver_process(tmp_path: Path) -> None:
    """POST /plans/{id}/cancel: the plan ends cancelled, never succeeded, and its solver
    process is killed (SQLite only: the database plays no part here)."""
    settings = settings_for(f"sqlite:///{tmp_path / 'cancel.db'}", solver_mode="process")
    request = {**PLAN_REQUEST, "options": {"time_limit_s": 30}}
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, headers)
        plan_id = client.post("/plans", json=request, headers=headers).json()["id"]
        runner = client.app.state.runner  # type: ignore[attr-defined]
        _wait(lambda: bool(runner.solver_pids()), 60, "a solver process")
        solvers = runner.solver_pids()
        r = client.post(f"/plans/{plan_id}/cancel", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        _wait(lambda: not any(_alive(p) for p in solvers), 60, "the solver process to stop")
        _wait(lambda: not runner._running, 60, "the runner to let the job go")
        plan = client.get(f"/plans/{plan_id}", headers=headers).json()
        assert plan["status"] == "cancelled" and plan["result"] is None
        again = client.post(f"/plans/{plan_id}/cancel", headers=headers)
        assert again.status_code == 409
        # The server solves on: a new plan succeeds in a fresh solver process.
        quick = client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"]
        assert wait_for_plan(client, quick, headers)["status"] == "succeeded"


def test_a_queued_plan_is_cancelled_and_never_solved(database_url: str) -> None:
    settings = settings_for(database_url, run_worker=False)
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.PLANNER))
        dispatcher = auth(make_token(client, Role.DISPATCHER))
        seed_day(client, dispatcher)
        plan_id = client.post("/plans", json=PLAN_REQUEST, headers=headers).json()["id"]
        r = client.post(f"/plans/{plan_id}/cancel", headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        listed = client.get("/plans", params={"status": "cancelled"}, headers=headers).json()
        assert [p["id"] for p in listed] == [plan_id]
    # A server that solves, started afterwards, leaves it alone.
    with TestClient(create_app(settings_for(database_url))) as client:
        time.sleep(1.0)  # several polls of the job queue
        plan = client.get(f"/plans/{plan_id}", headers=headers).json()
        assert plan["status"] == "cancelled" and plan["attempts"] == 0


def test_an_unreachable_database_at_start_is_one_clear_line_and_exit_2() -> None:
    """Was a 117-line traceback."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/nothing"
    result = subprocess.run(
        _fieldroute("serve", "--port", str(_free_port())),
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the database" in lines[0], result.stderr


# ------------------------------------------------------------------ a throwaway PostgreSQL


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


class Cluster:
    """A PostgreSQL cluster of its own in a temporary directory (as the ``postgres`` user
    when run as root: PostgreSQL refuses to run as root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="fieldroute-pg-"))
        self.port = _free_port()
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        log = str(self.dir / "server.log")  # not our pipes: pg_ctl returns once it is up
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' user to run PostgreSQL as")
    c = Cluster(bin_dir)
    try:
        c.init()
        c.start()
        yield c
    finally:
        c.remove()


def test_a_database_lost_while_serving_is_a_503_until_it_is_back(cluster: Cluster) -> None:
    settings = settings_for(cluster.url, retry_after_s=7)
    with TestClient(create_app(settings)) as client:
        headers = auth(make_token(client, Role.DISPATCHER))
        assert client.get("/health").status_code == 200
        assert client.get("/visits", params={"date": DAY}, headers=headers).status_code == 200
        cluster.stop()
        for path in ("/health", "/visits"):
            r = client.get(path, headers=headers)
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "7"
            assert "database is unavailable" in r.json()["detail"]
        cluster.start()
        # Back without a restart: the pool's dead connections are replaced on checkout.
        assert client.get("/health").status_code == 200
        assert client.get("/visits", params={"date": DAY}, headers=headers).status_code == 200
