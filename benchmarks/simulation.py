"""Wall time of an outreach-day simulation on each executor, and that they agree.

Usage (run under the benchmark lock)::

    flock /tmp/fieldroute-bench.lock .venv/bin/python -m benchmarks.simulation \\
        [--replications 4] [--workers 2] [SCENARIO ...]

Runs the scenarios (default: the example pair in ``examples/``, bundled Helsinki network)
inline, in a local process pool of ``--workers`` processes, and on a Dask ``LocalCluster``
of ``--workers`` single-threaded worker processes; prints a Markdown table of wall times and
whether every executor's per-replication figures equal the inline ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

from scheduler.simulate import DaskExecutor, InlineExecutor, ProcessExecutor, run_many
from scheduler.simulate.executor import Executor
from scheduler.simulate.run import SimulationResult
from scheduler.simulate.scenario import Scenario, load_scenario

EXAMPLES = [Path("examples/outreach_one_event.yaml"), Path("examples/outreach_two_events.yaml")]


def _timed(
    executor: Executor, scenarios: list[Scenario], replications: int
) -> tuple[float, list[SimulationResult]]:
    start = time.perf_counter()
    results = run_many(scenarios, replications, executor)
    return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=EXAMPLES)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenarios = [load_scenario(p) for p in args.scenarios]
    tasks = len(scenarios) * args.replications
    rows = []
    inline_time, reference = _timed(InlineExecutor(), scenarios, args.replications)
    rows.append(("inline", inline_time, True))
    with ProcessExecutor(args.workers) as pool:
        t, results = _timed(pool, scenarios, args.replications)
    rows.append((f"process pool, {args.workers} workers", t, _same(reference, results)))
    from distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        t, results = _timed(DaskExecutor(client), scenarios, args.replications)
    rows.append((f"Dask LocalCluster, {args.workers} processes", t, _same(reference, results)))
    print(
        f"{len(scenarios)} scenarios x {args.replications} replications = {tasks} solves; "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}\n"
    )
    print("| executor | wall time (s) | per solve (s) | speed-up | same figures as inline |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, seconds, same in rows:
        print(
            f"| {name} | {seconds:.1f} | {seconds / tasks:.1f} | {inline_time / seconds:.2f} "
            f"| {'yes' if same else 'NO'} |"
        )
    print()
    for r in reference:
        served = float(r.replications["home_served"].mean())
        print(f"{r.name}: mean home visits served {served:.1f}")


def _same(a: list[SimulationResult], b: list[SimulationResult]) -> bool:
    try:
        for x, y in zip(a, b, strict=True):
            pd.testing.assert_frame_equal(x.replications, y.replications)
    except AssertionError:
        return False
    return True


if __name__ == "__main__":
    main()
