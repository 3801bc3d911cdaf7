"""Latency of ``GET /engineers/{id}/schedule`` at N concurrent clients, idle and mid-solve.

Usage (PostgreSQL; run under the benchmark lock)::

    flock /tmp/fieldroute-bench.lock .venv/bin/python -m benchmarks.api_latency \\
        [--database-url URL] [--workers 1] [--clients 50] [--window 15] [--rounds 3] \\
        [--solver-nice N]

Starts ``fieldroute serve`` (uvicorn, the service's default settings: solves in child
processes) on an emptied schema ``fr_bench`` of the database, seeds a published day (one
centre, 20 engineers, 150 visits and 2 events from ``benchmarks.synthetic``), then alternates
two kinds of measurement window, ``--rounds`` times each:

* idle: no solve running;
* solving: a plan solve of the same day runs in the same service for the whole window (a
  new one is requested as soon as one ends; the share of the window covered is reported).

``--solver-nice`` sets the server's ``FIELDROUTE_SOLVER_NICE`` (0 = solves at the API's
priority) to compare with the default.

Each of the ``--clients`` clients is one engineer's phone: its own HTTP connection and its
own engineer token, fetching that engineer's schedule back to back (closed loop). Prints
p50/p99/mean latency (milliseconds) and throughput per phase and the solving/idle ratios
as a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.auth import Role, create_token
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import migrate
from api.db.models import utcnow
from benchmarks.synthetic import synthetic_day
from scheduler.domain import Problem, VisitKind

DEFAULT_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SCHEMA = "fr_bench"
DAY = "2026-11-27"
CENTRE = "sc-helsinki"
WARMUP_S = 2.0


# ----------------------------------------------------------------- database and server


def bench_database_url(url: str) -> str:
    """``url`` pointed at an emptied schema of its own (the benchmark's data only)."""
    if not url.startswith("postgresql"):
        raise SystemExit(f"api_latency: needs a PostgreSQL URL, not {url!r}")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    return scoped.render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    database_url: str, port: int, workers: int, solver_nice: int | None, log: Path
) -> subprocess.Popen[bytes]:
    """``fieldroute serve`` on ``port`` in a process of its own (output to ``log``)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    if solver_nice is not None:
        env["FIELDROUTE_SOLVER_NICE"] = str(solver_nice)
    command = [sys.executable, "-m", "fieldroute", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"api_latency: the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("api_latency: the server did not answer /health within a minute")


def make_tokens(database_url: str, engineer_ids: list[str]) -> tuple[str, dict[str, str]]:
    """A dispatcher token, and one engineer token per engineer id (engineers must exist)."""
    engine = make_engine(database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        dispatcher = create_token(session, Role.DISPATCHER, name="benchmark")
        session.commit()
        engineers = {
            eid: create_token(session, Role.ENGINEER, engineer_id=eid, name="benchmark")
            for eid in engineer_ids
        }
        session.commit()
    engine.dispose()
    return dispatcher, engineers


# ----------------------------------------------------------------- the seeded day


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def seed_bodies(
    problem: Problem,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """API bodies for the synthetic day: its centre, engineers and visits with contact details."""
    where = {loc.id: loc for loc in problem.locations}
    centre = {
        "id": CENTRE,
        "name": "Helsinki centre",
        "address": "Mannerheimintie 1, 00100 Helsinki",
        "lat": where["centre"].lat,
        "lon": where["centre"].lon,
        "timezone": "Europe/Helsinki",
    }
    engineers = [
        {
            "id": e.id,
            "name": e.name,
            "service_centre_id": CENTRE,
            "skills": sorted(e.skills),
            "shift_start": clock(e.shift_start),
            "shift_end": clock(e.shift_end),
            "breaks": [
                {
                    "duration_min": b.duration / 60,
                    "earliest_start": clock(b.earliest_start),
                    "latest_end": clock(b.latest_end),
                }
                for b in e.breaks
            ],
            "overtime_max_min": e.overtime_max / 60,
            "phone": f"+358 50 555 {i:04d}",
        }
        for i, e in enumerate(problem.engineers)
    ]
    visits = []
    for i, v in enumerate(problem.visits):
        loc = where[v.location]
        visits.append(
            {
                "id": v.id,
                "service_centre_id": CENTRE,
                "date": DAY,
                "kind": v.kind.value,
                "lat": loc.lat,
                "lon": loc.lon,
                "address": f"Testikatu {i + 1} A {i % 9 + 1}, 00{100 + i % 900} Helsinki",
                "duration_min": v.duration / 60,
                "time_windows": [
                    {"start": clock(w.start), "end": clock(w.end)} for w in v.time_windows
                ],
                "required_skills": sorted(v.required_skills),
                "priority": v.priority,
                "engineers_required": v.engineers_required,
                "job_type": str(v.details.get("job_type", "community event")),
                "customer_name": f"Customer {i}",
                "customer_phone": f"+358 40 123 {i:04d}",
                "notes": "Door code 1234; ring twice." if v.kind is VisitKind.HOME_SERVICE else "",
            }
        )
    return centre, engineers, visits


def post_ok(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    if r.status_code not in (200, 201, 202):
        raise SystemExit(f"api_latency: POST {path} answered {r.status_code}: {r.text}")
    out: dict[str, Any] = r.json()
    return out


def request_plan(client: httpx.Client, time_limit_s: float, **extra: Any) -> int:
    body = {
        "date": DAY,
        "service_centre_ids": [CENTRE],
        "options": {"time_limit_s": time_limit_s, **extra},
    }
    plan_id: int = post_ok(client, "/plans", body)["id"]
    return plan_id


def wait_plan(client: httpx.Client, plan_id: int, until: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status: str = client.get(f"/plans/{plan_id}").json()["status"]
        if status in until:
            return status
        if status == "failed" or time.monotonic() > deadline:
            raise SystemExit(f"api_latency: plan {plan_id} is {status}, waiting for {until}")
        time.sleep(0.2)


class SolveKeeper:
    """Keeps one plan solve running in the service until stopped.

    A solve may finish before its time limit; a new one is requested as soon as none is
    queued or running (seen in the database, which answers faster than the loaded API).
    """

    def __init__(self, api: httpx.Client, database_url: str, time_limit_s: float) -> None:
        self.api, self.time_limit_s = api, time_limit_s
        self.engine = create_engine(database_url)
        self.plan_ids: list[int] = []
        # Run after each new solve is requested, e.g. to renice the solver processes (the
        # pool's process normally persists; this catches one the server had to replace).
        self.on_new_solve: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def active(self) -> dict[int, str]:
        """Status of this keeper's plans that are queued or running."""
        if not self.plan_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, status FROM plans WHERE id = ANY(:ids)"),
                {"ids": self.plan_ids},
            )
            return {r.id: r.status for r in rows if r.status in ("queued", "running")}

    def _loop(self) -> None:
        # Polled 5 times a second: quick enough to keep the solver busy (the share is
        # reported), rare enough to cost the load generator next to nothing.
        while not self._stop.is_set():
            if not self.active():
                self.plan_ids.append(request_plan(self.api, self.time_limit_s))
                if self.on_new_solve is not None:
                    self.on_new_solve()
            self._stop.wait(0.2)

    def start(self, timeout: float = 60.0) -> None:
        """Request the first solve and return once it runs."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while "running" not in self.active().values():
            if time.monotonic() > deadline:
                raise SystemExit("api_latency: the solve did not start within a minute")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop requesting solves and wait for the last to end."""
        self._stop.set()
        self._thread.join()
        while self.active():
            time.sleep(0.2)

    def busy_share(self, began: dt.datetime, ended: dt.datetime) -> tuple[float, int]:
        """Share of [began, ended] some solve of this keeper was running, and their count."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT started_at, finished_at FROM plans WHERE id = ANY(:ids)"),
                {"ids": self.plan_ids},
            ).all()
        spans = sorted(
            (max(r.started_at, began), min(r.finished_at or ended, ended))
            for r in rows
            if r.started_at is not None
            and r.started_at < ended
            and (r.finished_at is None or r.finished_at > began)
        )
        covered, reach = 0.0, began
        for s0, s1 in spans:
            s0 = max(s0, reach)
            if s1 > s0:
                covered += (s1 - s0).total_seconds()
                reach = s1
        return covered / (ended - began).total_seconds(), len(spans)

    def close(self) -> None:
        self.engine.dispose()


# ----------------------------------------------------------------- measuring


@dataclass
class Window:
    """Latencies (seconds) of the successful requests of one measurement window."""

    phase: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    began: dt.datetime | None = None  # UTC, naive like the plans table's times
    ended: dt.datetime | None = None
    solver_busy: float | None = None  # share of the window a solve was running
    solves: int = 0


async def _client_loop(
    base: str, engineer_id: str, token: str, start: float, stop: float, window: Window
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    path = f"/engineers/{engineer_id}/schedule"
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30.0
    ) as client:
        while (now := time.perf_counter()) < stop:
            try:
                r = await client.get(path, params={"date": DAY})
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            elapsed = time.perf_counter() - now
            if now >= start:  # requests begun during warm-up are not counted
                if ok:
                    window.latencies.append(elapsed)
                else:
                    window.errors += 1


async def _measure(base: str, clients: list[tuple[str, str]], phase: str, seconds: float) -> Window:
    window = Window(phase, seconds)
    start = time.perf_counter() + WARMUP_S
    stop = start + seconds
    window.began = utcnow() + dt.timedelta(seconds=WARMUP_S)
    window.ended = window.began + dt.timedelta(seconds=seconds)
    await asyncio.gather(
        *(_client_loop(base, eid, token, start, stop, window) for eid, token in clients)
    )
    return window


def measure(base: str, clients: list[tuple[str, str]], phase: str, seconds: float) -> Window:
    """``len(clients)`` closed-loop clients for ``WARMUP_S + seconds``; the last part counts."""
    return asyncio.run(_measure(base, clients, phase, seconds))


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation; values need not be sorted."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Summary:
    phase: str
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    per_s: float


def summarise(phase: str, windows: list[Window]) -> Summary:
    latencies = [x for w in windows if w.phase == phase for x in w.latencies]
    seconds = sum(w.seconds for w in windows if w.phase == phase)
    errors = sum(w.errors for w in windows if w.phase == phase)
    if not latencies:
        raise SystemExit(f"api_latency: no successful request while {phase}")
    return Summary(
        phase,
        len(latencies),
        errors,
        percentile(latencies, 0.50) * 1000,
        percentile(latencies, 0.99) * 1000,
        statistics.fmean(latencies) * 1000,
        len(latencies) / seconds,
    )


def _children() -> dict[int, list[int]]:
    """Child pids by parent pid, from /proc (Linux)."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def solver_pids(server_pid: int, workers: int) -> list[int]:
    """The server's solver processes: spawned children of the process(es) running the app
    (the server itself with one worker, else each uvicorn worker)."""
    tree = _children()
    apps = [server_pid] if workers == 1 else tree.get(server_pid, [])
    out = []
    for app in apps:
        for pid in tree.get(app, []):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                out.append(pid)
    return out


