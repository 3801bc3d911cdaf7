"""Schedule reads under load, with locust: 50 engineers' phones against one server.

Usage (PostgreSQL; under the benchmark lock; a few minutes)::

    flock /tmp/fieldroute-bench.lock .venv/bin/python -m benchmarks.schedule_load \\
        [--database-url URL] [--workers 1] [--users 50] [--seconds 20]

Starts ``fieldroute serve`` on an emptied schema ``fr_bench`` of the database, seeds and
publishes a day (one centre, 20 engineers, 152 visits: ``benchmarks.api_latency``), then
runs locust headless on the same machine (server and load generator side by side) for
three windows of ``--seconds``: schedule reads (``GET /engineers/{id}/schedule``, each
user one engineer's phone, back to back), the same with a plan solve running all along,
the schedule revalidated (``If-None-Match``: 304s, as a phone keeping its copy), and
``/health`` (no database work beyond ``SELECT 1``, no token: the ceiling). Prints a
Markdown table: requests/s, p50, p99, failures, against the targets (>= 1,000 reads/s,
p99 <= 100 ms).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.db.engine import make_engine
from api.db.migrate import migrate
from benchmarks.api_latency import (
    DAY,
    DEFAULT_URL,
    SolveKeeper,
    bench_database_url,
    free_port,
    make_tokens,
    post_ok,
    request_plan,
    seed_bodies,
    start_server,
    wait_healthy,
    wait_plan,
)
from benchmarks.synthetic import synthetic_day

LOCUSTFILE = Path(__file__).with_name("locustfile_schedule.py")
TARGET_RPS, TARGET_P99_MS = 1000.0, 100.0


@dataclass(frozen=True)
class Result:
    window: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float


def run_locust(
    base: str, tokens_file: Path, target: str, users: int, seconds: int, out: Path
) -> Result:
    """One headless locust run; its aggregated numbers."""
    prefix = out / target
    env = {
        **os.environ,
        "FIELDROUTE_LOAD_TOKENS": str(tokens_file),
        "FIELDROUTE_LOAD_TARGET": target.split()[0],
        "FIELDROUTE_LOAD_DAY": DAY,
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", base,
        "--csv", str(prefix), "--only-summary", "--stop-timeout", "5",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)
    with Path(f"{prefix}_stats.csv").open() as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    return Result(
        window=target,
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=float(total["50%"]),
        p99_ms=float(total["99%"]),
    )


def run(args: argparse.Namespace) -> list[Result]:
    database_url = bench_database_url(args.database_url)
    problem = synthetic_day(150, 20, events=2, seed=0)
    centre, engineers, visits = seed_bodies(problem)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    out = Path(tempfile.mkdtemp(prefix="schedule-load-"))
    server = start_server(database_url, port, args.workers, None, out / "server.log")
    results = []
    try:
        wait_healthy(base, server)
        dispatcher, _ = make_tokens(database_url, [])
        headers = {"Authorization": f"Bearer {dispatcher}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60.0) as api:
            post_ok(api, "/service-centres", centre)
            for body in engineers:
                post_ok(api, "/engineers", body)
            for body in visits:
                post_ok(api, "/visits", body)
            _, tokens = make_tokens(database_url, [e["id"] for e in engineers])
            plan_id = request_plan(api, 10.0)
            wait_plan(api, plan_id, {"succeeded"}, 120)
            r = api.post(f"/plans/{plan_id}/publish")
            if r.status_code != 200:
                raise SystemExit(f"schedule_load: publish answered {r.status_code}: {r.text}")
            routes = api.get(f"/plans/{plan_id}").json()["result"]["routes"]
            routed = sorted({route["engineer_id"] for route in routes} & set(tokens))
            tokens_file = out / "tokens.json"
            tokens_file.write_text(json.dumps([[e, tokens[e]] for e in routed]))
            print(f"plan {plan_id} published: {len(routed)} engineers", file=sys.stderr)
            results.append(run_locust(base, tokens_file, "schedule", args.users, args.seconds, out))
            keeper = SolveKeeper(api, database_url, args.seconds + 30.0)
            try:
                keeper.start()
                results.append(
                    run_locust(
                        base, tokens_file, "schedule (solving)", args.users, args.seconds, out
                    )
                )
                keeper.stop()
            finally:
                keeper.close()
            results.append(
                run_locust(base, tokens_file, "revalidate", args.users, args.seconds, out)
            )
            results.append(run_locust(base, tokens_file, "health", args.users, args.seconds, out))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


def report(args: argparse.Namespace, results: list[Result]) -> str:
    command = "python -m benchmarks.schedule_load " + " ".join(sys.argv[1:])
    lines = [
        f"`{command.strip()}` — {dt.date.today().isoformat()}, {platform.machine()} "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}, "
        f"{args.workers} server process(es), {args.users} locust users, "
        f"{args.seconds} s per window",
        "",
        "| window | requests | failures | requests/s | p50 ms | p99 ms | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        if r.window == "health":
            verdict = "ceiling"
        elif r.window == "revalidate":
            verdict = "(304s)"
        else:
            short_rps = max(0.0, TARGET_RPS - r.rps)
            over_p99 = max(0.0, r.p99_ms - TARGET_P99_MS)
            verdict = (
                "met"
                if not short_rps and not over_p99
                else f"{short_rps:.0f} req/s short, p99 {over_p99:.0f} ms over"
            )
        lines.append(
            f"| {r.window} | {r.requests} | {r.failures} | {r.rps:.0f} | {r.p50_ms:.0f} "
            f"| {r.p99_ms:.0f} | {verdict} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    print(report(args, run(args)))


if __name__ == "__main__":
    main()