def renice_solvers(server_pid: int, workers: int, nice: int) -> None:
    """Put the server's solver processes at the server's niceness + ``nice``."""
    base = os.getpriority(os.PRIO_PROCESS, server_pid)
    for pid in solver_pids(server_pid, workers):
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.setpriority(os.PRIO_PROCESS, pid, min(base + nice, 19))


# ----------------------------------------------------------------- main


def run(args: argparse.Namespace) -> list[Window]:
    database_url = bench_database_url(args.database_url)
    problem = synthetic_day(150, 20, events=2, seed=0)
    centre, engineers, visits = seed_bodies(problem)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(args.server_log)
    migrate_engine = make_engine(database_url)
    migrate(migrate_engine)  # before the workers start, so they do not race to create tables
    migrate_engine.dispose()
    server = start_server(database_url, port, args.workers, args.solver_nice, log)
    windows: list[Window] = []
    try:
        wait_healthy(base, server)
        dispatcher, _ = make_tokens(database_url, [])
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {dispatcher}"}, timeout=30.0
        ) as api:
            post_ok(api, "/service-centres", centre)
            for body in engineers:
                post_ok(api, "/engineers", body)
            for body in visits:
                post_ok(api, "/visits", body)
            _, tokens = make_tokens(database_url, [e["id"] for e in engineers])
            print("seeded 1 centre, 20 engineers, 152 visits; planning the day", file=sys.stderr)
            plan_id = request_plan(api, args.seed_time_limit)
            wait_plan(api, plan_id, {"succeeded"}, args.seed_time_limit + 60)
            r = api.post(f"/plans/{plan_id}/publish")
            if r.status_code != 200:
                raise SystemExit(f"api_latency: publish answered {r.status_code}: {r.text}")
            routed = [
                route["engineer_id"]
                for route in api.get(f"/plans/{plan_id}").json()["result"]["routes"]
            ]
            ids = sorted(set(routed) & set(tokens))  # an engineer left at home has no schedule
            print(f"plan {plan_id} published: {len(ids)} engineers with routes", file=sys.stderr)
            clients = [(ids[i % len(ids)], tokens[ids[i % len(ids)]]) for i in range(args.clients)]
            nices: list[int | None] = args.compare_nice or [None]
            solve_s = WARMUP_S + (args.window + 3.0) * len(nices) + 5.0
            for round_no in range(1, args.rounds + 1):
                windows.append(measure(base, clients, "idle", args.window))
                keeper = SolveKeeper(api, database_url, solve_s)
                # Alternate the order of the niceness levels from round to round.
                order = nices if round_no % 2 else nices[::-1]
                try:
                    keeper.start()
                    for nice in order:
                        if nice is not None:
                            renice = partial(renice_solvers, server.pid, args.workers, nice)
                            keeper.on_new_solve = renice
                            renice()
                        phase = "solving" if nice is None else f"solving, solver nice {nice}"
                        w = measure(base, clients, phase, args.window)
                        assert w.began is not None and w.ended is not None
                        w.solver_busy, w.solves = keeper.busy_share(w.began, w.ended)
                        windows.append(w)
                    keeper.stop()
                finally:
                    keeper.close()
                for w in windows[-1 - len(nices) :]:
                    busy = (
                        ""
                        if w.solver_busy is None
                        else f", solver busy {w.solver_busy:.0%} ({w.solves} solves)"
                    )
                    print(
                        f"round {round_no} {w.phase}: {len(w.latencies)} requests, "
                        f"p50 {percentile(w.latencies, 0.5) * 1000:.1f} ms, "
                        f"p99 {percentile(w.latencies, 0.99) * 1000:.1f} ms, "
                        f"{w.errors} errors{busy}",
                        file=sys.stderr,
                    )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return windows


def report(args: argparse.Namespace, windows: list[Window]) -> str:
    phases = list(dict.fromkeys(w.phase for w in windows))
    summaries = [summarise(phase, windows) for phase in phases]
    idle = summaries[0]
    command = "python -m benchmarks.api_latency " + " ".join(sys.argv[1:])
    nice = "default" if args.solver_nice is None else args.solver_nice
    lines = [
        f"Command: `{command}`; machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}; date: {dt.date.today().isoformat()}; "
        f"{args.clients} clients, {args.workers} server worker(s), server's solver nice "
        f"{nice}, {args.rounds} x {args.window:g} s per phase.",
        "",
        "| phase | requests | errors | p50 ms | p99 ms | mean ms | requests/s "
        "| p50 / idle | p99 / idle | per-round median p50 / idle | p99 / idle |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    # Per round, each solving window against that round's idle window: a burst of load from
    # outside the benchmark moves one round, not the median.
    per_round = len(phases)
    rounds = [windows[i : i + per_round] for i in range(0, len(windows), per_round)]
    for s in summaries:
        if s is idle:
            ratios = "| | | | |"
        else:
            by_round = [
                (r[0].latencies, next(w.latencies for w in r if w.phase == s.phase)) for r in rounds
            ]
            p50s = [percentile(b, 0.5) / percentile(a, 0.5) for a, b in by_round]
            p99s = [percentile(b, 0.99) / percentile(a, 0.99) for a, b in by_round]
            ratios = (
                f"| {s.p50_ms / idle.p50_ms:.2f} | {s.p99_ms / idle.p99_ms:.2f} "
                f"| {statistics.median(p50s):.2f} | {statistics.median(p99s):.2f} |"
            )
        lines.append(
            f"| {s.phase} | {s.requests:,} | {s.errors} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | "
            f"{s.mean_ms:.1f} | {s.per_s:.0f} {ratios}"
        )
    busy = [w.solver_busy for w in windows if w.solver_busy is not None]
    lines += [
        "",
        f"A solve was running for {statistics.fmean(busy):.0%} of the solving windows "
        "(a new one is requested as soon as one ends).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL URL")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn server processes")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--window", type=float, default=15.0, help="seconds per window")
    parser.add_argument("--rounds", type=int, default=3, help="idle + solving windows each")
    parser.add_argument(
        "--solver-nice", type=int, help="FIELDROUTE_SOLVER_NICE for the server (default: its own)"
    )
    parser.add_argument(
        "--compare-nice",
        type=int,
        nargs="+",
        metavar="N",
        help="measure a solving window per niceness N (solver processes reniced to the "
        "server's + N, in alternating order) in each round",
    )
    parser.add_argument("--seed-time-limit", type=float, default=10.0, help="first plan, s")
    parser.add_argument("--server-log", default="/tmp/fieldroute-api-latency-server.log")
    args = parser.parse_args()
    print(report(args, run(args)))


if __name__ == "__main__":
    main()
